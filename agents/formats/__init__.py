"""A grant's tools in the OpenAI and Anthropic tool formats, and runners for the calls models make.

`OpenAITools(kit).responses_tools()` / `.chat_tools()` and `AnthropicTools(kit).tools()` give the
definitions; `.run_responses(response)`, `.run_chat(message)` and `.run(message)` run the model's
calls through the Toolkit (grant, policy, approval, audit) and return the results in the same
format, as JSON text that keeps the untrusted-data envelope and provenance. When a tool can
change anything, `charter_resume` is offered too, to finish a call a person approved.
"""

from charter.agents.formats._calls import RESUME_TOOL, TOOL_NAME, result_text, wire_name
from charter.agents.formats.anthropic import AnthropicTools
from charter.agents.formats.openai import OpenAITools
from charter.agents.formats.strict import strict_schema

__all__ = [
    "RESUME_TOOL",
    "TOOL_NAME",
    "AnthropicTools",
    "OpenAITools",
    "result_text",
    "strict_schema",
    "wire_name",
]
