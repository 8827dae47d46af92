using System.Text.Json.Nodes;
using Tokamak.Text.Templates;

namespace Tokamak.Tests.Text.Templates;

/// <summary>
/// Jinja2 language semantics under Hugging Face's settings (trim_blocks, lstrip_blocks, loopcontrols,
/// tojson = json.dumps(ensure_ascii=False)). Every expectation is derived by hand from the Jinja2/Python
/// documentation (and was re-checked against Python jinja2 3.1.6), never produced by this engine.
/// </summary>
public class JinjaLanguageTests
{
    public sealed record Case(string Name, string Template, string Context, string Expected)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, string template, string context, string expected) => new(name, template, context, expected);

    /// <summary>Fixed clock for strftime_now: 2024-07-26 09:05:03 local (= UTC here).</summary>
    internal sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2024, 7, 26, 9, 5, 3, TimeSpan.Zero);
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    public static readonly Case[] All =
    [
        // ---- whitespace control, trim_blocks, lstrip_blocks
        C("minus_strips_both_sides", "a  {{- 'b' -}}  c", "{}", "abc"),
        C("block_minus_strips_newlines", "a\n  {%- if true %}x{% endif %}", "{}", "ax"),
        C("block_end_minus_strips_following", "{% if true -%}\n\n  x{% endif %}", "{}", "x"),
        C("trim_blocks_eats_one_newline", "{% if true %}\nyes\n{% endif %}\nafter", "{}", "yes\nafter"),
        C("trim_blocks_only_one_newline", "{% if true %}\n\nyes{% endif %}", "{}", "\nyes"),
        C("lstrip_blocks_indentation", "  {% if true %}\n  x\n  {% endif %}\ndone", "{}", "  x\ndone"),
        C("lstrip_not_for_expressions", "  {{ 'v' }}|", "{}", "  v|"),
        C("lstrip_only_when_alone_on_line", "x  {% if true %}y{% endif %}", "{}", "x  y"),
        C("plus_disables_lstrip", "  {%+ if true %}x{% endif %}", "{}", "  x"),
        C("plus_disables_trim", "{% if true +%}\nx{% endif %}", "{}", "\nx"),
        C("comment_removed", "a {# comment #} b", "{}", "a  b"),
        C("comment_lstrip_and_trim", "  {# c #}\nb", "{}", "b"),
        C("comment_minus", "a{#- c -#}  b", "{}", "ab"),
        C("single_trailing_newline_dropped", "hi\n\n", "{}", "hi\n"),
        C("crlf_normalized", "a\r\nb", "{}", "a\nb"),
        C("raw_block", "{% raw %}{{ x }}{% endraw %}", "{}", "{{ x }}"),
        C("indented_block_lines_vanish", "{% for x in [1, 2] %}\n    {% if x == 2 %}\n    <{{ x }}>\n    {% endif %}\n{% endfor %}\nend", "{}", "    <2>\nend"),

        // ---- loops
        C("loop_variables", "{% for x in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "{}",
            "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;"),
        C("loop_prev_next", "{% for x in 'abc' %}{{ loop.previtem }}-{{ loop.nextitem }}|{% endfor %}", "{}", "-b|a-c|b-|"),
        C("loop_else", "{% for x in [] %}x{% else %}empty{% endfor %}", "{}", "empty"),
        C("loop_inline_filter", "{% for x in range(10) if x is odd %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", "{}", "1,3,5,7,9"),
        C("loop_filter_length", "{% for x in range(10) if x > 6 %}{{ loop.length }}{% endfor %}", "{}", "333"),
        C("loop_tuple_unpacking", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{\"d\": {\"b\": 1, \"a\": 2}}", "b=1;a=2;"),
        C("loop_over_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", "{\"d\": {\"b\": 1, \"a\": 2}}", "ba"),
        C("loop_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{}", "0134"),
        C("nested_loops", "{% for a in [1,2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }} {% endfor %}", "{}", "1x11y21 2x12y22 "),
        C("loop_scope_does_not_leak", "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "{}", "21"),
        C("loop_cycle", "{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}", "{}", "aba"),
        C("loop_over_reversed_slice", "{% for m in l[::-1] %}{{ m }}{% endfor %}", "{\"l\": [1, 2, 3]}", "321"),

        // ---- set, namespace, macros, blocks
        C("namespace_assignment", "{% set ns = namespace(count=0, found=false) %}{% for x in [1,2,3] %}{% set ns.count = ns.count + x %}{% endfor %}{{ ns.count }} {{ ns.found }}", "{}", "6 False"),
        C("set_tuple", "{% set a, b = 1, 2 %}{{ b }}{{ a }}", "{}", "21"),
        C("set_in_if_is_visible", "{% if true %}{% set x = 'in' %}{% endif %}{{ x }}", "{}", "in"),
        C("set_block", "{% set x %}a{{ 1 + 1 }}b{% endset %}[{{ x }}]", "{}", "[a2b]"),
        C("set_block_filtered", "{% set x | upper %}abc{% endset %}{{ x }}", "{}", "ABC"),
        C("filter_block", "{% filter upper %}hi {{ 'there' }}{% endfilter %}", "{}", "HI THERE"),
        C("macro_defaults_and_keywords", "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }}", "{}", "Hello Bob! Hello Al?"),
        C("macro_call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold{% endcall %}", "{}", "<b>bold</b>"),
        C("macro_call_block_with_args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1,2]) %}[{{ x }}]{% endcall %}", "{}", "[1][2]"),
        C("macro_recursion", "{% macro down(n) %}{{ n }}{% if n > 0 %}{{ down(n - 1) }}{% endif %}{% endmacro %}{{ down(3) }}", "{}", "3210"),
        C("macro_sees_template_variables", "{% set sep = '/' %}{% macro j(a, b) %}{{ a }}{{ sep }}{{ b }}{% endmacro %}{{ j(1, 2) }}", "{}", "1/2"),
        C("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}", "{}", "1(2, 3){'k': 4}"),
        C("loop_depth_counts_recursion_not_nesting", "{% for x in [1] %}{% for y in [2] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}{% endfor %}", "{}", "10"),
        C("macro_missing_argument_is_undefined", "{% macro m(a, b) %}[{{ a }}|{{ b }}|{{ b is defined }}]{% endmacro %}{{ m(1) }}", "{}", "[1||False]"),

        // ---- expressions
        C("arithmetic", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 1.5 + 1 }} {{ 'ab' * 2 }}", "{}",
            "7 9 3 -4 1 2 3.5 2.0 1024 2.5 abab"),
        C("concat_operator", "{{ 1 ~ 'a' ~ none ~ true }}", "{}", "1aNoneTrue"),
        C("tilde_binds_tighter_than_plus", "{{ 'x' + 1 ~ 2 }}", "{}", "x12"),
        C("comparisons", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 'ab' in 'cabd' }} {{ 2 not in [1,3] }} {{ 'k' in {'k': 1} }} {{ [1, 2] == [1, 2] }}", "{}",
            "True False True True True True True True"),
        C("and_or_return_operands", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }}|{{ none or false }}", "{}", "x b |False"),
        C("not_binds_looser_than_compare", "{{ not 1 == 2 }} {{ not x is defined }}", "{}", "True True"),
        C("ternary", "{{ 'yes' if 1 > 0 else 'no' }} {{ 'y' if false }}|", "{}", "yes |"),
        C("python_reprs", "{{ [1, 'a', none, true, 1.5] }} {{ {'a': [1, 2], 'b': {'c': none}} }} {{ (1,) }} {{ (1, 2) }} {{ () }}", "{}",
            "[1, 'a', None, True, 1.5] {'a': [1, 2], 'b': {'c': None}} (1,) (1, 2) ()"),
        C("string_repr_quotes_and_escapes", "{{ [\"it's\", 'a\\nb', 'q\"'] }}", "{}", "[\"it's\", 'a\\nb', 'q\"']"),
        C("float_repr", "{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.0e-5 }} {{ 100.0 }} {{ 1 / 3 }} {{ 1e15 }} {{ 1e16 }} {{ 0.0001 }}", "{}",
            "0.30000000000000004 1e+20 1e-05 100.0 0.3333333333333333 1000000000000000.0 1e+16 0.0001"),
        C("string_literal_escapes", "{{ 'tab\\there' }}|{{ \"dq\\\"s\" }}|{{ 'a' 'b' }}", "{}", "tab\there|dq\"s|ab"),
        C("attribute_and_subscript", "{{ m.role }} {{ m['role'] }} {{ l[0] }} {{ l[-1] }} {{ l[5] }}|{{ m.missing }}|{{ m['items'] }}", "{\"m\": {\"role\": \"user\", \"items\": 5}, \"l\": [10, 20, 30]}",
            "user user 10 30 ||5"),
        C("slicing", "{{ l[::-1] }} {{ l[1:] }} {{ l[:-1] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ 'hello'[-3:] }} {{ l[::2] }} {{ 'hello'[-1] }}", "{\"l\": [10, 20, 30]}",
            "[30, 20, 10] [20, 30] [10, 20] el olleh llo [10, 30] o"),
        C("json_numbers_keep_python_types", "{{ i }} {{ f }} {{ f2 }} {{ i is integer }} {{ f2 is float }}", "{\"i\": 3, \"f\": 2.5, \"f2\": 1.0}", "3 2.5 1.0 True True"),

        // ---- tests
        C("type_tests", "{{ s is string }}{{ n is number }}{{ n is integer }}{{ f is integer }}{{ f is number }}{{ b is boolean }}{{ b is number }}{{ b is integer }}{{ d is mapping }}{{ l is mapping }}{{ l is iterable }}{{ s is iterable }}{{ n is iterable }}{{ l is sequence }}",
            "{\"s\": \"x\", \"n\": 3, \"f\": 1.5, \"b\": true, \"d\": {}, \"l\": []}",
            "TrueTrueTrueFalseTrueTrueTrueFalseTrueFalseTrueTrueFalseTrue"),
        C("value_tests", "{{ z is none }}{{ u is defined }}{{ u is undefined }}{{ z is defined }}{{ n is odd }}{{ n is even }}{{ b is true }}{{ 1 is true }}{{ false is false }}{{ n is divisibleby 3 }}{{ n is equalto 3 }}{{ n is eq 4 }}{{ s is not string }}{{ z is not none }}",
            "{\"s\": \"x\", \"n\": 3, \"b\": true, \"z\": null}",
            "TrueFalseTrueTrueTrueFalseTrueFalseTrueTrueTrueFalseFalseFalse"),

        // ---- filters
        C("tojson_default_separators", "{{ t | tojson }}",
            "{\"t\": {\"name\": \"f\", \"desc\": \"\u00dcn\u00efcode \\\"q\\\" \\\\ \\n \u4e16\", \"n\": 1, \"x\": 1.5, \"ok\": true, \"nil\": null, \"arr\": [1, \"a\"], \"empty\": {}, \"el\": []}}",
            "{\"name\": \"f\", \"desc\": \"\u00dcn\u00efcode \\\"q\\\" \\\\ \\n \u4e16\", \"n\": 1, \"x\": 1.5, \"ok\": true, \"nil\": null, \"arr\": [1, \"a\"], \"empty\": {}, \"el\": []}"),
        C("tojson_indent", "{{ {'a': [1, 2], 'b': {}, 'c': 'x'} | tojson(indent=2) }}", "{}", "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": \"x\"\n}"),
        C("tojson_no_html_escaping", "{{ '<a>&\\'' | tojson }}", "{}", "\"<a>&'\""),
        C("string_filters", "{{ '  Hi there  ' | trim }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hello wORLD' | title }}|{{ 'hELLO world' | capitalize }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'xxhixx' | trim('x') }}", "{}",
            "Hi there|ABC|abc|Hello World|Hello world|bba|hi"),
        C("join_filter", "{{ [1, 2, 3] | join(', ') }}|{{ users | join('/', attribute='name') }}|{{ ['a', 'b'] | join }}", "{\"users\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}", "1, 2, 3|a/b|ab"),
        C("first_last_length", "{{ [3,1,2] | first }}{{ [3,1,2] | last }}{{ [3,1,2] | length }}{{ 'abc' | count }}{{ {'a':1} | length }}{{ '\u4e16\U0001F600' | length }}", "{}", "323312"),
        C("default_filter", "{{ u | default('dflt') }}|{{ none | default('x') }}|{{ '' | default('e', true) }}|{{ '' | d('e') }}|", "{}", "dflt|None|e||"),
        C("conversion_filters", "{{ 'ab' | list }}|{{ 12 | string ~ 'x' }}|{{ '42' | int + 1 }}|{{ '3.7' | int }}|{{ 'x' | int }}|{{ '2.5' | float }}|{{ -3 | abs }}|{{ 2.567 | round(2) }}|{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 2.1 | round(method='ceil') }}", "{}",
            "['a', 'b']|12x|43|3|0|2.5|3|2.57|2.0|4.0|3.0"),
        C("items_filter", "{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}{{ v }}{% endfor %}", "{}", "a1b2"),
        C("select_map_filters", "{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | join }}|{{ msgs | rejectattr('role', 'eq', 'system') | map(attribute='role') | join(',') }}|{{ [1,2,3,4] | select('odd') | list }}|{{ [1,2,3,4] | reject('even') | list }}|{{ ['a','b'] | map('upper') | join }}|{{ [0, 1, '', 'x'] | select | list }}|{{ msgs | selectattr('missing') | list }}|{{ msgs | map(attribute='name', default='?') | join }}",
            "{\"msgs\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"U\"}, {\"role\": \"assistant\", \"content\": \"A\"}]}",
            "U|user,assistant|[1, 3]|[1, 3]|AB|[1, 'x']|[]|???"),
        C("unique_sort_reverse", "{{ ['b', 'A', 'a', 'c'] | unique | list }}|{{ [3, 1, 2] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}|{{ ['b', 'a', 'C'] | sort }}|{{ ['b', 'a', 'C'] | sort(case_sensitive=true) }}|{{ [{'n': 2}, {'n': 1}] | sort(attribute='n') | map(attribute='n') | list }}|{{ 'abc' | reverse }}|{{ [1, 2] | reverse | list }}", "{}",
            "['b', 'A', 'c']|[1, 2, 3]|[3, 2, 1]|['a', 'b', 'C']|['C', 'a', 'b']|[1, 2]|cba|[2, 1]"),
        C("escape_and_safe", "{{ '<a href=\"x\">&\\'</a>' | e }}|{{ '<b>' | safe }}", "{}", "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;|<b>"),
        C("indent_filter", "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}", "{}", "a\n  b\n\n  c|  a\n  b|a\n  \n  b"),
        C("wordcount_batch", "{{ 'hello big world' | wordcount }}|{{ [1,2,3,4,5] | batch(2) | list }}", "{}", "3|[[1, 2], [3, 4], [5]]"),
        C("round_is_python_round", "{{ 2.675 | round(2) }} {{ 0.125 | round(2) }} {{ 0.375 | round(2) }} {{ 7 | round }} {{ -2.5 | round }}", "{}", "2.67 0.12 0.38 7 -2.0"),
        C("truncate_filter", "{{ 'hello world foo' | truncate(9) }}|{{ 'hello world' | truncate(9) }}|{{ 'hello world foo' | truncate(9, true) }}", "{}", "hello...|hello world|hello ..."),
        C("sum_min_max", "{{ [1, 2, 3] | sum }}|{{ [3, 1, 2] | min }}|{{ [3, 1, 2] | max }}", "{}", "6|1|3"),

        // ---- Python methods
        C("string_methods", "{{ '  x  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'xxhi'.lstrip('x') }}|{{ 'hi\\n\\n'.rstrip('\\n') }}|{{ 'a,b,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ ' a  b '.split() }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'aXbX'.replace('X', '-') }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'hello'.find('l') }}|{{ 'hello'.find('z') }}|{{ 'hello'.count('l') }}|{{ '{} and {}'.format('a', 'b') }}|{{ '-'.join(['x', 'y']) }}", "{}",
            "x|hi|hi|hi|['a', 'b', 'c']|['a', 'b,c']|['a,b', 'c']|['a', 'b']|True|True|a-b-|ABab|Hello World|Hello|2|-1|2|a and b|x-y"),
        C("think_block_split", "{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}", "{\"c\": \"<think>\\nplan\\n</think>\\n\\nanswer\"}", "answer|plan"),
        C("dict_methods", "{% for k in d.keys() %}{{ k }}{% endfor %}|{{ d.values() | list }}|{{ d.get('a') }}|{{ d.get('zz') }}|{{ d.get('zz', 5) }}", "{\"d\": {\"a\": 1, \"b\": 2}}", "ab|[1, 2]|1|None|5"),

        // ---- undefined
        C("undefined_behaviour", "[{{ u }}]{{ u | length }}{% for x in u %}x{% endfor %}{% if u %}T{% else %}F{% endif %}{{ u is defined }}|{{ u ~ 'a' }}|{{ u | default('d') }}|{{ u == u }}", "{}", "[]0FFalse|a|d|True"),
        C("missing_key_is_undefined", "{% if m.reasoning is defined and m.reasoning is not none %}R{% else %}none{% endif %}", "{\"m\": {\"role\": \"user\"}}", "none"),

        // ---- globals
        C("range_global", "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }}", "{}", "[0, 1, 2] [1, 3, 5] [3, 2, 1]"),
        C("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B') }}", "{}", "26 Jul 2024|2024-07-26 09:05:03 Friday July"),
    ];

    public static TheoryData<Case> Cases() => [.. All];

    internal static string Render(string template, string contextJson = "{}")
    {
        var ctx = JsonNode.Parse(contextJson)!.AsObject().ToDictionary(kv => kv.Key, kv => JinjaValue.FromJson(kv.Value));
        return new JinjaTemplate(template).Render(ctx, new FixedClock());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersLikeJinja2(Case c) => Assert.Equal(c.Expected, Render(c.Template, c.Context));

    [Fact]
    public void ParsedTemplateRendersRepeatedlyWithDifferentContexts()
    {
        var t = new JinjaTemplate("{% for m in messages %}{{ m }};{% endfor %}");
        Assert.Equal("a;b;", t.Render(new Dictionary<string, JinjaValue> { ["messages"] = JinjaValue.FromJson(JsonNode.Parse("[\"a\", \"b\"]")) }));
        Assert.Equal("1;", t.Render(new Dictionary<string, JinjaValue> { ["messages"] = JinjaValue.FromJson(JsonNode.Parse("[1]")) }));
        Assert.Equal("", t.Render());
    }
}
