"""Checks recorded sandbox responses against a service's official OpenAPI 3.0 description.

`OpenAPISpec.load(path)` parses the description once per process; `validate_exchanges()` matches
each recorded exchange to its operation (path template + method), picks the documented response
for its status, converts that schema to JSON Schema lazily (OpenAPI's `nullable` becomes a `null`
type, `$ref`s resolve through a registry) and returns every mismatch as a `Problem`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from charter.sandboxes.recording import Exchange

SCHEMA_URN = "urn:charter-openapi:schemas/"
GITHUB_SPEC_ENV = "CHARTER_OPENAPI_GITHUB"
GITHUB_SPEC_DEFAULT = ".cache/octokit-openapi-23.0.2/api.github.com.json"
# Exchanges on github.com's OAuth host and GraphQL are not part of the REST description.
GITHUB_NOT_IN_REST_DESCRIPTION = ("/login/*", "/graphql")
# GitHub answers these on any operation (conditional GETs, bad credentials, missing access, rate
# limits, outages) even where the description lists only the success; their bodies must still be
# GitHub's basic error shape.
UNIVERSAL_ERRORS = frozenset({401, 403, 404, 429, 500, 502, 503, 504})
# OpenAPI-only keywords with no JSON Schema meaning.
_DROP = frozenset({"nullable", "discriminator", "xml", "externalDocs", "example", "examples", "deprecated"})


@dataclass(frozen=True)
class Problem:
    """One way a recorded response differs from the description."""

    method: str
    path: str
    status: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.message}"


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema fragment as JSON Schema (draft 7)."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = str(node["$ref"])
        out: dict[str, Any] = {"$ref": SCHEMA_URN + ref.rsplit("/", 1)[-1]}
        if ref.startswith("#/components/schemas/") is False:
            out = {"$ref": ref}
    else:
        out = {
            k: _convert_keyword(k, v) for k, v in node.items() if k not in _DROP and not k.startswith("x-")
        }
        if out.get("exclusiveMinimum") is True:
            out["exclusiveMinimum"] = out.pop("minimum", 0)
        if out.get("exclusiveMaximum") is True:
            out["exclusiveMaximum"] = out.pop("maximum", 0)
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str) and "$ref" not in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _convert_keyword(key: str, value: Any) -> Any:
    if key in ("properties", "patternProperties", "definitions"):
        return (
            {name: to_json_schema(sub) for name, sub in value.items()} if isinstance(value, dict) else value
        )
    if key in ("enum", "const", "required", "default", "type"):
        return value
    return to_json_schema(value)


def _template_regex(template: str, greedy_last: bool) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = ""
    params = [p for p in parts if p.startswith("{")]
    for part in parts:
        if part.startswith("{"):
            pattern += ".*" if greedy_last and part is params[-1] else "[^/]+"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}$")


class OpenAPISpec:
    """An OpenAPI 3.0 description, indexed for matching concrete requests to operations."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
        self._responses: dict[str, Any] = document.get("components", {}).get("responses", {})
        self._converted: dict[str, Resource[Any]] = {}
        self._registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        templates = list(document.get("paths", {}))
        # Literal segments win over parameters: /issues/comments before /issues/{issue_number}.
        templates.sort(key=lambda t: (-len(re.sub(r"\{[^}]+\}", "", t)), t))
        self._strict = [(_template_regex(t, False), t) for t in templates]
        self._greedy = [(_template_regex(t, True), t) for t in templates if t.endswith("}")]

    def __repr__(self) -> str:
        return f"OpenAPISpec({self.document.get('info', {}).get('title')!r}, {len(self._strict)} paths)"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> OpenAPISpec:
        """The description at `path`, parsed once per process."""
        return _load(str(Path(path).resolve()))

    def _retrieve(self, uri: str) -> Resource[Any]:
        if not uri.startswith(SCHEMA_URN):
            raise LookupError(uri)
        name = uri[len(SCHEMA_URN) :]
        if name not in self._converted:
            self._converted[name] = DRAFT7.create_resource(to_json_schema(self._schemas[name]))
        return self._converted[name]

    def _registry_for(self, schema: Any) -> Registry[Any]:
        """The registry holding every schema `schema` reaches, crawled once and kept for next time."""
        missing: list[str] = []
        todo = [schema]
        while todo:
            node = todo.pop()
            if isinstance(node, dict):
                ref = str(node.get("$ref", ""))
                fresh = ref.startswith(SCHEMA_URN) and ref not in missing
                if fresh and ref not in self._registry:
                    missing.append(ref)
                    todo.append(self._retrieve(ref).contents)
                todo.extend(node.values())
            elif isinstance(node, list):
                todo.extend(node)
        if missing:
            # Registries are immutable: without this each $ref lookup re-crawls a fresh copy.
            self._registry = self._registry.with_resources(
                (uri, self._retrieve(uri)) for uri in missing
            ).crawl()
        return self._registry

    def match(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(template, operation) for a concrete request, or None when the description has none."""
        paths = self.document.get("paths", {})
        for table in (self._strict, self._greedy):
            for regex, template in table:
                op = paths[template].get(method.lower())
                if op is not None and regex.match(path):
                    return template, op
        return None

    def response_schema(self, operation: dict[str, Any], status: int) -> tuple[bool, Any]:
        """(documented, JSON schema or None when the response has no body) for a status code."""
        responses = operation.get("responses", {})
        spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if spec is None:
            return False, None
        if "$ref" in spec:
            spec = self._responses[str(spec["$ref"]).rsplit("/", 1)[-1]]
        content = spec.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        if media is None or "schema" not in media:
            return True, None
        return True, to_json_schema(media["schema"])

    def validate(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        """Every way this response differs from the description (empty when it conforms)."""
        found = self.match(method, path)
        if found is None:
            return [f"no operation {method.upper()} {path} in the description"]
        template, operation = found
        documented, schema = self.response_schema(operation, status)
        if not documented and status == 304 and method.upper() == "GET":
            documented, schema = True, None
        elif not documented and status in UNIVERSAL_ERRORS and "basic-error" in self._schemas:
            documented, schema = True, {"$ref": SCHEMA_URN + "basic-error"}
        if not documented:
            return [f"status {status} is not documented for {method.upper()} {template}"]
        if schema is None:
            return [] if not body.strip() else [f"{template} documents no body for {status}, got one"]
        try:
            instance = json.loads(body)
        except ValueError:
            return [f"body is not JSON: {body[:80]!r}"]
        validator = Draft7Validator(schema, registry=self._registry_for(schema))
        return [_describe(e) for e in validator.iter_errors(instance) if not _overlapping_one_of(e)]

    def validate_exchanges(
        self, exchanges: Iterable[Exchange], *, ignore: Iterable[str] = ()
    ) -> list[Problem]:
        """Problems in every served exchange whose path matches none of the `ignore` globs."""
        skip = list(ignore)
        problems: list[Problem] = []
        for ex in exchanges:
            if (
                ex.status is None
                or ex.outcome == "dropped_before"
                or any(fnmatch.fnmatchcase(ex.path, g) for g in skip)
            ):
                continue
            for message in self.validate(ex.method, ex.path, ex.status, ex.response_body):
                problems.append(Problem(ex.method, ex.path, ex.status, message))
        return problems


def _overlapping_one_of(error: ValidationError) -> bool:
    # GitHub's description uses oneOf for shapes that overlap (e.g. error bodies with no required
    # field); matching several branches is not a defect of the response.
    return error.validator == "oneOf" and not error.context


def _describe(error: ValidationError) -> str:
    where = error.json_path
    if error.context:
        deepest = best_match(error.context)
        return f"at {deepest.json_path}: {deepest.message[:300]}"
    return f"at {where}: {error.message[:300]}"


@lru_cache(maxsize=4)
def _load(path: str) -> OpenAPISpec:
    with open(path, encoding="utf-8") as handle:
        return OpenAPISpec(json.load(handle))


def validate_exchanges(
    spec: OpenAPISpec | str | os.PathLike[str],
    exchanges: Iterable[Exchange],
    *,
    ignore: Iterable[str] = GITHUB_NOT_IN_REST_DESCRIPTION,
) -> list[str]:
    """Every mismatch between recorded responses and a description, one line each (empty: all conform).

    `spec` is a loaded `OpenAPISpec` or the path of its JSON file; exchanges whose path matches an
    `ignore` glob are skipped (by default github.com's OAuth routes and GraphQL).
    """
    loaded = spec if isinstance(spec, OpenAPISpec) else OpenAPISpec.load(spec)
    return [str(p) for p in loaded.validate_exchanges(exchanges, ignore=ignore)]


def github_spec_path() -> Path:
    """Where GitHub's description is: $CHARTER_OPENAPI_GITHUB, else the path `make specs` writes."""
    return Path(os.environ.get(GITHUB_SPEC_ENV) or GITHUB_SPEC_DEFAULT)


def load_github_spec() -> OpenAPISpec:
    """GitHub's official description (@octokit/openapi), or a FileNotFoundError saying how to get it."""
    path = github_spec_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"GitHub's OpenAPI description is missing at {path}: run `make specs` (it downloads "
            f"@octokit/openapi into .cache/) or set {GITHUB_SPEC_ENV} to the api.github.com.json file"
        )
    return OpenAPISpec.load(path)
