"""Tool schemas: compact inputs that keep every field, outputs that describe what a call returns."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import jsonschema
import pytest
import referencing
import referencing.jsonschema
from pydantic import BaseModel

from charter.agents.toolschema import SchemaError, compact, input_schema, output_schema, result_schema
from charter.connectors.github import GitHubConnector
from charter.connectors.gmail.models import Message, Thread
from charter.connectors.registry import connectors
from charter.schemas import Provenance

if TYPE_CHECKING:
    from conftest import Env

NEW_NOTE = {"repo": "acme/web", "text": "Looks like a duplicate of #2."}


def test_a_field_named_title_survives_compaction() -> None:
    schema = input_schema(GitHubConnector.actions["create_issue"].request)
    assert "title" in schema["properties"]
    assert set(schema["required"]) <= set(schema["properties"])


def _keys(node: object) -> set[str]:
    if isinstance(node, dict):
        props = node.get("properties", {})
        inner = [v for k, v in node.items() if k != "properties"] + list(props.values())
        return set(node) - {"properties"} | {k for v in inner for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


@pytest.mark.parametrize("name", sorted(connectors()))
def test_input_schemas_drop_what_a_model_does_not_need(name: str) -> None:
    for spec in connectors()[name].actions.values():
        schema = input_schema(spec.request)
        assert not _keys(schema) & {"title", "$defs", "$ref"}, spec.name
        assert "description" not in schema  # the tool's description says it
        text = json.dumps(schema)
        assert '{"type": "null"}' not in text, spec.name
        assert '"default": null' not in text
        assert '"default": ""' not in text
        assert "x-charter" not in text


def test_every_tool_publishes_an_output_schema_that_its_results_satisfy(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    tools = {t.name: t for t in kit.tools()}
    assert all(t.output_schema and t.output_schema["type"] == "object" for t in tools.values())
    calls = [
        ("notes_list_notes", {"repo": "acme/web"}),
        ("notes_get_note", {"repo": "acme/web", "number": 1}),
        ("notes_draft_note", NEW_NOTE),
        ("notes_label_note", {"repo": "acme/web", "number": 1, "label": "bug"}),
    ]
    for name, args in calls:
        result = kit.call(name, args).to_dict()
        assert result["status"] == "ok", result
        jsonschema.validate(result["data"], tools[name].output_schema or {})
    drafted = kit.call("notes_draft_note", {"repo": "acme/web", "text": "plain"}).to_dict()["data"]
    committed = kit.call("notes_commit_draft", {"draft_id": drafted["draft_id"]})
    assert committed.status == "approval_required"


def test_output_schema_rejects_a_result_of_another_shape(env: Env) -> None:
    tool = next(t for t in env.toolkit(env.grant().token).tools() if t.name == "notes_get_note")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"untrusted": "x", "data": {"text": 1}}, tool.output_schema or {})


@pytest.mark.parametrize("name", sorted(connectors()))
def test_output_schemas_are_valid_json_schema_objects(name: str) -> None:
    for spec in connectors()[name].actions.values():
        schema = output_schema(spec.verb, spec.result)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object"
        assert "untrusted" in schema["required"] or spec.verb != "read"


def _schemas() -> list[tuple[str, str, dict[str, object]]]:
    out = []
    for service, cls in sorted(connectors().items()):
        for spec in cls.actions.values():
            name = spec.tool_name(service)
            out.append((name, "input", input_schema(spec.request)))
            out.append((name, "output", output_schema(spec.verb, spec.result)))
    return out


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize(
    ("tool", "kind", "schema"), _schemas(), ids=lambda v: v if isinstance(v, str) else "-"
)
def test_every_schema_compiles_and_every_ref_resolves_inside_it(
    tool: str, kind: str, schema: dict[str, object]
) -> None:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # An empty registry, as MCP clients compile them: a reference resolves in the schema or nowhere.
    root = referencing.jsonschema.DRAFT202012.create_resource(schema)
    resolver = referencing.Registry().resolver_with_root(root)
    for ref in _refs(schema):
        resolver.lookup(ref)
    cls(schema, registry=referencing.Registry()).is_valid({})


def test_an_optional_model_field_is_inlined_not_left_as_a_dangling_ref() -> None:
    class When(BaseModel):
        day: str

    class Meeting(BaseModel):
        start: When | None = None
        ends: list[When | None] = []

    for schema in (input_schema(Meeting), result_schema(Meeting)):
        assert _refs(schema) == [], schema
    assert result_schema(Meeting)["properties"]["start"]["anyOf"][1] == {"type": "null"}


def test_a_reference_that_cannot_be_inlined_is_refused() -> None:
    with pytest.raises(SchemaError):
        compact({"properties": {"x": {"$ref": "#/$defs/Missing"}}}, {})
    with pytest.raises(SchemaError):
        compact({"$ref": "https://example.invalid/schema.json"}, {})
    loop = {"Node": {"properties": {"next": {"$ref": "#/$defs/Node"}}}}
    with pytest.raises(SchemaError):
        compact({"$ref": "#/$defs/Node"}, loop)


def test_result_schemas_admit_null_wherever_a_nested_result_field_may_be_none() -> None:
    message = Message(id="m1", provenance=Provenance(connector="gmail", id="m1"), thread_id="t1")
    thread = Thread(id="t1", provenance=Provenance(connector="gmail", id="t1"), messages=[message])
    dumped = thread.model_dump(mode="json")
    assert dumped["messages"][0]["html"] is None
    assert dumped["messages"][0]["date"] is None
    jsonschema.validate(dumped, result_schema(Thread))
    # The control: the input form drops null (an LLM omits a field instead), so it refuses this dump.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dumped, input_schema(Thread))
