using Tokamak.Models;
using Tokamak.Training.Lora;

namespace Tokamak.Training;

/// <summary>What one decoder block saves in forward for its backward, sized for <c>T</c> tokens.</summary>
internal sealed class LlamaBlockActivations
{
    public LlamaBlockActivations(ModelConfig c, int tokens, LoraSettings? lora = null)
    {
        int T = tokens, C = c.HiddenSize, I = c.IntermediateSize;
        Ln1 = new float[T * C]; Rstd1 = new float[T];
        Q = new float[T * c.QDim]; K = new float[T * c.KvDim]; V = new float[T * c.KvDim];
        Att = new float[T * c.QDim]; Lse = new float[T * c.Heads];
        XMid = new float[T * C];
        Ln2 = new float[T * C]; Rstd2 = new float[T];
        Gate = new float[T * I]; Up = new float[T * I]; H = new float[T * I];
        LoraX = new float[7][];
        LoraH = new float[7][];
        for (int m = 0; m < 7; m++)
        {
            bool on = lora is not null && lora.Adapts((LoraModule)m);
            LoraX[m] = on ? new float[T * ParameterLayout.ProjectionShape(c, (LoraModule)m).In] : [];
            LoraH[m] = on ? new float[T * lora!.Rank] : [];
        }
    }

    public float[] Ln1, Rstd1;      // [T, C], [T]
    public float[] Q, K, V;         // [T, QDim], [T, KvDim] ×2, after RoPE
    public float[] Att, Lse;        // [T, QDim], [T, heads]
    public float[] XMid;            // [T, C] residual after attention
    public float[] Ln2, Rstd2;      // [T, C], [T]
    public float[] Gate, Up, H;     // [T, I]
    public float[][] LoraX, LoraH;  // per module: dropped-out adapter input [T, in], A-projection [T, r]; empty when not adapted

    public long Bytes => 4L * (Ln1.Length + Rstd1.Length + Q.Length + K.Length + V.Length + Att.Length + Lse.Length
        + XMid.Length + Ln2.Length + Rstd2.Length + Gate.Length + Up.Length + H.Length
        + LoraX.Sum(x => (long)x.Length) + LoraH.Sum(x => (long)x.Length));
}

/// <summary>Gradient scratch shared by all blocks during backward.</summary>
internal sealed class LlamaGradScratch
{
    public LlamaGradScratch(ModelConfig c, int tokens)
    {
        int T = tokens, C = c.HiddenSize;
        DRes = new float[T * C]; DLn = new float[T * C];
        DAtt = new float[T * c.QDim]; DQ = new float[T * c.QDim]; DK = new float[T * c.KvDim]; DV = new float[T * c.KvDim];
        Mlp = new float[3 * T * c.IntermediateSize];
    }

    public float[] DRes, DLn;          // [T, C]: gradient of the residual stream, of a norm output
    public float[] DAtt, DQ, DK, DV;   // [T, QDim], [T, QDim], [T, KvDim] ×2
    public float[] Mlp;                // [3, T, I]

    public long Bytes => 4L * (DRes.Length + DLn.Length + DAtt.Length + DQ.Length + DK.Length + DV.Length + Mlp.Length);
}
