"""Strict-mode schemas, API-safe tool names and the parsing of the model's calls, without a service."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from charter.agents.formats import TOOL_NAME, AnthropicTools, OpenAITools, strict_schema, wire_name
from charter.agents.formats.strict import without_nulls
from charter.agents.tools import Tool, ToolResult

STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "description", "enum",
    "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems",
}  # fmt: skip


def assert_strict(node: Mapping[str, Any], *, root: bool = True) -> None:
    """Fails unless `node` keeps OpenAI strict mode's rules, checked independently of the converter."""
    if root:
        assert node["type"] == "object"
        assert "anyOf" not in node
    assert set(node) <= STRICT_KEYWORDS, set(node) - STRICT_KEYWORDS
    assert {"type", "anyOf", "enum", "const"} & node.keys()
    if node.get("type") == "object" or "properties" in node:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
        for prop in node["properties"].values():
            assert_strict(prop, root=False)
    if "items" in node:
        assert_strict(node["items"], root=False)
    for branch in node.get("anyOf", ()):
        assert_strict(branch, root=False)
    assert "(?" not in node.get("pattern", "")


class Color(StrEnum):
    RED = "red"
    BLUE = "blue"


class Window(BaseModel):
    start: int = Field(ge=0)
    end: int | None = None


class Search(BaseModel):
    """A request model with every kind of optional field a connector uses."""

    model_config = ConfigDict(regex_engine="python-re")

    query: str = Field(min_length=1, max_length=100, pattern=r"^[a-z ]+$")
    state: Literal["open", "closed"] = "open"
    color: Color = Color.RED
    labels: list[str] = Field(default_factory=list, max_length=5)
    per_page: int = Field(default=30, ge=1, le=100, description="Items per page.")
    cursor: str | None = None
    window: Window | None = None
    branch: str = Field(default="main", pattern=r"^(?!/)[\w/-]+$")


def test_a_request_model_becomes_a_strict_schema_that_keeps_strict_rules() -> None:
    original = Search.model_json_schema()
    converted = strict_schema(_inlined(original))

    assert converted is not None
    assert_strict(converted)
    assert converted["properties"]["per_page"]["type"] == ["integer", "null"]
    assert converted["properties"]["per_page"]["description"] == "Items per page. null for the default (30)."
    assert converted["properties"]["color"]["description"] == 'Null for the default ("red").'
    assert converted["properties"]["state"]["enum"] == ["open", "closed", None]
    assert "pattern" not in converted["properties"]["branch"]  # a lookahead is not portable
    assert converted["properties"]["query"]["pattern"] == "^[a-z ]+$"


def test_a_strict_call_with_nulls_for_omitted_fields_validates_once_the_nulls_are_dropped() -> None:
    schema = _inlined(Search.model_json_schema())
    converted = strict_schema(schema)
    assert converted is not None
    call = {name: None for name in converted["properties"]} | {
        "query": "crash on login",
        "window": {"start": 3, "end": None},
    }

    jsonschema.validate(call, converted)
    args = without_nulls(call, schema)

    # `cursor` accepts null itself, so its null is kept as a value; the others fall back to defaults.
    assert args == {"query": "crash on login", "cursor": None, "window": {"start": 3, "end": None}}
    request = Search.model_validate(args)
    assert request.per_page == 30
    assert request.window == Window(start=3, end=None)


@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "object",
            "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
        {"type": "object", "properties": {"x": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}},
        {"type": "object", "properties": {"anything": {}}},
        {"type": "object", "properties": {}, "required": ["title"]},  # required but not described
        {"type": "object", "properties": {"tags": {"type": "array"}}},
        {"anyOf": [{"type": "object"}, {"type": "null"}]},
    ],
    ids=["open-map", "one-of", "untyped", "undescribed-required", "array-without-items", "root-any-of"],
)
def test_a_schema_strict_mode_cannot_express_is_not_made_strict(schema: dict[str, Any]) -> None:
    assert strict_schema(schema) is None


