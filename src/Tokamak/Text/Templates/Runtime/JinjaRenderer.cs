using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>Walks the statement tree for one render; holds the per-render state (macro depth, block bodies).</summary>
internal sealed class JinjaRenderer
{
    private const int MaxCallDepth = 100;
    private int _callDepth;
    private JinjaValue _blockBody = JinjaString.Empty;

    private enum Flow { Normal, Break, Continue }

    public void Render(Node[] nodes, JinjaScope scope, StringBuilder output) => Execute(nodes, scope, output);

    private static TemplateException At(Node node, JinjaRuntimeError e) =>
        new(e.Message, node.Line, node.Column, e.RaisedByTemplate);

    private Flow Execute(Node[] nodes, JinjaScope scope, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            try
            {
                var flow = ExecuteOne(node, scope, sb);
                if (flow != Flow.Normal) return flow;
            }
            catch (JinjaRuntimeError e)
            {
                throw At(node, e);
            }
        }
        return Flow.Normal;
    }

    private Flow ExecuteOne(Node node, JinjaScope scope, StringBuilder sb)
    {
        switch (node)
        {
            case TextNode t:
                sb.Append(t.Text);
                return Flow.Normal;
            case OutputNode o:
                sb.Append(Eval(o.Value, scope).ToString());
                return Flow.Normal;
            case IfNode i:
                foreach (var (cond, body) in i.Branches)
                    if (Eval(cond, scope).IsTruthy) return Execute(body, scope, sb);
                return i.Else is null ? Flow.Normal : Execute(i.Else, scope, sb);
            case ForNode f:
                return ExecuteFor(f, scope, sb);
            case SetNode s:
                Assign(s.Target, Eval(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode sb2:
                Assign(sb2.Target, RenderBlock(sb2.Body, sb2.Filters, scope), scope);
                return Flow.Normal;
            case MacroNode m:
                scope.Set(m.Name, MakeMacro(m.Name, m.Parameters, m.Body, scope));
                return Flow.Normal;
            case CallBlockNode c:
                var caller = MakeMacro("caller", c.CallerParameters, c.Body, scope);
                var callee = EvalCallee(c.Call, scope, out var bound);
                var args = EvalArgs(c.Call.Args, scope);
                var named = new List<KeyValuePair<string, JinjaValue>>(args.Named) { new("caller", caller) };
                sb.Append(Invoke(callee, bound, new JinjaArguments(args.Positional, named)).ToString());
                return Flow.Normal;
            case FilterBlockNode fb:
                sb.Append(RenderBlock(fb.Body, fb.Filters, scope).ToString());
                return Flow.Normal;
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown node {node.GetType().Name}");
        }
    }

    /// <summary>Renders a block body to a string and runs it through the block's filter chain, if any.</summary>
    private JinjaValue RenderBlock(Node[] body, Expr? filters, JinjaScope scope)
    {
        var inner = new StringBuilder();
        Execute(body, scope, inner);
        JinjaValue text = new JinjaString(inner.ToString());
        if (filters is null) return text;
        var saved = _blockBody;
        _blockBody = text;
        try { return Eval(filters, scope); }
        finally { _blockBody = saved; }
    }

    private Flow ExecuteFor(ForNode f, JinjaScope scope, StringBuilder sb)
    {
        var iterable = Eval(f.Iterable, scope);
        if (iterable is JinjaNone) throw new JinjaRuntimeError("'NoneType' object is not iterable");
        var items = JinjaOperations.Iterate(iterable);
        if (f.Filter is not null)
        {
            var kept = new List<JinjaValue>();
            foreach (var item in items)
            {
                var probe = new JinjaScope(scope);
                Assign(f.Target, item, probe);
                if (Eval(f.Filter, probe).IsTruthy) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0) return f.Else is null ? Flow.Normal : Execute(f.Else, scope, sb);
        // loop.depth counts recursive-loop levels, not nesting; recursive loops are rejected at parse time.
        var loop = new JinjaLoop(items, depth: 1);
        for (int i = 0; i < items.Count; i++)
        {
            var child = new JinjaScope(scope);
            loop.Index0 = i;
            child.Set("loop", loop);
            Assign(f.Target, items[i], child);
            if (Execute(f.Body, child, sb) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private static void Assign(Target target, JinjaValue value, JinjaScope scope)
    {
        switch (target)
        {
            case NameTarget n:
                scope.Set(n.Name, value);
                break;
            case TupleTarget t:
                var items = JinjaOperations.Iterate(value);
                if (items.Count < t.Items.Length)
                    throw new JinjaRuntimeError($"not enough values to unpack (expected {t.Items.Length}, got {items.Count})");
                if (items.Count > t.Items.Length)
                    throw new JinjaRuntimeError($"too many values to unpack (expected {t.Items.Length})");
                for (int i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                break;
            case AttributeTarget a:
                if (scope.Lookup(a.Name) is not JinjaNamespace ns)
                    throw new JinjaRuntimeError($"cannot assign attribute '{a.Attribute}' on '{a.Name}': only namespace() objects accept attribute assignment");
                ns.Attributes[a.Attribute] = value;
                break;
        }
    }

    private JinjaCallable MakeMacro(string name, MacroParameter[] parameters, Node[] body, JinjaScope definitionScope) =>
        new(name, args =>
        {
            var s = new JinjaScope(definitionScope);
            var set = new bool[parameters.Length];
            var varargs = new List<JinjaValue>();
            var kwargs = new JinjaDict();
            for (int i = 0; i < args.Positional.Count; i++)
            {
                if (i < parameters.Length) { s.Set(parameters[i].Name, args.Positional[i]); set[i] = true; }
                else varargs.Add(args.Positional[i]);
            }
            foreach (var (key, value) in args.Named)
            {
                int idx = Array.FindIndex(parameters, p => p.Name == key);
                if (idx >= 0)
                {
                    if (set[idx]) throw new JinjaRuntimeError($"macro '{name}' got multiple values for argument '{key}'");
                    s.Set(key, value);
                    set[idx] = true;
                }
                else if (key == "caller") s.Set("caller", value);
                else kwargs.Set(key, value);
            }
            for (int i = 0; i < parameters.Length; i++)
                if (!set[i])
                    s.Set(parameters[i].Name, parameters[i].Default is { } d ? Eval(d, s) : new JinjaUndefined(parameters[i].Name));
            s.Set("varargs", new JinjaList(varargs, isTuple: true));
            s.Set("kwargs", kwargs);
            if (_callDepth >= MaxCallDepth)
                throw new JinjaRuntimeError($"macro recursion deeper than {MaxCallDepth} calls (in '{name}')");
            _callDepth++;
            var output = new StringBuilder();
            try { Execute(body, s, output); }
            finally { _callDepth--; }
            return new JinjaString(output.ToString());
        }, isMacro: true);

    // ---------------------------------------------------------------- expressions

    private JinjaValue Eval(Expr e, JinjaScope scope)
    {
        try { return EvalCore(e, scope); }
        catch (JinjaRuntimeError err) { throw new TemplateException(err.Message, e.Line, e.Column, err.RaisedByTemplate); }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or FormatException or OverflowException
                                       or IndexOutOfRangeException or KeyNotFoundException or InvalidOperationException)
        {
            // A bad argument that slipped past a filter's own checks still surfaces as a template error.
            throw new TemplateException($"invalid operation: {ex.Message}", e.Line, e.Column);
        }
    }

    private JinjaValue EvalCore(Expr e, JinjaScope scope)
    {
        switch (e)
        {
            case LiteralExpr l: return l.Value;
            case NameExpr n: return scope.Lookup(n.Name);
            case AttributeExpr a: return JinjaAccess.GetAttribute(Eval(a.Target, scope), a.Name);
            case IndexExpr i: return JinjaAccess.GetItem(Eval(i.Target, scope), Eval(i.Key, scope));
            case SliceExpr s:
                return JinjaAccess.Slice(Eval(s.Target, scope),
                    s.Start is null ? null : Eval(s.Start, scope), s.Stop is null ? null : Eval(s.Stop, scope), s.Step is null ? null : Eval(s.Step, scope));
            case CallExpr c:
                var callee = EvalCallee(c, scope, out var bound);
                return Invoke(callee, bound, EvalArgs(c.Args, scope));
            case FilterExpr f:
                return f.Filter(Eval(f.Value, scope), EvalArgs(f.Args, scope));
            case TestExpr t:
                return JinjaValue.From(t.Test(Eval(t.Value, scope), EvalArgs(t.Args, scope)) != t.Negated);
            case UnaryExpr u:
                var operand = Eval(u.Operand, scope);
                return u.Op switch
                {
                    UnaryOp.Not => JinjaValue.From(!operand.IsTruthy),
                    UnaryOp.Negate => JinjaOperations.Negate(operand),
                    _ => PythonEquality.TryNumber(operand, out _) ? operand : throw new JinjaRuntimeError($"bad operand type for unary +: '{operand.TypeName}'"),
                };
            case BinaryExpr b:
                var left = Eval(b.Left, scope);
                if (b.Op == BinaryOp.And) return left.IsTruthy ? Eval(b.Right, scope) : left;
                if (b.Op == BinaryOp.Or) return left.IsTruthy ? left : Eval(b.Right, scope);
                return JinjaOperations.Arithmetic(b.Op, left, Eval(b.Right, scope));
            case CompareExpr c:
                var current = Eval(c.First, scope);
                foreach (var (op, operandExpr) in c.Rest)
                {
                    var next = Eval(operandExpr, scope);
                    if (!Compare(op, current, next)) return JinjaValue.False;
                    current = next;
                }
                return JinjaValue.True;
            case ConditionalExpr c:
                if (Eval(c.Condition, scope).IsTruthy) return Eval(c.Then, scope);
                return c.Else is null ? JinjaValue.Undefined : Eval(c.Else, scope);
            case ListExpr l:
                var items = new List<JinjaValue>(l.Items.Length);
                foreach (var item in l.Items) items.Add(Eval(item, scope));
                return new JinjaList(items, l.IsTuple);
            case DictExpr d:
                var dict = new JinjaDict();
                foreach (var (k, v) in d.Pairs) dict.Entries[Eval(k, scope)] = Eval(v, scope);
                return dict;
            case BlockBodyExpr:
                return _blockBody;
            default:
                throw new InvalidOperationException($"unknown expression {e.GetType().Name}");
        }
    }

    private static bool Compare(CompareOp op, JinjaValue a, JinjaValue b) => op switch
    {
        CompareOp.Eq => PythonEquality.Instance.Equals(a, b),
        CompareOp.Ne => !PythonEquality.Instance.Equals(a, b),
        CompareOp.Lt => PythonEquality.Compare(a, b) < 0,
        CompareOp.Le => PythonEquality.Compare(a, b) <= 0,
        CompareOp.Gt => PythonEquality.Compare(a, b) > 0,
        CompareOp.Ge => PythonEquality.Compare(a, b) >= 0,
        CompareOp.In => JinjaOperations.Contains(b, a),
        _ => !JinjaOperations.Contains(b, a),
    };

    /// <summary>Evaluates the callee; for <c>obj.method(...)</c> returns the receiver in <paramref name="receiver"/> instead.</summary>
    private JinjaValue EvalCallee(CallExpr c, JinjaScope scope, out (JinjaValue Target, string Name)? receiver)
    {
        if (c.Callee is AttributeExpr a)
        {
            var target = Eval(a.Target, scope);
            if (JinjaMethods.Has(target, a.Name))
            {
                receiver = (target, a.Name);
                return target;
            }
            receiver = null;
            return JinjaAccess.GetAttribute(target, a.Name);
        }
        receiver = null;
        return Eval(c.Callee, scope);
    }

    private static JinjaValue Invoke(JinjaValue callee, (JinjaValue Target, string Name)? receiver, JinjaArguments args)
    {
        if (receiver is { } r)
            return JinjaMethods.TryCall(r.Target, r.Name, args, out var result) ? result : JinjaValue.Undefined;
        return callee switch
        {
            JinjaCallable f => f.Invoke(args),
            JinjaUndefined u => throw new JinjaRuntimeError(u.Name is null ? "called an undefined value" : $"'{u.Name}' is undefined"),
            _ => throw new JinjaRuntimeError($"'{callee.TypeName}' object is not callable"),
        };
    }

    private JinjaArguments EvalArgs(CallArgs args, JinjaScope scope)
    {
        if (args.Positional.Length == 0 && args.Named.Length == 0) return JinjaArguments.Empty;
        var positional = new JinjaValue[args.Positional.Length];
        for (int i = 0; i < positional.Length; i++) positional[i] = Eval(args.Positional[i], scope);
        var named = new KeyValuePair<string, JinjaValue>[args.Named.Length];
        for (int i = 0; i < named.Length; i++) named[i] = new(args.Named[i].Name, Eval(args.Named[i].Value, scope));
        return new JinjaArguments(positional, named);
    }
}
