using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tokamak.Text.Templates;

/// <summary>
/// Splits template source into tokens the way Jinja2's lexer does with Hugging Face's settings
/// (<c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>, <c>keep_trailing_newline=False</c>):
/// newlines are normalised to <c>\n</c>, one trailing newline is dropped, <c>{%-</c>/<c>-%}</c> strip whitespace,
/// <c>{%+</c>/<c>+%}</c> opt out of lstrip/trim, and comments vanish.
/// </summary>
internal sealed partial class JinjaLexer
{
    private readonly string _src;
    private readonly int[] _lineStarts;
    private readonly List<JinjaToken> _tokens = [];
    private readonly bool _trimBlocks;
    private readonly bool _lstripBlocks;
    private int _pos;

    private JinjaLexer(string source, bool trimBlocks, bool lstripBlocks)
    {
        _src = Normalize(source);
        _trimBlocks = trimBlocks;
        _lstripBlocks = lstripBlocks;
        var starts = new List<int> { 0 };
        for (int i = 0; i < _src.Length; i++)
            if (_src[i] == '\n') starts.Add(i + 1);
        _lineStarts = [.. starts];
    }

    public static List<JinjaToken> Tokenize(string source, bool trimBlocks = true, bool lstripBlocks = true)
    {
        var lexer = new JinjaLexer(source, trimBlocks, lstripBlocks);
        lexer.Run();
        return lexer._tokens;
    }

