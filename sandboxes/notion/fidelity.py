"""Checks recorded Notion exchanges against Notion's official OpenAPI description, defects named.

The description ships in the npm package `@notionhq/notion-mcp-server` (scripts/notion-openapi.json).
It is thin and wrong in known places; each defect is patched here by name, with where it was
reported, so the check stays as strict as the real API and never silently accepts more:

- `page-children-typed-as-strings` (makenotion/notion-mcp-server#249): POST /v1/pages types
  `children` items as strings; they are block objects, checked as the append endpoint's blocks.
- `page-icon-cover-typed-as-strings`: POST /v1/pages types `icon` and `cover` as JSON strings;
  they are objects (the PATCH /v1/pages schema's shapes).
- `block-update-nested-under-type` (#342): PATCH /v1/blocks/{id} nests the change under a key
  literally named `type`; Notion takes it under the block type's name (`{"to_do": {...}}`).
- `block-requests-cover-two-types`: the block request schema lists only paragraph and
  bulleted_list_item, without nested `children`; the other rich-text blocks of the block
  reference are added in the same shape, and nesting blocks may carry `children`.
- `sorts-lack-timestamp-sorts`: a query's sort object requires `property`; Notion also sorts by
  `timestamp` (`created_time` or `last_edited_time`), which is added as the other accepted shape.
- `page-parent-lacks-data-source-id`: the parent schemas offer `page_id` and `database_id` only,
  while at 2025-09-03 a page is created in a data source with `{"data_source_id": ...}`.
- `errors-documented-as-400-only`: only 400 is documented for most operations; an error of any
  status is checked against that operation's documented error body, plus Notion's invariants
  (`object` is `error`, `status` equals the HTTP status, a known `code`, a `request_id`).
- `responses-documented-by-example`: some 200s carry only an example; the response must then have
  every top-level key of the example, each of the example's JSON type.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from charter.sandboxes.fidelity import OpenAPISpec, Problem, to_json_schema
from charter.sandboxes.notion.errors import STATUS
from charter.sandboxes.recording import REDACTED, Exchange
from charter.schemas.types import JsonObject

PACKAGE = "@notionhq/notion-mcp-server"
PACKAGE_VERSION = "2.5.2"
SPEC_ENV = "CHARTER_OPENAPI_NOTION"
SPEC_DEFAULT = Path(".cache") / f"notion-mcp-server-{PACKAGE_VERSION}" / "notion-openapi.json"
DEFECTS = (
    "page-children-typed-as-strings",
    "page-icon-cover-typed-as-strings",
    "block-update-nested-under-type",
    "block-requests-cover-two-types",
    "sorts-lack-timestamp-sorts",
    "page-parent-lacks-data-source-id",
    "errors-documented-as-400-only",
    "responses-documented-by-example",
)
# The rich-text block types of developers.notion.com/reference/block Charter writes, beyond the two described.
EXTRA_TEXT_BLOCKS = (
    "heading_1",
    "heading_2",
    "heading_3",
    "numbered_list_item",
    "to_do",
    "quote",
    "toggle",
    "callout",
    "code",
)
NESTING = ("paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "quote", "toggle", "callout")


def obtain_spec(target: Path = SPEC_DEFAULT) -> Path:
    """The pinned description on disk, fetched with `npm pack` into `.cache/` the first time."""
    if os.environ.get(SPEC_ENV):
        return Path(os.environ[SPEC_ENV])
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError(f"npm is needed to fetch {PACKAGE}@{PACKAGE_VERSION}; or set {SPEC_ENV}")
    # Packed into a folder of its own and renamed into place: test workers may fetch at once.
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{PACKAGE_VERSION}", "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tgz = next(Path(tmp).glob("*.tgz"), None)
        if done.returncode != 0 or tgz is None:
            failure = done.stderr.strip()[:300]
            raise FileNotFoundError(f"npm pack {PACKAGE}@{PACKAGE_VERSION} failed: {failure}")
        with tarfile.open(tgz) as archive:
            member = archive.extractfile("package/scripts/notion-openapi.json")
            if member is None:
                raise FileNotFoundError(f"{tgz.name} holds no scripts/notion-openapi.json")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            partial.write_bytes(member.read())
            partial.replace(target)
    return target


def _rich_block(kind: str, nesting: bool) -> JsonObject:
    inner: JsonObject = {
        "type": "object",
        "properties": {
            "rich_text": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/richTextRequest"},
                "maxItems": 100,
            },
            "color": {"type": "string"},
        },
        "additionalProperties": False,
        "required": ["rich_text"],
    }
    if kind == "to_do":
        inner["properties"]["checked"] = {"type": "boolean"}
    if kind == "code":
        inner["properties"]["language"] = {"type": "string"}
    if nesting:
        inner["properties"]["children"] = {
            "type": "array",
            "items": {"$ref": "#/components/schemas/blockObjectRequest"},
            "maxItems": 100,
        }
    return {
        "type": "object",
        "properties": {kind: inner, "type": {"enum": [kind], "type": "string"}, "object": {"const": "block"}},
        "required": [kind],
        "additionalProperties": False,
    }


def patched(document: JsonObject) -> JsonObject:
    """The description with each named defect corrected (see the module docstring)."""
    doc = copy.deepcopy(document)
    schemas = doc["components"]["schemas"]
    blocks = ["paragraph", "bulleted_list_item", *EXTRA_TEXT_BLOCKS]
    for kind in blocks:
        schemas[f"{kind}BlockRequest"] = _rich_block(kind, kind in NESTING)
    schemas["dividerBlockRequest"] = {
        "type": "object",
        "properties": {
            "divider": {"type": "object", "additionalProperties": False},
            "type": {"const": "divider"},
        },
        "required": ["divider"],
        "additionalProperties": False,
    }
    schemas["blockObjectRequest"] = {
        "anyOf": [{"$ref": f"#/components/schemas/{k}BlockRequest"} for k in [*blocks, "divider"]]
    }
    timestamp_sort = {
        "type": "object",
        "required": ["timestamp", "direction"],
        "properties": {
            "timestamp": {"enum": ["created_time", "last_edited_time"]},
            "direction": {"enum": ["ascending", "descending"]},
        },
        "additionalProperties": False,
    }
    schemas["sortObject"] = {"oneOf": [schemas["sortObject"], timestamp_sort]}
    source_parent = {
        "type": "object",
        "properties": {
            "type": {"const": "data_source_id"},
            "data_source_id": {"type": "string", "format": "uuid"},
        },
        "required": ["data_source_id"],
    }
    schemas["parentRequest"]["oneOf"].append(source_parent)
    create = doc["paths"]["/v1/pages"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    create["properties"]["children"]["items"] = {"$ref": "#/components/schemas/blockObjectRequest"}
    update_page = doc["paths"]["/v1/pages/{page_id}"]["patch"]["requestBody"]["content"]["application/json"]
    for key in ("icon", "cover"):
        create["properties"][key] = copy.deepcopy(update_page["schema"]["properties"][key])
    update_block = doc["paths"]["/v1/blocks/{block_id}"]["patch"]["requestBody"]["content"][
        "application/json"
    ]
    props = update_block["schema"]["properties"]
    del props["type"]
    props["in_trash"] = {"type": "boolean"}
    for kind in blocks:
        inner = copy.deepcopy(schemas[f"{kind}BlockRequest"]["properties"][kind])
        inner["properties"].pop("children", None)
        inner.pop("required", None)
        props[kind] = inner
    update_block["schema"]["additionalProperties"] = False
    return doc


class NotionSpec:
    """The patched description, checking both what clients sent and what the sandbox answered."""

    def __init__(self, document: JsonObject) -> None:
        self.document = patched(document)
        self.openapi = OpenAPISpec(self.document)

    @classmethod
    def load(cls, path: Path | None = None) -> NotionSpec:
        with open(path or obtain_spec(), encoding="utf-8") as handle:
            return cls(json.load(handle))

    def check_request(self, method: str, path: str, body: bytes) -> list[str]:
        found = self.openapi.match(method, path)
        if found is None:
            return [f"no operation {method} {path} in the description"]
        _template, operation = found
        content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
        if content is None or not body.strip():
            return []
        schema = to_json_schema(content["schema"])
        validator = Draft7Validator(schema, registry=self.openapi._registry_for(schema))
        return [
            f"request at {e.json_path}: {e.message[:200]}" for e in validator.iter_errors(json.loads(body))
        ]

    def check_response(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        found = self.openapi.match(method, path)
        if found is None:
            return [f"no operation {method} {path} in the description"]
        _, operation = found
        if status >= 400:
            return self._check_error(operation, status, body)
        media = (operation["responses"].get(str(status)) or {}).get("content", {}).get("application/json", {})
        if "schema" not in media and media.get("examples"):
            return _like_example(media["examples"], json.loads(body))
        if "schema" not in media:
            # Documented with neither schema nor example: the body must at least be a JSON object.
            return [] if isinstance(json.loads(body), dict) else ["response is not a JSON object"]
        return self.openapi.validate(method, path, status, body)

    def _check_error(self, operation: JsonObject, status: int, body: bytes) -> list[str]:
        data = json.loads(body)
        problems = []
        _, schema = self.openapi.response_schema(operation, 400)
        if schema is not None:
            validator = Draft7Validator(schema, registry=self.openapi._registry_for(schema))
            problems += [
                f"error body at {e.json_path}: {e.message[:200]}" for e in validator.iter_errors(data)
            ]
        if data.get("object") != "error" or data.get("status") != status:
            problems.append(f"error body says object={data.get('object')!r} status={data.get('status')!r}")
        # The request log blanks a top-level `code` (it hides OAuth codes); the sandbox tests check
        # each error's code through notion-client instead.
        if (data.get("code") not in STATUS and data.get("code") != REDACTED) or not data.get("request_id"):
            problems.append(
                f"error body has code {data.get('code')!r} and request_id {data.get('request_id')!r}"
            )
        return problems

    def check(self, exchanges: list[Exchange]) -> list[Problem]:
        """Every mismatch in the API exchanges (the OAuth routes are not in the description)."""
        out = []
        for ex in exchanges:
            if ex.status is None or ex.path.startswith("/v1/oauth/") or ex.outcome == "dropped_before":
                continue
            for message in self.check_request(ex.method, ex.path, ex.request_body):
                out.append(Problem(ex.method, ex.path, ex.status, message))
            for message in self.check_response(ex.method, ex.path, ex.status, ex.response_body):
                out.append(Problem(ex.method, ex.path, ex.status, message))
        return out


def _like_example(examples: JsonObject, data: Any) -> list[str]:
    example = next(iter(examples.values()))["value"]
    problems = []
    for key, value in example.items():
        if key not in data:
            problems.append(f"response lacks `{key}`, which the documented example has")
        elif type(data[key]) is not type(value) and value is not None and data[key] is not None:
            problems.append(
                f"response `{key}` is {type(data[key]).__name__}, the example's is {type(value).__name__}"
            )
    return problems
