"""The OpenAPI 3.0 -> JSON Schema conversion and operation matching, on a small description."""

from __future__ import annotations

import json

from charter.sandboxes.fidelity import SCHEMA_URN, OpenAPISpec, to_json_schema
from charter.sandboxes.recording import Exchange

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "tiny"},
    "paths": {
        "/things/{id}": {"get": {"responses": {"200": {"$ref": "#/components/responses/thing"}}}},
        "/things/special": {"get": {"responses": {"204": {"description": "nothing"}}}},
        "/files/{path}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"type": "object"}}}},
                }
            }
        },
    },
    "components": {
        "responses": {
            "thing": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}},
        },
        "schemas": {
            "thing": {
                "type": "object",
                "required": ["id", "owner", "kind"],
                "properties": {
                    "id": {"type": "integer"},
                    "owner": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/owner"}]},
                    "kind": {"type": "string", "enum": ["a", "b"], "nullable": True},
                },
            },
            "owner": {"type": "object", "required": ["login"], "properties": {"login": {"type": "string"}}},
            "basic-error": {"type": "object", "properties": {"message": {"type": "string"}}},
        },
    },
}


def _spec() -> OpenAPISpec:
    return OpenAPISpec(json.loads(json.dumps(SPEC)))


def test_nullable_becomes_a_null_type_and_refs_point_into_the_registry() -> None:
    converted = to_json_schema(SPEC["components"]["schemas"]["thing"])  # type: ignore[index]

    assert converted["properties"]["kind"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    owner = converted["properties"]["owner"]
    assert owner["anyOf"][1] == {"type": "null"}
    assert owner["anyOf"][0]["allOf"] == [{"$ref": SCHEMA_URN + "owner"}]


def test_a_conforming_response_has_no_problems() -> None:
    body = b'{"id": 1, "owner": null, "kind": null}'

    assert _spec().validate("GET", "/things/1", 200, body) == []
    assert _spec().validate("GET", "/things/1", 200, b'{"id": 1, "owner": {"login": "m"}, "kind": "a"}') == []


def test_a_nested_mismatch_is_reported_with_its_location() -> None:
    problems = _spec().validate("GET", "/things/1", 200, b'{"id": 1, "owner": {"login": 5}, "kind": "c"}')

    assert len(problems) == 2
    assert any("$.owner" in p for p in problems)
    assert any("$.kind" in p for p in problems)


def test_literal_segments_win_over_parameters() -> None:
    spec = _spec()

    assert spec.match("GET", "/things/special") is not None
    assert spec.match("GET", "/things/special")[0] == "/things/special"  # type: ignore[index]
    assert spec.match("GET", "/things/7")[0] == "/things/{id}"  # type: ignore[index]


def test_a_trailing_parameter_may_span_slashes() -> None:
    assert _spec().match("GET", "/files/docs/a/b.md")[0] == "/files/{path}"  # type: ignore[index]


def test_a_body_where_none_is_documented_is_a_problem() -> None:
    assert _spec().validate("GET", "/things/special", 204, b"") == []
    assert _spec().validate("GET", "/things/special", 204, b"{}") != []


def test_statuses_github_sends_anywhere_are_checked_against_the_basic_error_shape() -> None:
    spec = _spec()

    assert spec.validate("GET", "/things/1", 304, b"") == []
    assert spec.validate("GET", "/things/1", 503, b'{"message": "down"}') == []
    assert spec.validate("GET", "/things/1", 401, b'{"message": 1}') != []
    assert "not documented" in spec.validate("GET", "/things/1", 418, b"{}")[0]


def test_dropped_and_ignored_exchanges_are_skipped() -> None:
    dropped = Exchange(1, 0.0, "GET", "/things/1", "", {}, b"", None, {}, b"", "dropped_before")
    oauth = Exchange(2, 0.0, "POST", "/login/oauth/access_token", "", {}, b"", 200, {}, b"{}")
    bad = Exchange(3, 0.0, "GET", "/things/1", "", {}, b"", 200, {}, b"{}")

    problems = _spec().validate_exchanges([dropped, oauth, bad], ignore=["/login/*"])

    assert [p.path for p in problems] == ["/things/1"] * len(problems)
    assert problems
