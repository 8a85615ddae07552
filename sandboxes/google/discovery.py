"""Google's discovery documents for Gmail v1 and Calendar v3: methods, scopes and response schemas.

The documents are read from the installed google-api-python-client package (its static discovery
cache), so the sandbox, the connectors and the contract tests all agree with the client library.
`match()` finds the method a concrete request calls; `validate_response()` checks a body against
the method's response schema, strictly: a field the document does not declare is a problem, so is
a 64-bit number sent as a JSON number or a `date-time` that is not RFC 3339.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from charter.sandboxes.google.multipart import parse_batch, parse_batch_answer
from charter.sandboxes.recording import Exchange

Api = Literal["gmail", "calendar"]
DOCUMENTS: dict[Api, str] = {"gmail": "gmail.v1.json", "calendar": "calendar.v3.json"}

_INT = r"^-?[0-9]+$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
# Google's "byte" fields are base64; Gmail sends the URL-safe alphabet, with or without padding.
_BYTES = r"^[A-Za-z0-9+/_-]*={0,2}$"
_STRING_FORMATS = {
    "int64": _INT,
    "uint64": _INT,
    "date": _DATE,
    "date-time": _DATETIME,
    "google-datetime": _DATETIME,
    "byte": _BYTES,
}
_INTEGER_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}

# Google's error body, which the discovery documents do not describe.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "errors"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string", "pattern": "^[A-Z_]+$"},
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["message", "domain", "reason"],
                        "additionalProperties": False,
                        "properties": {
                            "message": {"type": "string"},
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                            "location": {"type": "string"},
                            "locationType": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


@dataclass(frozen=True)
class DiscoveryMethod:
    """One API method as its discovery document declares it."""

    id: str
    api: Api
    http_method: str
    path: str
    scopes: tuple[str, ...]
    response: str | None
    request: str | None
    parameters: dict[str, Any]

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regex matching concrete paths of this method, capturing its path parameters."""
        return _path_regex(self.path)


def documents_dir() -> Path:
    """Where the installed google-api-python-client keeps its static discovery documents."""
    import googleapiclient

    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@cache
def load_document(api: Api) -> dict[str, Any]:
    """The discovery document of `api`, parsed once per process."""
    with open(documents_dir() / DOCUMENTS[api], encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def document_for_root(api: Api, root_url: str) -> dict[str, Any]:
    """A copy of the document whose `rootUrl` points at `root_url` (base and batch URLs follow it)."""
    document: dict[str, Any] = json.loads(json.dumps(load_document(api)))
    document["rootUrl"] = root_url.rstrip("/") + "/"
    document["baseUrl"] = document["rootUrl"] + document["servicePath"]
    return document


def _walk(api: Api, resource: dict[str, Any], service_path: str) -> Iterable[DiscoveryMethod]:
    for spec in resource.get("methods", {}).values():
        yield DiscoveryMethod(
            id=spec["id"],
            api=api,
            http_method=spec["httpMethod"],
            path="/" + service_path + spec.get("flatPath", spec["path"]),
            scopes=tuple(spec.get("scopes", ())),
            response=(spec.get("response") or {}).get("$ref"),
            request=(spec.get("request") or {}).get("$ref"),
            parameters=spec.get("parameters", {}),
        )
    for child in resource.get("resources", {}).values():
        yield from _walk(api, child, service_path)


@cache
def methods(api: Api) -> dict[str, DiscoveryMethod]:
    """Every method of `api` by id, e.g. `gmail.users.messages.get`."""
    document = load_document(api)
    return {m.id: m for m in _walk(api, document, document.get("servicePath", ""))}


def method(method_id: str) -> DiscoveryMethod:
    """The method `method_id` (its prefix names the API); KeyError when no document declares it."""
    api = method_id.split(".", 1)[0]
    if api not in DOCUMENTS:
        raise KeyError(method_id)
    return methods(api)[method_id]


def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{([^}]+)\}", template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{pattern}$")


