using System.Text;
using Tokamak.Training;

namespace Tokamak.Tests.Training;

public class CheckpointTests
{
    [Fact]
    public void SafetensorsRoundTripAndLayout()
    {
        string path = Path.GetTempFileName();
        try
        {
            float[] a = [1f, 2f, 3f, 4f, 5f, 6f];
            float[] b = [-1.5f];
            CheckpointWriter.Write(path, [("a", [2, 3], a), ("b", [1], b)], new Dictionary<string, string> { ["k"] = "v" });
            var bytes = File.ReadAllBytes(path);
            ulong n = BitConverter.ToUInt64(bytes, 0);
            Assert.Equal(0UL, (8 + n) % 8);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
            Assert.Contains("\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", header);
            Assert.Contains("\"__metadata__\":{\"k\":\"v\"}", header);
            Assert.Equal(8 + (long)n + 28, bytes.Length);
            Assert.Equal(-1.5f, BitConverter.ToSingle(bytes, 8 + (int)n + 24));

            var r = new CheckpointReader(path);
            Assert.Equal("v", r.Metadata["k"]);
            Assert.Equal([2, 3], r.Shape("a"));
            var back = new float[6];
            r.Read("a", back);
            Assert.Equal(a, back);
            Assert.Throws<InvalidDataException>(() => r.Read("a", new float[5]));
            Assert.Throws<InvalidDataException>(() => r.Read("missing", back));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CorruptHeaderIsRejected()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [.. BitConverter.GetBytes(1_000_000UL), .. "{}"u8.ToArray()]);
            Assert.Throws<InvalidDataException>(() => new CheckpointReader(path));
            byte[] bad = Encoding.UTF8.GetBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}");
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)bad.Length), .. bad, .. new byte[8]]);
            Assert.Throws<InvalidDataException>(() => new CheckpointReader(path));
        }
        finally { File.Delete(path); }
    }
}
