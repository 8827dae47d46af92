namespace Tokamak.Text.Templates;

/// <summary>An expression node; Line/Column (1-based) locate it in the source for runtime errors.</summary>
internal abstract record Expr(int Line, int Column);

internal sealed record LiteralExpr(JinjaValue Value, int Line, int Column) : Expr(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

/// <summary><c>[a, b]</c> or <c>(a, b)</c>.</summary>
internal sealed record ListExpr(Expr[] Items, bool IsTuple, int Line, int Column) : Expr(Line, Column);

internal sealed record DictExpr((Expr Key, Expr Value)[] Pairs, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj.name</c></summary>
internal sealed record AttributeExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj[key]</c></summary>
internal sealed record IndexExpr(Expr Target, Expr Key, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj[start:stop:step]</c>; absent parts are null.</summary>
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

internal sealed record CallArgs(Expr[] Positional, (string Name, Expr Value)[] Named)
{
    public static readonly CallArgs None = new([], []);
}

internal sealed record CallExpr(Expr Callee, CallArgs Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value | name(args)</c>; the filter is resolved at parse time so unknown names fail early.</summary>
internal sealed record FilterExpr(Expr Value, string Name, JinjaFilter Filter, CallArgs Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value is [not] name(args)</c></summary>
internal sealed record TestExpr(Expr Value, string Name, JinjaTest Test, CallArgs Args, bool Negated, int Line, int Column) : Expr(Line, Column);

internal enum UnaryOp { Not, Negate, Plus }

internal sealed record UnaryExpr(UnaryOp Op, Expr Operand, int Line, int Column) : Expr(Line, Column);

internal enum BinaryOp { Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power, Concat, And, Or }

internal sealed record BinaryExpr(BinaryOp Op, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

internal enum CompareOp { Eq, Ne, Lt, Le, Gt, Ge, In, NotIn }

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c> (Python semantics: each pair must hold).</summary>
internal sealed record CompareExpr(Expr First, (CompareOp Op, Expr Operand)[] Rest, int Line, int Column) : Expr(Line, Column);

/// <summary><c>then if cond else otherwise</c>; a missing else yields undefined.</summary>
internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line, int Column) : Expr(Line, Column);
