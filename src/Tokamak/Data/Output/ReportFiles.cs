namespace Tokamak.Data.Output;

/// <summary>Writes a <see cref="DataReport"/> next to the examples as report.json and report.txt.</summary>
public static class ReportFiles
{
    /// <summary>Writes <paramref name="directory"/>/report.json and report.txt.</summary>
    public static void Write(DataReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "report.json"), report.ToJson());
        File.WriteAllText(Path.Combine(directory, "report.txt"), report.ToText());
    }
}
