namespace Tokamak.Text.Templates;

/// <summary>A template statement node.</summary>
internal abstract record Node(int Line, int Column);

internal sealed record TextNode(string Text, int Line, int Column) : Node(Line, Column);

/// <summary><c>{{ expr }}</c></summary>
internal sealed record OutputNode(Expr Value, int Line, int Column) : Node(Line, Column);

internal sealed record IfNode((Expr Condition, Node[] Body)[] Branches, Node[]? Else, int Line, int Column) : Node(Line, Column);

/// <summary>An assignment target: a name, a tuple of targets, or <c>namespace.attribute</c>.</summary>
internal abstract record Target(int Line, int Column);
internal sealed record NameTarget(string Name, int Line, int Column) : Target(Line, Column);
internal sealed record TupleTarget(Target[] Items, int Line, int Column) : Target(Line, Column);
internal sealed record AttributeTarget(string Name, string Attribute, int Line, int Column) : Target(Line, Column);

/// <summary><c>{% for target in iter [if filter] [recursive] %}body{% else %}else{% endfor %}</c></summary>
internal sealed record ForNode(Target Target, Expr Iterable, Expr? Filter, Node[] Body, Node[]? Else, bool Recursive, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% set target = value %}</c></summary>
internal sealed record SetNode(Target Target, Expr Value, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% set name | filters %}body{% endset %}</c>; <see cref="Filters"/> wrap a placeholder for the body.</summary>
internal sealed record SetBlockNode(Target Target, Node[] Body, Expr? Filters, int Line, int Column) : Node(Line, Column);

internal sealed record MacroParameter(string Name, Expr? Default);

internal sealed record MacroNode(string Name, MacroParameter[] Parameters, Node[] Body, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: body becomes <c>caller()</c>.</summary>
internal sealed record CallBlockNode(CallExpr Call, MacroParameter[] CallerParameters, Node[] Body, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% filter f %}body{% endfilter %}</c>; <see cref="Filters"/> wrap a placeholder for the body.</summary>
internal sealed record FilterBlockNode(Expr Filters, Node[] Body, int Line, int Column) : Node(Line, Column);

internal sealed record BreakNode(int Line, int Column) : Node(Line, Column);

internal sealed record ContinueNode(int Line, int Column) : Node(Line, Column);

/// <summary>The placeholder a block filter chain is applied to (the rendered body).</summary>
internal sealed record BlockBodyExpr(int Line, int Column) : Expr(Line, Column);