    private static string Normalize(string s)
    {
        if (s.Contains('\r')) s = s.Replace("\r\n", "\n").Replace('\r', '\n');
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    private (int Line, int Column) Position(int offset)
    {
        int idx = Array.BinarySearch(_lineStarts, offset);
        if (idx < 0) idx = ~idx - 1;
        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    private TemplateException Error(string message, int offset)
    {
        var (line, col) = Position(offset);
        return new TemplateException(message, line, col);
    }

    private void Emit(TokenKind kind, string value, int offset)
    {
        var (line, col) = Position(offset);
        _tokens.Add(new JinjaToken(kind, value, line, col));
    }

    [GeneratedRegex(@"\G\{%[-+]?\s*raw\s*[-+]?%\}")]
    private static partial Regex RawBegin();

    [GeneratedRegex(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}")]
    private static partial Regex RawEnd();

    private void Run()
    {
        while (_pos < _src.Length)
        {
            int tag = FindTagStart(_pos);
            int textEnd = tag < 0 ? _src.Length : tag;
            if (tag < 0)
            {
                EmitText(_pos, textEnd, sign: '\0', lstrip: false);
                _pos = _src.Length;
                break;
            }
            char kind = _src[tag + 1];
            char sign = tag + 2 < _src.Length && _src[tag + 2] is '-' or '+' ? _src[tag + 2] : '\0';
            EmitText(_pos, textEnd, sign, lstrip: kind != '{');
            if (kind == '#') LexComment(tag);
            else if (kind == '%' && RawBegin().Match(_src, tag) is { Success: true } raw) LexRaw(tag, raw);
            else LexTag(tag, kind == '%');
        }
        Emit(TokenKind.Eof, "", _src.Length);
    }

    private int FindTagStart(int from)
    {
        while (true)
        {
            int i = _src.IndexOf('{', from);
            if (i < 0 || i + 1 >= _src.Length) return -1;
            char c = _src[i + 1];
            if (c is '{' or '%' or '#') return i;
            from = i + 1;
        }
    }

    /// <summary>Emits source[start..end) after <c>{%-</c> rstrip or lstrip_blocks removal of the tag's indentation.</summary>
    private void EmitText(int start, int end, char sign, bool lstrip)
    {
        if (sign == '-')
        {
            while (end > start && PythonText.IsSpace(_src[end - 1])) end--;
        }
        else if (sign != '+' && lstrip && _lstripBlocks)
        {
            int lineStart = _src.LastIndexOf('\n', Math.Max(end - 1, 0), Math.Max(end - start, 0)) + 1;
            if (lineStart <= start) lineStart = start;
            bool hasNewline = lineStart > start;
            bool lineStarting = start == 0 || _src[start - 1] == '\n';
            if (hasNewline || lineStarting)
            {
                bool onlyBlank = true;
                for (int i = lineStart; i < end; i++)
                    if (_src[i] != ' ' && _src[i] != '\t') { onlyBlank = false; break; }
                if (onlyBlank) end = lineStart;
            }
        }
        if (end > start) Emit(TokenKind.Text, _src[start..end], start);
    }

    /// <summary>After a block/comment end: <c>-</c> eats all following whitespace, otherwise trim_blocks eats one newline.</summary>
    private void AfterBlockEnd(char endSign)
    {
        if (endSign == '-')
            while (_pos < _src.Length && PythonText.IsSpace(_src[_pos])) _pos++;
        else if (endSign != '+' && _trimBlocks && _pos < _src.Length && _src[_pos] == '\n')
            _pos++;
    }

    private void LexComment(int tag)
    {
        int end = _src.IndexOf("#}", tag + 2, StringComparison.Ordinal);
        if (end < 0) throw Error("unclosed comment '{#' (missing '#}')", tag);
        char endSign = end > tag + 2 && _src[end - 1] is '-' or '+' ? _src[end - 1] : '\0';
        _pos = end + 2;
        AfterBlockEnd(endSign);
    }

    private void LexRaw(int tag, Match begin)
    {
        int bodyStart = tag + begin.Length;
        var endMatch = RawEnd().Match(_src, bodyStart);
        if (!endMatch.Success) throw Error("unclosed '{% raw %}' block (missing '{% endraw %}')", tag);
        if (begin.Value[^3] == '-')
            while (bodyStart < endMatch.Index && PythonText.IsSpace(_src[bodyStart])) bodyStart++;
        char sign = endMatch.Groups[1].Value is { Length: 1 } s ? s[0] : '\0';
        EmitText(bodyStart, endMatch.Index, sign, lstrip: true);
        _pos = endMatch.Index + endMatch.Length;
        AfterBlockEnd(endMatch.Groups[2].Value is { Length: 1 } e ? e[0] : '\0');
    }

    private void LexTag(int tag, bool isBlock)
    {
        Emit(isBlock ? TokenKind.BlockBegin : TokenKind.VariableBegin, isBlock ? "{%" : "{{", tag);
        _pos = tag + 2;
        if (_pos < _src.Length && _src[_pos] is '-' or '+') _pos++;
        var brackets = new Stack<(char Open, int Offset)>();
        char close = isBlock ? '%' : '}';
        while (true)
        {
            while (_pos < _src.Length && PythonText.IsSpace(_src[_pos])) _pos++;
            if (_pos >= _src.Length)
                throw Error($"unclosed tag '{(isBlock ? "{%" : "{{")}' (missing '{(isBlock ? "%}" : "}}")}')", tag);
            if (brackets.Count == 0)
            {
                char sign = _src[_pos] is '-' or '+' ? _src[_pos] : '\0';
                int p = sign == '\0' ? _pos : _pos + 1;
                if (p + 1 < _src.Length && _src[p] == close && _src[p + 1] == '}' && (sign != '+' || isBlock))
                {
                    Emit(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, isBlock ? "%}" : "}}", _pos);
                    _pos = p + 2;
                    if (isBlock) AfterBlockEnd(sign);
                    else if (sign == '-') AfterBlockEnd('-');
                    return;
                }
            }
            LexExpressionToken(brackets);
        }
    }

    private static readonly string[] TwoCharOps = ["//", "**", "==", "!=", "<=", ">="];

    private void LexExpressionToken(Stack<(char Open, int Offset)> brackets)
    {
        int start = _pos;
        char c = _src[_pos];
        if (char.IsLetter(c) || c == '_')
        {
            while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
            Emit(TokenKind.Name, _src[start.._pos], start);
            return;
        }
        if (char.IsAsciiDigit(c))
        {
            LexNumber();
            return;
        }
        if (c is '\'' or '"')
        {
            Emit(TokenKind.String, LexString(c), start);
            return;
        }
        if (_pos + 1 < _src.Length)
        {
            foreach (var op in TwoCharOps)
                if (_src[_pos] == op[0] && _src[_pos + 1] == op[1])
                {
                    _pos += 2;
                    Emit(TokenKind.Operator, op, start);
                    return;
                }
        }
        switch (c)
        {
            case '(' or '[' or '{':
                brackets.Push((c, _pos));
                break;
            case ')' or ']' or '}':
                char want = c == ')' ? '(' : c == ']' ? '[' : '{';
                if (brackets.Count == 0) throw Error($"unexpected '{c}'", _pos);
                var (open, _) = brackets.Pop();
                if (open != want) throw Error($"unexpected '{c}', expected closing for '{open}'", _pos);
                break;
            case '+' or '-' or '/' or '*' or '%' or '~' or '<' or '>' or '=' or '.' or ':' or '|' or ',' or ';':
                break;
            default:
                throw Error($"unexpected character '{c}' in tag", _pos);
        }
        _pos++;
        Emit(TokenKind.Operator, c.ToString(), start);
    }

    private void LexNumber()
    {
        int start = _pos;
        SkipDigits();
        bool isFloat = false;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            SkipDigits();
        }
        if (_pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            int save = _pos;
            _pos++;
            if (_pos < _src.Length && _src[_pos] is '+' or '-') _pos++;
            if (_pos < _src.Length && char.IsAsciiDigit(_src[_pos])) { isFloat = true; SkipDigits(); }
            else _pos = save;
        }
        string text = _src[start.._pos].Replace("_", "");
        Emit(isFloat ? TokenKind.Float : TokenKind.Integer, text, start);
    }

    private void SkipDigits()
    {
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || (_src[_pos] == '_' && _pos + 1 < _src.Length && char.IsAsciiDigit(_src[_pos + 1]))))
            _pos++;
    }

    /// <summary>Reads a quoted literal and decodes Python escapes (<c>\n</c>, <c>\xNN</c>, <c>\uNNNN</c>; unknown ones stay).</summary>
    private string LexString(char quote)
    {
        int start = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length) throw Error("unterminated string literal", start);
            char c = _src[_pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _src.Length) throw Error("unterminated string literal", start);
            char e = _src[_pos++];
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'a': sb.Append('\a'); break;
                case 'x': sb.Append(ReadHex(2, start)); break;
                case 'u': sb.Append(ReadHex(4, start)); break;
                case 'U': sb.Append(ReadHex(8, start)); break;
                case >= '0' and <= '7':
                    int value = e - '0';
                    for (int k = 0; k < 2 && _pos < _src.Length && _src[_pos] is >= '0' and <= '7'; k++)
                        value = value * 8 + (_src[_pos++] - '0');
                    sb.Append((char)value);
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    private string ReadHex(int digits, int literalStart)
    {
        if (_pos + digits > _src.Length ||
            !int.TryParse(_src.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int cp) ||
            cp > 0x10FFFF)
            throw Error("invalid escape in string literal", literalStart);
        _pos += digits;
        return char.ConvertFromUtf32(cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
    }
}
