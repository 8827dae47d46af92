using Tokamak.Training;

namespace Tokamak.Tests.Training;

public class PackedSequencesTests
{
    [Fact]
    public void SequenceIdsAndCuSeqlensAgree()
    {
        var a = PackedSequences.FromSequenceIds([7, 7, 7, 2, 2, 9]);
        var b = PackedSequences.FromCuSeqlens([0, 3, 5, 6]);
        Assert.Equal(b.CuSeqlens, a.CuSeqlens);
        Assert.Equal([0, 1, 2, 0, 1, 0], a.Positions);
        Assert.Equal([0, 0, 0, 3, 3, 5], a.Starts);
        Assert.Equal(3, a.Count);
    }

    [Fact]
    public void BadPackingIsRejected()
    {
        Assert.Throws<ArgumentException>(() => PackedSequences.FromSequenceIds([1, 1, 2, 1]));
        Assert.Throws<ArgumentException>(() => PackedSequences.FromCuSeqlens([0, 3, 3]));
        Assert.Throws<ArgumentException>(() => PackedSequences.FromCuSeqlens([1, 3]));
        Assert.Throws<ArgumentException>(() => new TrainBatch([1, 2], [2], PackedSequences.Single(2)));
    }

    [Fact]
    public void ModelForwardWithSequenceIdsMatchesPackedBatch()
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama());
        m.InitializeWeights(3, 0.3f);
        var packed = TrainBatch.Pack([[1, 2, 3, 4], [5, 6, 7]]);
        float expect = m.Forward(packed);
        Assert.Equal(expect, m.Forward(packed.Tokens, [0, 0, 0, 1, 1], packed.Targets));
    }
}