@cache
def _routing_table() -> list[tuple[re.Pattern[str], DiscoveryMethod]]:
    table = [(m.pattern, m) for api in DOCUMENTS for m in methods(api).values()]
    # Literal segments win over parameters: drafts/send before drafts/{id}.
    table.sort(key=lambda row: (-len(re.sub(r"\{[^}]+\}", "", row[1].path)), row[1].path))
    return table


def match(http_method: str, path: str) -> tuple[DiscoveryMethod, dict[str, str]] | None:
    """(method, path parameters) of a concrete request such as `GET /gmail/v1/users/me/profile`."""
    wanted = http_method.upper()
    for regex, candidate in _routing_table():
        if candidate.http_method != wanted:
            continue
        found = regex.match(path)
        if found is not None:
            return candidate, found.groupdict()
    return None


def to_json_schema(node: Any, *, strict: bool = True) -> Any:
    """A discovery schema fragment as JSON Schema (draft 7); `strict` forbids undeclared fields."""
    if isinstance(node, list):
        return [to_json_schema(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": "#/definitions/" + str(node["$ref"])}
    out: dict[str, Any] = {}
    kind = node.get("type")
    if kind == "any":
        return {}
    if kind is not None:
        out["type"] = kind
    if "enum" in node:
        out["enum"] = node["enum"]
    fmt = node.get("format")
    if kind == "string" and fmt in _STRING_FORMATS:
        out["pattern"] = _STRING_FORMATS[fmt]
    if kind == "integer" and fmt in _INTEGER_BOUNDS:
        out["minimum"], out["maximum"] = _INTEGER_BOUNDS[fmt]
    if "items" in node:
        out["items"] = to_json_schema(node["items"], strict=strict)
    if "properties" in node:
        out["properties"] = {k: to_json_schema(v, strict=strict) for k, v in node["properties"].items()}
    if "additionalProperties" in node:
        out["additionalProperties"] = to_json_schema(node["additionalProperties"], strict=strict)
    elif strict and "properties" in node:
        out["additionalProperties"] = False
    return out


@cache
def _definitions(api: Api) -> dict[str, Any]:
    return {name: to_json_schema(s) for name, s in load_document(api).get("schemas", {}).items()}


@cache
def _validator(api: Api, ref: str) -> Draft7Validator:
    schema = {"definitions": _definitions(api), "allOf": [{"$ref": "#/definitions/" + ref}]}
    return Draft7Validator(schema)


_ERROR_VALIDATOR = Draft7Validator(ERROR_SCHEMA)


def _problems(validator: Draft7Validator, body: object) -> list[str]:
    out: list[str] = []
    for error in validator.iter_errors(body):
        deepest = best_match(error.context) if error.context else error
        out.append(f"at {deepest.json_path}: {deepest.message[:300]}")
    return out


def validate_response(method_id: str, body: object, status: int = 200) -> list[str]:
    """Every way `body` differs from what the discovery document says `method_id` answers.

    Error statuses are checked against Google's error body; a method without a response schema
    must answer with an empty body (`None`).
    """
    if status >= 400:
        return _problems(_ERROR_VALIDATOR, body)
    try:
        spec = method(method_id)
    except KeyError:
        return [f"no method {method_id} in the discovery documents"]
    if spec.response is None:
        return [] if body in (None, b"", "") else [f"{method_id} answers with no body, got one"]
    return _problems(_validator(spec.api, spec.response), body)


_TOKEN_ANSWER = {
    "type": "object",
    "required": ["access_token", "expires_in", "token_type", "scope"],
    "additionalProperties": False,
    "properties": {
        "access_token": {"type": "string"},
        "expires_in": {"type": "integer"},
        "refresh_token": {"type": "string"},
        "refresh_token_expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "token_type": {"const": "Bearer"},
        "id_token": {"type": "string"},
    },
}
_OAUTH_ERROR = {
    "type": "object",
    "required": ["error", "error_description"],
    "additionalProperties": False,
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_USERINFO = {
    "type": "object",
    "required": ["sub"],
    "properties": {
        "sub": {"type": "string"},
        "email": {"type": "string"},
        "email_verified": {"type": "boolean"},
    },
}
# Google's OAuth endpoints, with the answer they give on success (None: an empty object or a redirect).
OAUTH_ANSWERS: dict[str, dict[str, Any] | None] = {
    "/token": _TOKEN_ANSWER,
    "/o/oauth2/token": _TOKEN_ANSWER,
    "/revoke": {"type": "object", "maxProperties": 0},
    "/o/oauth2/revoke": {"type": "object", "maxProperties": 0},
    "/oauth2/v3/userinfo": _USERINFO,
    "/oauth2/v3/tokeninfo": None,
    "/o/oauth2/v2/auth": None,
    "/o/oauth2/auth": None,
}


def _json_body(raw: bytes) -> tuple[object, str | None]:
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError):  # nesting deeper than the parser goes
        return None, f"body is not JSON: {raw[:80]!r}"


def _validate_call(method_name: str, path: str, status: int, raw: bytes) -> list[str]:
    found = match(method_name, path.split("?", 1)[0])
    if found is None:
        return [f"no discovery method for {method_name} {path}"]
    body, problem = _json_body(raw)
    if problem:
        return [problem]
    return [f"{found[0].id}: {p}" for p in validate_response(found[0].id, body, status)]


def _validate_oauth(path: str, status: int, raw: bytes) -> list[str]:
    schema = OAUTH_ANSWERS[path]
    body, problem = _json_body(raw)
    if problem and (schema is not None or status >= 400):
        return [problem]
    if status >= 400 and path not in ("/o/oauth2/v2/auth", "/o/oauth2/auth"):
        return _problems(Draft7Validator(_OAUTH_ERROR), body)
    return [] if schema is None or status >= 300 else _problems(Draft7Validator(schema), body)


def _validate_batch(exchange: Exchange) -> list[str]:
    if exchange.status != 200:
        body, problem = _json_body(exchange.response_body)
        return [problem] if problem else _problems(_ERROR_VALIDATOR, body)
    try:
        asked = parse_batch(exchange.request_headers.get("content-type", ""), exchange.request_body)
        answered = parse_batch_answer(
            exchange.response_headers.get("content-type", ""), exchange.response_body
        )
    except ValueError as exc:
        return [f"batch body unreadable: {exc}"]
    if len(asked) != len(answered):
        return [f"batch of {len(asked)} requests got {len(answered)} answers"]
    problems: list[str] = []
    for request, answer in zip(asked, answered, strict=True):
        inner = request.content_id.strip("<>")
        if answer.content_id != f"<response-{inner}>":
            problems.append(f"answer {answer.content_id} does not match request <{inner}>")
        for p in _validate_call(request.method, request.path, answer.status, answer.body):
            problems.append(f"part {request.content_id}: {p}")
    return problems


def validate_exchange(exchange: Exchange) -> list[str]:
    """Every way one recorded exchange differs from Google's documents (a batch: each of its parts)."""
    if exchange.status is None or exchange.path.startswith("/_sandbox"):
        return []
    if exchange.path in OAUTH_ANSWERS:
        return _validate_oauth(exchange.path, exchange.status, exchange.response_body)
    if fnmatch.fnmatchcase(exchange.path, "/batch*"):
        return _validate_batch(exchange)
    return _validate_call(exchange.method, exchange.path, exchange.status, exchange.response_body)


def validate_exchanges(exchanges: Iterable[Exchange]) -> list[str]:
    """Problems of every recorded exchange, one line each, prefixed by its request (empty: all conform)."""
    out: list[str] = []
    for exchange in exchanges:
        out += [
            f"{exchange.method} {exchange.path} -> {exchange.status}: {p}"
            for p in validate_exchange(exchange)
        ]
    return out