class FakeToolkit:
    """Just enough of a Toolkit to see which name and arguments a runner passes on."""

    def __init__(self, *tools: Tool) -> None:
        self._tools = list(tools)
        self.calls: list[tuple[str, object]] = []

    def tools(self) -> list[Tool]:
        return self._tools

    def call(self, name: str, args: object = None) -> ToolResult:
        self.calls.append((name, args))
        return ToolResult(status="ok", tool=name, data={"echo": args if isinstance(args, dict) else None})


def _tool(name: str, schema: dict[str, Any]) -> Tool:
    return Tool(
        name=name, description="Test tool.", input_schema=schema, verb="read",
        service="notes", connection="notes-mona", action="list",
    )  # fmt: skip


OPEN_MAP = {"type": "object", "properties": {"labels": {"type": "object", "additionalProperties": True}}}


def test_with_strict_on_only_expressible_tools_are_strict_and_the_rest_keep_their_schema() -> None:
    search = _tool("notes_search", _inlined(Search.model_json_schema()))
    tag = _tool("notes_tag", OPEN_MAP)
    exported = OpenAITools(FakeToolkit(search, tag), strict=True).responses_tools()  # type: ignore[arg-type]

    assert [(t["name"], t["strict"]) for t in exported] == [("notes_search", True), ("notes_tag", False)]
    assert_strict(exported[0]["parameters"])
    assert exported[1]["parameters"] == OPEN_MAP


def test_a_tool_name_the_apis_refuse_is_exported_safe_and_mapped_back() -> None:
    kit = FakeToolkit(_tool("notes.v2/list notes", {"type": "object", "properties": {}}))
    openai = OpenAITools(kit)  # type: ignore[arg-type]
    anthropic = AnthropicTools(kit)  # type: ignore[arg-type]
    name = openai.chat_tools()[0]["function"]["name"]

    assert TOOL_NAME.fullmatch(name)
    assert anthropic.tools()[0]["name"] == name
    openai.run_chat([{"id": "c1", "type": "function", "function": {"name": name, "arguments": "{}"}}])
    anthropic.run([{"type": "tool_use", "id": "t1", "name": name, "input": {}}])
    assert [c[0] for c in kit.calls] == ["notes.v2/list notes", "notes.v2/list notes"]


@given(st.lists(st.text(min_size=1, max_size=90), min_size=2, max_size=6, unique=True))
def test_every_name_becomes_a_distinct_api_safe_name(names: list[str]) -> None:
    wired = [wire_name(n) for n in names]

    assert all(TOOL_NAME.fullmatch(w) for w in wired)
    assert len(set(wired)) == len(names)


@given(st.from_regex(TOOL_NAME, fullmatch=True))
def test_a_name_that_already_fits_is_kept(name: str) -> None:
    assert wire_name(name) == name


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]", '"text"', "[" * 100_000, b"\xff{}", 42])
def test_malformed_arguments_go_on_to_the_toolkit_as_sent(arguments: object) -> None:
    # The Toolkit refuses them with a typed error and records the call (tests/agents/test_intake.py).
    kit = FakeToolkit(_tool("notes_list", {"type": "object", "properties": {}}))
    out = OpenAITools(kit, strict=True).run_responses(  # type: ignore[arg-type]
        [{"type": "function_call", "call_id": "call_9", "name": "notes_list", "arguments": arguments}]
    )

    assert out[0]["call_id"] == "call_9"
    assert kit.calls == [("notes_list", arguments)]


def test_empty_arguments_mean_no_arguments() -> None:
    kit = FakeToolkit(_tool("notes_list", {"type": "object", "properties": {}}))
    OpenAITools(kit).run_chat(  # type: ignore[arg-type]
        {
            "role": "assistant",
            "tool_calls": [{"id": "c", "function": {"name": "notes_list", "arguments": ""}}],
        }
    )
    assert kit.calls == [("notes_list", {})]


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic schema with its `$defs` references inlined, as the Toolkit's tools carry them."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items() if k not in ("title", "$ref", "properties")}
        if "properties" in node:
            out["properties"] = {name: walk(prop) for name, prop in node["properties"].items()}
        if "$ref" in node:
            out = {**walk(defs[node["$ref"].split("/")[-1]]), **out}
        return out

    return dict(walk(schema))
