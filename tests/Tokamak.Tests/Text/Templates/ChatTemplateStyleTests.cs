using System.Text.Json.Nodes;
using Tokamak.Text.Templates;

namespace Tokamak.Tests.Text.Templates;

/// <summary>
/// Small but realistic templates in the style of other model families (SmolLM2 ChatML with a default system
/// prompt, Mistral [INST] with role alternation checks, Mistral v0.3 tools, Llama 3.1 dates and indented tojson,
/// a macro-based Qwen-coder-style tool-call layout), rendered through <see cref="ChatTemplate"/>. Expected outputs
/// are hand-derived from Jinja2 semantics (and were re-checked against Python jinja2 3.1.6).
/// </summary>
public class ChatTemplateStyleTests
{
    public sealed record Case(string Name, string Template, string Context, string Expected)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, string template, string context, string expected) => new(name, template, context, expected);

    private const string SmolLM2 =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}\n";

    private const string Mistral =
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    private const string MistralTools =
        "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set system_message = messages[0][\"content\"] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n{%- set user_messages = loop_messages | selectattr(\"role\", \"equalto\", \"user\") | list %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is not none and (message == user_messages[-1]) %}\n            {{- \"[AVAILABLE_TOOLS] [\" }}\n            {%- for tool in tools %}\n                {{- tool | tojson }}\n                {%- if not loop.last %}\n                    {{- \", \" }}\n                {%- endif %}\n            {%- endfor %}\n            {{- \"][/AVAILABLE_TOOLS]\" }}\n        {%- endif %}\n        {%- if loop.last and system_message is defined %}\n            {{- \"[INST] \" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message[\"role\"] == \"assistant\" %}\n        {{- \" \" + message[\"content\"]|trim + eos_token}}\n    {%- else %}\n        {{- raise_exception(\"Only user and assistant roles are supported!\") }}\n    {%- endif %}\n{%- endfor %}\n";

    private const string Llama31 =
        "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- if strftime_now is defined %}\n        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- if tools is not none %}\n    {{- \"You have access to the following functions.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n{%- for message in messages %}\n    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n";

    private const string MacroToolCalls =
        "{%- macro render_args(args) %}\n    {%- for k, v in args.items() %}\n        {{- '\\n<parameter=' ~ k ~ '>\\n' }}\n        {{- v if v is string else v | tojson }}\n        {{- '\\n</parameter>' }}\n    {%- endfor %}\n{%- endmacro %}\n{%- for message in messages %}\n    {{- '<|im_start|>' + message.role + '\\n' }}\n    {%- if message.content %}\n        {{- message.content }}\n    {%- endif %}\n    {%- for tc in message.tool_calls | default([]) %}\n        {{- '<tool_call>\\n<function=' + tc.function.name + '>' }}\n        {{- render_args(tc.function.arguments) }}\n        {{- '\\n</function>\\n</tool_call>' }}\n    {%- endfor %}\n    {{- '<|im_end|>\\n' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";

    public static readonly Case[] All =
    [
        C("smollm2_default_system", SmolLM2,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true}",
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
        C("smollm2_own_system", SmolLM2,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Be terse.\"}, {\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": false}",
            "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"),
        C("mistral_inst", Mistral,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}, {\"role\": \"user\", \"content\": \"How are you?\"}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}",
            "<s>[INST] Hi [/INST]Hello</s>[INST] How are you? [/INST]"),
        C("mistral_tools_and_system", MistralTools,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \" Hello! \"}, {\"role\": \"user\", \"content\": \"Weather?\"}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}]}",
            "<s>[INST] Hi[/INST] Hello!</s>[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}][/AVAILABLE_TOOLS][INST] Be brief.\n\nWeather?[/INST]"),
        C("mistral_no_tools", MistralTools,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}",
            "<s>[INST] Hi[/INST]"),
        C("llama31_date_and_tools", Llama31,
            "{\"messages\": [{\"role\": \"system\", \"content\": \" Be helpful. \"}, {\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true, \"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|eot_id|>\", \"tools\": [{\"name\": \"f\", \"parameters\": {\"a\": 1}}]}",
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou have access to the following functions.\n\n{\n    \"name\": \"f\",\n    \"parameters\": {\n        \"a\": 1\n    }\n}\n\nBe helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        C("llama31_date_override", Llama31,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": false, \"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|eot_id|>\", \"date_string\": \"01 Jan 2025\"}",
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"),
        C("macro_tool_calls", MacroToolCalls,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, {\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}}]}], \"add_generation_prompt\": false}",
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call><|im_end|>\n"),
    ];

    public static TheoryData<Case> Cases() => [.. All];

    private static string Render(string template, string contextJson)
    {
        var ctx = JsonNode.Parse(contextJson)!.AsObject();
        string? Token(string key) => ctx[key]?.GetValue<string>();
        var chat = new ChatTemplate(template, Token("bos_token"), Token("eos_token")) { TimeProvider = new JinjaLanguageTests.FixedClock() };
        var extra = ctx.Where(kv => kv.Key is not ("messages" or "add_generation_prompt" or "tools" or "bos_token" or "eos_token"))
            .ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());
        return chat.Render(ctx["messages"]!.DeepClone().AsArray(), ctx["add_generation_prompt"]!.GetValue<bool>(),
            ctx["tools"]?.DeepClone().AsArray(), extra);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersLikeJinja2(Case c) => Assert.Equal(c.Expected, Render(c.Template, c.Context));

    [Fact]
    public void MistralRejectsNonAlternatingRoles()
    {
        var e = Assert.Throws<TemplateException>(() => Render(Mistral,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}"));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", e.Message);
        Assert.True(e.RaisedByTemplate);
    }

    [Fact]
    public void NamedTemplateVariantAndObjectSpecialTokens()
    {
        string dir = Directory.CreateTempSubdirectory("tokamak-jinja").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer_config.json");
            File.WriteAllText(path, """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": {"content": "<pad>"},
                 "chat_template": [{"name": "default", "template": "D{{ bos_token }}{{ eos_token }}{{ pad_token }}"},
                                   {"name": "tool_use", "template": "T{{ tools | length }}"}]}
                """);
            Assert.Equal("D<s></s><pad>", ChatTemplate.FromTokenizerConfig(path).Render([], false));
            Assert.Equal("T2", ChatTemplate.FromTokenizerConfig(path, "tool_use").Render([], false, [new JsonObject(), new JsonObject()]));
        }
        finally { Directory.Delete(dir, true); }
    }
}
