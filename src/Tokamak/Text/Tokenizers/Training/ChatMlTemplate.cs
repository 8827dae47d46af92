namespace Tokamak.Text.Tokenizers.Training;

/// <summary>
/// The default model's chat template: ChatML turns (<c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>) with Qwen/Hermes-style
/// tools. Tools are listed in the system turn inside <c>&lt;tools&gt;</c>; an assistant's <c>tool_calls</c> are written as
/// <c>&lt;tool_call&gt;\n{"name": …, "arguments": …}\n&lt;/tool_call&gt;</c>; consecutive <c>tool</c> messages go in one user turn,
/// each inside <c>&lt;tool_response&gt;</c>. The tools preamble is kept short because the model's context is small.
/// </summary>
public static class ChatMlTemplate
{
    /// <summary>Start of a turn.</summary>
    public const string ImStart = "<|im_start|>";
    /// <summary>End of a turn (the model's end-of-sequence token).</summary>
    public const string ImEnd = "<|im_end|>";
    /// <summary>Document separator for pretraining and padding.</summary>
    public const string EndOfText = "<|endoftext|>";
    /// <summary>Opens a tool call.</summary>
    public const string ToolCallOpen = "<tool_call>";
    /// <summary>Closes a tool call.</summary>
    public const string ToolCallClose = "</tool_call>";

    /// <summary>The Jinja source.</summary>
    public const string Source =
        """
        {%- if tools %}
        {{- '<|im_start|>system\n' }}
        {%- if messages and messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}
        {{- '# Tools\n<tools>' }}
        {%- if tools is string %}{{- '\n' + tools }}{%- else %}{%- for tool in tools %}{{- '\n' + (tool | tojson) }}{%- endfor %}{%- endif %}
        {{- '\n</tools>\nTo call a tool, answer with <tool_call>\n{"name": <name>, "arguments": <json>}\n</tool_call><|im_end|>\n' }}
        {%- elif messages and messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
        {%- endif %}
        {%- for message in messages %}
        {%- if message.role == 'system' %}
        {%- if not loop.first %}{{- raise_exception('a system message must come first') }}{%- endif %}
        {%- elif message.role == 'user' or (message.role == 'assistant' and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
        {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant' }}
        {%- if message.content %}{{- '\n' + message.content }}{%- endif %}
        {%- for call in message.tool_calls %}
        {%- if call.function is defined %}{%- set call = call.function %}{%- endif %}
        {{- '\n<tool_call>\n{"name": "' + call.name + '", "arguments": ' }}
        {%- if call.arguments is string %}{{- call.arguments }}{%- else %}{{- call.arguments | tojson }}{%- endif %}
        {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
        {%- elif message.role == 'tool' %}
        {%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
        {{- '\n<tool_response>\n' + message.content + '\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\n' }}{%- endif %}
        {%- else %}
        {{- raise_exception('unknown role: ' + message.role) }}
        {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}
        """;
}
