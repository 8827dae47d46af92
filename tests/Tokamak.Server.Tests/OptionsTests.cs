namespace Tokamak.Server.Tests;

/// <summary>Options come from appsettings.json, then environment variables, then the command line.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void File_then_environment_then_command_line()
    {
        string dir = Directory.CreateTempSubdirectory("tokamak-options").FullName;
        File.WriteAllText(Path.Combine(dir, "appsettings.json"),
            """{"Tokamak":{"Port":9001,"ApiKey":"from-file","MaxWaitingRequests":5,"MaxN":3}}""");
        Environment.SetEnvironmentVariable("Tokamak__MaxN", "7");
        try
        {
            var o = ServerHost.LoadOptions(cli => cli.Port = 9002, dir);
            Assert.Equal(9002, o.Port);            // command line wins
            Assert.Equal("from-file", o.ApiKey);   // file
            Assert.Equal(5, o.MaxWaitingRequests); // file
            Assert.Equal(7, o.MaxN);               // environment beats file
            Assert.Equal("127.0.0.1", o.Host);     // default
        }
        finally
        {
            Environment.SetEnvironmentVariable("Tokamak__MaxN", null);
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Invalid_values_name_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => ServerHost.LoadOptions(cli => cli.Port = 70000, Path.GetTempPath()));
        Assert.Contains("port", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ServerOptions { KvCacheMemory = "lots" }.Validate());
        Assert.Contains("kv-cache-memory", e.Message);
        Assert.Equal(2L << 30, ByteSize.Parse("2GiB"));
        Assert.Equal(512_000_000, ByteSize.Parse("512MB"));
    }
}
