using System.Globalization;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Synthetic;

/// <summary>
/// The calculator tool the chat examples call: its JSON schema (as LLaMA-Factory's <c>tools</c> column holds it) and
/// the exact result of a two-operand expression, so every observation in the data is correct.
/// </summary>
public static class CalculatorTool
{
    /// <summary>The tool's name.</summary>
    public const string Name = "calculator";

    /// <summary>The tools list: one function with an <c>expression</c> string parameter.</summary>
    public static JsonArray Schema() =>
    [
        new JsonObject
        {
            ["name"] = Name,
            ["description"] = "Evaluate an arithmetic expression with two whole numbers and one of + - * /.",
            ["parameters"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["expression"] = new JsonObject { ["type"] = "string", ["description"] = "For example \"12 * 34\"" },
                },
                ["required"] = new JsonArray("expression"),
            },
        },
    ];

    /// <summary>Evaluates "a op b" (whole numbers, op one of + - * /; division must be exact).</summary>
    /// <exception cref="FormatException">The expression is not of that form, or divides by zero or inexactly.</exception>
    public static long Evaluate(string expression)
    {
        var parts = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long a)
            || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long b))
            throw new FormatException($"calculator: expected 'a op b', got '{expression}'");
        return parts[1] switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" when b != 0 && a % b == 0 => a / b,
            "/" => throw new FormatException($"calculator: '{expression}' does not divide exactly"),
            _ => throw new FormatException($"calculator: unknown operator '{parts[1]}' in '{expression}'"),
        };
    }
}
