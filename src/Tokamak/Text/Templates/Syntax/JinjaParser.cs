using System.Globalization;

namespace Tokamak.Text.Templates;

/// <summary>
/// Recursive-descent parser producing the statement tree. Operator precedence follows Jinja2's parser:
/// conditional &lt; or &lt; and &lt; not &lt; comparison &lt; +/- &lt; ~ &lt; * / // % &lt; ** &lt; unary &lt;
/// filters/tests/calls &lt; attribute/subscript.
/// </summary>
internal sealed class JinjaParser
{
    private const int MaxDepth = 200;
    private readonly List<JinjaToken> _tokens;
    private int _i;
    private int _depth;
    private int _loopDepth;

    private JinjaParser(List<JinjaToken> tokens) => _tokens = tokens;

    public static Node[] Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source));
        var body = parser.ParseBody([], out _, null);
        return body;
    }

    private JinjaToken Current => _tokens[_i];
    private JinjaToken Peek(int ahead = 1) => _tokens[Math.Min(_i + ahead, _tokens.Count - 1)];
    private JinjaToken Next() => _tokens[_i < _tokens.Count - 1 ? _i++ : _i];

    private static TemplateException Error(string message, JinjaToken at) => new(message, at.Line, at.Column);

    private JinjaToken Expect(TokenKind kind, string? value = null)
    {
        var t = Current;
        if (t.Kind != kind || (value is not null && t.Value != value))
        {
            string want = value is not null ? $"'{value}'" : kind switch
            {
                TokenKind.BlockEnd => "'%}'",
                TokenKind.VariableEnd => "'}}'",
                TokenKind.Name => "a name",
                _ => kind.ToString(),
            };
            throw Error($"expected {want}, got {t.Describe()}", t);
        }
        return Next();
    }

    private bool SkipOp(string op)
    {
        if (!Current.IsOp(op)) return false;
        Next();
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    private void Enter(JinjaToken at)
    {
        if (++_depth > MaxDepth) throw Error("template nested too deeply", at);
    }

    // ---------------------------------------------------------------- statements

    /// <summary>Parses nodes until a block tag named in <paramref name="endTags"/>; its name is consumed, the rest of the tag is not.</summary>
    private Node[] ParseBody(string[] endTags, out string endTag, JinjaToken? opener)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    if (endTags.Length > 0)
                        throw Error($"unclosed '{opener!.Value.Value}' block opened at line {opener.Value.Line}, column {opener.Value.Column} (expected '{string.Join("' or '", endTags)}')", t);
                    endTag = "";
                    return [.. nodes];
                case TokenKind.Text:
                    Next();
                    nodes.Add(new TextNode(t.Value, t.Line, t.Column));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    var expr = ParseTuple();
                    Expect(TokenKind.VariableEnd);
                    nodes.Add(new OutputNode(expr, t.Line, t.Column));
                    break;
                case TokenKind.BlockBegin:
                    var name = Peek();
                    if (name.Kind != TokenKind.Name) throw Error($"expected a tag name, got {name.Describe()}", name);
                    if (Array.IndexOf(endTags, name.Value) >= 0)
                    {
                        Next();
                        Next();
                        endTag = name.Value;
                        return [.. nodes];
                    }
                    var begin = Next();
                    ParseStatement(nodes, begin);
                    break;
                default:
                    throw Error($"unexpected {t.Describe()}", t);
            }
        }
    }

    /// <summary>Parses one <c>{% tag ... %}</c>; the statement is located at its <c>{%</c>.</summary>
    private void ParseStatement(List<Node> into, JinjaToken begin)
    {
        var tag = Next() with { Line = begin.Line, Column = begin.Column };
        Enter(tag);
        switch (tag.Value)
        {
            case "if": into.Add(ParseIf(tag)); break;
            case "for": into.Add(ParseFor(tag)); break;
            case "set": into.Add(ParseSet(tag)); break;
            case "macro": into.Add(ParseMacro(tag)); break;
            case "call": into.Add(ParseCallBlock(tag)); break;
            case "filter": into.Add(ParseFilterBlock(tag)); break;
            case "break" or "continue":
                if (_loopDepth == 0) throw Error($"'{tag.Value}' outside of a loop", tag);
                Expect(TokenKind.BlockEnd);
                into.Add(tag.Value == "break" ? new BreakNode(tag.Line, tag.Column) : new ContinueNode(tag.Line, tag.Column));
                break;
            case "generation":
                // Hugging Face's assistant-mask extension: renders its body unchanged.
                Expect(TokenKind.BlockEnd);
                into.AddRange(ParseBody(["endgeneration"], out _, tag));
                Expect(TokenKind.BlockEnd);
                break;
            case "endif" or "endfor" or "endset" or "endmacro" or "endcall" or "endfilter" or "else" or "elif" or "endgeneration":
                throw Error($"unexpected '{tag.Value}' with no matching opening tag", tag);
            case "include" or "extends" or "block" or "import" or "from" or "with" or "autoescape" or "do":
                throw Error($"unsupported tag '{tag.Value}'", tag);
            default:
                throw Error($"unknown tag '{tag.Value}'", tag);
        }
        _depth--;
    }

    private IfNode ParseIf(JinjaToken tag)
    {
        var branches = new List<(Expr, Node[])>();
        Node[]? elseBody = null;
        while (true)
        {
            var cond = ParseTuple();
            Expect(TokenKind.BlockEnd);
            var body = ParseBody(["elif", "else", "endif"], out var end, tag);
            branches.Add((cond, body));
            if (end == "elif") continue;
            if (end == "else")
            {
                Expect(TokenKind.BlockEnd);
                elseBody = ParseBody(["endif"], out _, tag);
            }
            Expect(TokenKind.BlockEnd);
            return new IfNode([.. branches], elseBody, tag.Line, tag.Column);
        }
    }

    private ForNode ParseFor(JinjaToken tag)
    {
        var target = ParseAssignTarget(allowAttribute: false);
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(withCondition: false);
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        if (Current.IsName("recursive")) throw Error("recursive loops are not supported", Current);
        Expect(TokenKind.BlockEnd);
        _loopDepth++;
        var body = ParseBody(["endfor", "else"], out var end, tag);
        _loopDepth--;
        Node[]? elseBody = null;
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = ParseBody(["endfor"], out _, tag);
        }
        Expect(TokenKind.BlockEnd);
        return new ForNode(target, iterable, filter, body, elseBody, false, tag.Line, tag.Column);
    }

    private Node ParseSet(JinjaToken tag)
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (SkipOp("="))
        {
            var value = ParseTuple();
            Expect(TokenKind.BlockEnd);
            return new SetNode(target, value, tag.Line, tag.Column);
        }
        Expr? filters = null;
        if (Current.IsOp("|")) filters = ParseFilterChain(new BlockBodyExpr(tag.Line, tag.Column));
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endset"], out _, tag);
        Expect(TokenKind.BlockEnd);
        return new SetBlockNode(target, body, filters, tag.Line, tag.Column);
    }

    private MacroNode ParseMacro(JinjaToken tag)
    {
        var name = Expect(TokenKind.Name);
        var parameters = ParseParameters();
        Expect(TokenKind.BlockEnd);
        int savedLoops = _loopDepth;
        _loopDepth = 0;
        var body = ParseBody(["endmacro"], out _, tag);
        _loopDepth = savedLoops;
        if (Current.Kind == TokenKind.Name) Next(); // {% endmacro name %}
        Expect(TokenKind.BlockEnd);
        return new MacroNode(name.Value, parameters, body, tag.Line, tag.Column);
    }

    private MacroParameter[] ParseParameters()
    {
        var list = new List<MacroParameter>();
        Expect(TokenKind.Operator, "(");
        while (!Current.IsOp(")"))
        {
            if (list.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOp(")")) break;
            var p = Expect(TokenKind.Name);
            Expr? def = SkipOp("=") ? ParseExpression() : null;
            list.Add(new MacroParameter(p.Value, def));
        }
        Next();
        return [.. list];
    }

    private CallBlockNode ParseCallBlock(JinjaToken tag)
    {
        var parameters = Current.IsOp("(") ? ParseParameters() : [];
        var expr = ParseExpression();
        if (expr is not CallExpr call) throw Error("expected a call after 'call'", tag);
        Expect(TokenKind.BlockEnd);
        int savedLoops = _loopDepth;
        _loopDepth = 0;
        var body = ParseBody(["endcall"], out _, tag);
        _loopDepth = savedLoops;
        Expect(TokenKind.BlockEnd);
        return new CallBlockNode(call, parameters, body, tag.Line, tag.Column);
    }

    private FilterBlockNode ParseFilterBlock(JinjaToken tag)
    {
        if (Current.Kind != TokenKind.Name) throw Error($"expected a filter name, got {Current.Describe()}", Current);
        var filters = ParseFilterChain(new BlockBodyExpr(tag.Line, tag.Column), startInline: true);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endfilter"], out _, tag);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockNode(filters, body, tag.Line, tag.Column);
    }

    /// <summary><c>a</c>, <c>a, b</c>, <c>(a, b)</c>, or (for set) <c>ns.attr</c>.</summary>
    private Target ParseAssignTarget(bool allowAttribute)
    {
        var start = Current;
        var items = new List<Target>();
        do
        {
            if (items.Count > 0 && (Current.IsName("in") || Current.IsOp("=") || Current.Kind == TokenKind.BlockEnd)) break;
            items.Add(ParseSingleTarget(allowAttribute && items.Count == 0));
        }
        while (SkipOp(","));
        if (items.Count == 1 && !_tokens[_i - 1].IsOp(",")) return items[0];
        return new TupleTarget([.. items], start.Line, start.Column);
    }

    private Target ParseSingleTarget(bool allowAttribute)
    {
        var t = Current;
        if (SkipOp("("))
        {
            var inner = ParseAssignTarget(false);
            Expect(TokenKind.Operator, ")");
            return inner is TupleTarget ? inner : new TupleTarget([inner], t.Line, t.Column);
        }
        var name = Expect(TokenKind.Name);
        if (allowAttribute && SkipOp("."))
        {
            var attr = Expect(TokenKind.Name);
            return new AttributeTarget(name.Value, attr.Value, name.Line, name.Column);
        }
        if (name.Value is "true" or "false" or "none" or "True" or "False" or "None")
            throw Error($"cannot assign to '{name.Value}'", name);
        return new NameTarget(name.Value, name.Line, name.Column);
    }

    // ---------------------------------------------------------------- expressions

    private bool AtTupleEnd() =>
        Current.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd or TokenKind.Eof || Current.IsOp(")");

    /// <summary>An expression, or a tuple when commas follow (<c>{{ a, b }}</c>, <c>set x = 1, 2</c>).</summary>
    private Expr ParseTuple(bool withCondition = true)
    {
        var start = Current;
        var first = withCondition ? ParseExpression() : ParseOr();
        if (!Current.IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOp(","))
        {
            if (AtTupleEnd() || (!withCondition && Current.IsName("if"))) break;
            items.Add(withCondition ? ParseExpression() : ParseOr());
        }
        return new ListExpr([.. items], true, start.Line, start.Column);
    }

    private Expr ParseExpression()
    {
        Enter(Current);
        var e = ParseConditional();
        _depth--;
        return e;
    }

    private Expr ParseConditional()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            var t = Next();
            var cond = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseConditional() : null;
            expr = new ConditionalExpr(cond, expr, otherwise, t.Line, t.Column);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var t = Next();
            left = new BinaryExpr(BinaryOp.Or, left, ParseAnd(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var t = Next();
            left = new BinaryExpr(BinaryOp.And, left, ParseNot(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var t = Next();
            Enter(t);
            var operand = ParseNot();
            _depth--;
            return new UnaryExpr(UnaryOp.Not, operand, t.Line, t.Column);
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        List<(CompareOp, Expr)>? rest = null;
        while (true)
        {
            CompareOp op;
            var t = Current;
            if (t.Kind == TokenKind.Operator && t.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                op = t.Value switch { "==" => CompareOp.Eq, "!=" => CompareOp.Ne, "<" => CompareOp.Lt, "<=" => CompareOp.Le, ">" => CompareOp.Gt, _ => CompareOp.Ge };
                Next();
            }
            else if (t.IsName("in")) { op = CompareOp.In; Next(); }
            else if (t.IsName("not") && Peek().IsName("in")) { op = CompareOp.NotIn; Next(); Next(); }
            else break;
            (rest ??= []).Add((op, ParseMath1()));
        }
        return rest is null ? first : new CompareExpr(first, [.. rest], start.Line, start.Column);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var t = Next();
            left = new BinaryExpr(t.Value == "+" ? BinaryOp.Add : BinaryOp.Subtract, left, ParseConcat(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOp("~"))
        {
            var t = Next();
            left = new BinaryExpr(BinaryOp.Concat, left, ParseMath2(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var t = Next();
            var op = t.Value switch { "*" => BinaryOp.Multiply, "/" => BinaryOp.Divide, "//" => BinaryOp.FloorDivide, _ => BinaryOp.Modulo };
            left = new BinaryExpr(op, left, ParsePow(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(true);
        while (Current.IsOp("**"))
        {
            var t = Next();
            left = new BinaryExpr(BinaryOp.Power, left, ParseUnary(true), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Enter(t);
        Expr node;
        if (t.IsOp("-") || t.IsOp("+"))
        {
            Next();
            node = new UnaryExpr(t.Value == "-" ? UnaryOp.Negate : UnaryOp.Plus, ParseUnary(false), t.Line, t.Column);
        }
        else node = ParsePostfix(ParsePrimary());
        if (withFilter) node = ParseFilterExpr(node);
        _depth--;
        return node;
    }

    private Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(JinjaValue.True, t.Line, t.Column),
                    "false" or "False" => new LiteralExpr(JinjaValue.False, t.Line, t.Column),
                    "none" or "None" => new LiteralExpr(JinjaValue.None, t.Line, t.Column),
                    _ => new NameExpr(t.Value, t.Line, t.Column),
                };
            case TokenKind.String:
                string s = t.Value;
                while (Current.Kind == TokenKind.String) s += Next().Value;
                return new LiteralExpr(new JinjaString(s), t.Line, t.Column);
            case TokenKind.Integer:
                if (!long.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long l))
                    throw Error($"integer literal {t.Value} is too large", t);
                return new LiteralExpr(new JinjaInteger(l), t.Line, t.Column);
            case TokenKind.Float:
                return new LiteralExpr(new JinjaFloat(double.Parse(t.Value, CultureInfo.InvariantCulture)), t.Line, t.Column);
            case TokenKind.Operator when t.Value == "(":
                if (SkipOp(")")) return new ListExpr([], true, t.Line, t.Column);
                var inner = ParseTuple();
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when t.Value == "[":
                var items = new List<Expr>();
                while (!Current.IsOp("]"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Current.IsOp("]")) break;
                    items.Add(ParseExpression());
                }
                Next();
                return new ListExpr([.. items], false, t.Line, t.Column);
            case TokenKind.Operator when t.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOp("}"))
                {
                    if (pairs.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Current.IsOp("}")) break;
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    pairs.Add((key, ParseExpression()));
                }
                Next();
                return new DictExpr([.. pairs], t.Line, t.Column);
            default:
                throw Error($"unexpected {t.Describe()}", t);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOp("."))
            {
                Next();
                var name = Next();
                if (name.Kind == TokenKind.Name) node = new AttributeExpr(node, name.Value, name.Line, name.Column);
                else if (name.Kind == TokenKind.Integer)
                    node = new IndexExpr(node, new LiteralExpr(new JinjaInteger(long.Parse(name.Value, CultureInfo.InvariantCulture)), name.Line, name.Column), name.Line, name.Column);
                else throw Error($"expected an attribute name after '.', got {name.Describe()}", name);
            }
            else if (t.IsOp("[")) node = ParseSubscript(node);
            else if (t.IsOp("(")) node = new CallExpr(node, ParseCallArgs(), t.Line, t.Column);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target)
    {
        var open = Next();
        Expr? start = null, stop = null, step = null;
        bool isSlice = false;
        if (!Current.IsOp(":")) start = ParseExpression();
        if (SkipOp(":"))
        {
            isSlice = true;
            if (!Current.IsOp("]") && !Current.IsOp(":")) stop = ParseExpression();
            if (SkipOp(":") && !Current.IsOp("]")) step = ParseExpression();
        }
        Expect(TokenKind.Operator, "]");
        if (isSlice) return new SliceExpr(target, start, stop, step, open.Line, open.Column);
        return new IndexExpr(target, start!, open.Line, open.Column);
    }

    private CallArgs ParseCallArgs()
    {
        Expect(TokenKind.Operator, "(");
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        bool first = true;
        while (!Current.IsOp(")"))
        {
            if (!first) Expect(TokenKind.Operator, ",");
            first = false;
            if (Current.IsOp(")")) break;
            if (Current.IsOp("*") || Current.IsOp("**")) throw Error("*args and **kwargs in calls are not supported", Current);
            if (Current.Kind == TokenKind.Name && Peek().IsOp("="))
            {
                var key = Next();
                Next();
                named.Add((key.Value, ParseExpression()));
            }
            else
            {
                if (named.Count > 0) throw Error("positional argument follows keyword argument", Current);
                positional.Add(ParseExpression());
            }
        }
        Next();
        return positional.Count == 0 && named.Count == 0 ? CallArgs.None : new CallArgs([.. positional], [.. named]);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOp("|")) node = ParseFilterChain(node);
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOp("("))
            {
                var open = Current;
                node = new CallExpr(node, ParseCallArgs(), open.Line, open.Column);
            }
            else return node;
        }
    }

    /// <summary><c>| f | g(args)</c> applied to <paramref name="node"/>; <paramref name="startInline"/> when the first '|' is implicit.</summary>
    private Expr ParseFilterChain(Expr node, bool startInline = false)
    {
        while (Current.IsOp("|") || startInline)
        {
            if (!startInline) Next();
            startInline = false;
            var name = Expect(TokenKind.Name);
            var filter = JinjaFilters.Find(name.Value) ?? throw Error($"no filter named '{name.Value}'", name);
            var args = Current.IsOp("(") ? ParseCallArgs() : CallArgs.None;
            node = new FilterExpr(node, name.Value, filter, args, name.Line, name.Column);
        }
        return node;
    }

    private Expr ParseTest(Expr node)
    {
        Next();
        bool negated = SkipName("not");
        var name = Expect(TokenKind.Name);
        // `is none`, `is true`, `is false` arrive as names here too.
        var test = JinjaTests.Find(name.Value) ?? throw Error($"no test named '{name.Value}'", name);
        CallArgs args = CallArgs.None;
        if (Current.IsOp("(")) args = ParseCallArgs();
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || Current.IsOp("[") || Current.IsOp("{"))
                 && !(Current.Kind == TokenKind.Name && Current.Value is "else" or "or" or "and" or "if" or "in" or "not" or "is"))
            args = new CallArgs([ParsePostfix(ParsePrimary())], []);
        return new TestExpr(node, name.Value, test, args, negated, name.Line, name.Column);
    }
}
