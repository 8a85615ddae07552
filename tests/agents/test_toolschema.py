"""Tool schemas: compact inputs that keep every field, outputs that describe what a call returns."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import jsonschema
import pytest

from charter.agents.toolschema import input_schema, output_schema
from charter.connectors.github import GitHubConnector
from charter.connectors.registry import connectors

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
