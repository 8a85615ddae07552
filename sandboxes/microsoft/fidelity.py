"""Checks recorded Graph sandbox responses against Microsoft's published Graph v1.0 types.

No package ships Graph's CSDL metadata itself; the closest machine-readable description a package
ships is `@microsoft/microsoft-graph-types` (Microsoft's TypeScript types, generated from the v1.0
CSDL): one interface per entity and complex type, its base type, and each property's type. This
module parses those interfaces and checks every JSON object of a response: each property must be
declared on its type (or a base type) with a matching JSON type, enum values must be members, and
an `@odata.type` annotation switches to the derived type. Graph's error body has no type in the
description; it is checked against the documented shape `{"error": {"code", "message", "innerError"}}`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from charter.sandboxes.recording import Exchange

PACKAGE = "@microsoft/microsoft-graph-types"
VERSION = "2.43.1"
TYPES_ENV = "CHARTER_GRAPH_TYPES"
TYPES_DEFAULT = f".cache/microsoft-graph-types-{VERSION}/microsoft-graph.d.ts"
# Open types take properties beyond those declared. The TypeScript types drop OData's
# `OpenType="true"`, so the v1.0 CSDL's open types the sandbox answers with are named here
# (a list item's fields are the list's own columns; SharePoint adds `email` to identities).
OPEN_TYPES = frozenset(
    {"FieldValueSet", "Identity", "IdentitySet", "SharePointIdentity", "SharePointIdentitySet"}
)
_INTERFACE = re.compile(r"^export interface (\w+)(?: extends ([\w, ]+))? \{\n(.*?)^\}", re.M | re.S)
_EMPTY = re.compile(r"^export interface (\w+)(?: extends ([\w, ]+))? \{\}", re.M)
_ALIAS = re.compile(r"^export type (\w+) =((?:\s*\|?\s*\"[^\"]*\")+);", re.M)
_PROPERTY = re.compile(r"^    (\w+)\??: (.+);$", re.M)


@dataclass(frozen=True)
class GraphTypes:
    """Interfaces (name → base, properties) and string enums of the Graph v1.0 description."""

    interfaces: dict[str, tuple[tuple[str, ...], dict[str, str]]]
    enums: dict[str, frozenset[str]]

    @classmethod
    def parse(cls, text: str) -> GraphTypes:
        interfaces: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {}
        for found in _INTERFACE.finditer(text):
            bases = tuple(b.strip() for b in (found.group(2) or "").split(",") if b.strip())
            props = {m.group(1): m.group(2).strip() for m in _PROPERTY.finditer(found.group(3))}
            interfaces[found.group(1)] = (bases, props)
        for found in _EMPTY.finditer(text):
            bases = tuple(b.strip() for b in (found.group(2) or "").split(",") if b.strip())
            interfaces.setdefault(found.group(1), (bases, {}))
        enums = {m.group(1): frozenset(re.findall(r'"([^"]*)"', m.group(2))) for m in _ALIAS.finditer(text)}
        return cls(interfaces, enums)

    def properties(self, name: str) -> dict[str, str]:
        """Every property of `name`, inherited ones included."""
        bases, props = self.interfaces[name]
        out: dict[str, str] = {}
        for base in bases:
            out.update(self.properties(base))
        out.update(props)
        return out

    def check(self, value: Any, name: str, where: str) -> list[str]:
        """Problems of one JSON object read as the interface `name`."""
        if not isinstance(value, dict):
            return [f"{where}: expected a {name} object, got {type(value).__name__}"]
        odata = value.get("@odata.type")
        if isinstance(odata, str):
            derived = _type_name(odata.removeprefix("#microsoft.graph."))
            if derived not in self.interfaces:
                return [f"{where}: @odata.type {odata} is not a Graph type"]
            name = derived
        props = self.properties(name)
        problems = []
        for key, item in value.items():
            if key.startswith("@") or "@" in key:
                continue  # instance annotations (@odata.*, @microsoft.graph.*, prop@odata.context)
            if key not in props:
                if name in OPEN_TYPES:
                    continue
                problems.append(f"{where}: {name} has no property {key!r}")
                continue
            problems += self.check_value(item, props[key], f"{where}.{key}")
        return problems

    def check_value(self, value: Any, ts: str, where: str) -> list[str]:
        nullable = ts.startswith("NullableOption<")
        inner = ts[len("NullableOption<") : -1] if nullable else ts
        if value is None:
            return [] if nullable else [f"{where}: null is not allowed"]
        if inner.endswith("[]"):
            if not isinstance(value, list):
                return [f"{where}: expected an array"]
            return [p for n, v in enumerate(value) for p in self.check_value(v, inner[:-2], f"{where}[{n}]")]
        simple = {"string": str, "boolean": bool, "any": object}
        if inner in simple:
            return [] if isinstance(value, simple[inner]) else [f"{where}: expected {inner}"]
        if inner == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return [] if ok else [f"{where}: expected number"]
        if inner in self.enums:
            return [] if value in self.enums[inner] else [f"{where}: {value!r} is not a {inner}"]
        if inner in self.interfaces:
            return self.check(value, inner, where)
        return [f"{where}: the description has no type {inner}"]


def _type_name(csdl_name: str) -> str:
    return csdl_name[:1].upper() + csdl_name[1:]


# -- which type each endpoint answers ---------------------------------------------------------

_ITEM = r"/drives/[^/]+/(?:root|items/[^/:]+)(?::/[^:]+:?)?"
_LIST = r"/sites/[^/:]+/lists/[^/]+"
ENDPOINTS: tuple[tuple[str, str, str, bool], ...] = (
    ("GET", r"/sites", "Site", True),
    ("GET", r"/sites/[^/,:]+:/[^:]*:?", "Site", False),
    ("GET", r"/sites/[^/:]+/drives", "Drive", True),
    ("GET", _LIST + r"/columns", "ColumnDefinition", True),
    ("GET", _LIST + r"/items", "ListItem", True),
    ("GET", _LIST + r"/items/[^/]+", "ListItem", False),
    ("PATCH", _LIST + r"/items/[^/]+/fields", "FieldValueSet", False),
    ("GET", r"/sites/[^/:]+/lists", "List", True),
    ("GET", _LIST, "List", False),
    ("GET", r"/sites/[^/:]+", "Site", False),
    ("GET", r"/drives/[^/]+/root/delta", "DriveItem", True),
    ("GET", r"/drives/[^/]+/root/search\(q='.*'\)", "DriveItem", True),
    ("GET", _ITEM + r"/children", "DriveItem", True),
    ("POST", _ITEM + r"/children", "DriveItem", False),
    ("PUT", _ITEM + r"/content", "DriveItem", False),
    ("POST", _ITEM + r"/createUploadSession", "UploadSession", False),
    ("POST", _ITEM + r"/createLink", "Permission", False),
    ("POST", _ITEM + r"/invite", "Permission", True),
    ("GET", _ITEM + r"/permissions", "Permission", True),
    ("GET", _ITEM, "DriveItem", False),
    ("PATCH", _ITEM, "DriveItem", False),
    ("GET", r"/drives/[^/]+", "Drive", False),
    ("POST", r"/search/query", "SearchResponse", True),
)
_COMPILED = tuple((m, re.compile(p + "$"), t, c) for m, p, t, c in ENDPOINTS)


def expected_type(method: str, path: str) -> tuple[str, bool] | None:
    """(type, is a collection) a Graph path answers, or None when it is not a Graph endpoint."""
    graph = path.removeprefix("/v1.0")
    # `/me/drive` answers exactly as `/drives/{id}` does.
    graph = re.sub(r"^/me/drive(?=/|$)", "/drives/me", graph)
    for want, pattern, name, collection in _COMPILED:
        if want == method and pattern.match(graph):
            return name, collection
    return None


def error_problems(body: Any, where: str) -> list[str]:
    error = body.get("error") if isinstance(body, dict) else None
    if (
        not isinstance(error, dict)
        or not isinstance(error.get("code"), str)
        or not isinstance(error.get("message"), str)
    ):
        return [f"{where}: not Graph's error body {{'error': {{'code', 'message', 'innerError'}}}}"]
    inner = error.get("innerError")
    return (
        []
        if isinstance(inner, dict) and "request-id" in inner
        else [f"{where}: error without innerError.request-id"]
    )


def response_problems(types: GraphTypes, method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems of one Graph response."""
    where = f"{method} {path} -> {status}"
    if status >= 400:
        return error_problems(body, where)
    if status in (204, 302) or body is None:
        return []
    expected = expected_type(method, path)
    if expected is None:
        return []
    name, collection = expected
    if collection:
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            return [f"{where}: expected an OData collection with `value`"]
        return [p for n, v in enumerate(body["value"]) for p in types.check(v, name, f"{where} value[{n}]")]
    return types.check(body, name, where)


def validate_exchanges(types: GraphTypes, exchanges: Iterable[Exchange]) -> list[str]:
    """Every mismatch in the recorded Graph, upload-host and batch responses (empty: all conform)."""
    problems: list[str] = []
    for exchange in exchanges:
        if exchange.status is None or exchange.outcome != "served":
            continue
        body = exchange.json()
        if exchange.path == "/uploadSession":
            name = "UploadSession" if exchange.status == 202 else "DriveItem"
            if exchange.status >= 400:
                problems += error_problems(body, f"upload -> {exchange.status}")
            elif exchange.method == "PUT" or exchange.method == "GET":
                problems += types.check(body, "UploadSession" if exchange.method == "GET" else name, "upload")
            continue
        if not exchange.path.startswith("/v1.0/"):
            continue
        if exchange.path == "/v1.0/$batch" and isinstance(body, dict):
            problems += _batch_problems(types, exchange, body)
            continue
        problems += response_problems(types, exchange.method, exchange.path, exchange.status, body)
    return problems


def _batch_problems(types: GraphTypes, exchange: Exchange, body: dict[str, Any]) -> list[str]:
    sent = exchange.request_json()
    requests = (
        {str(r.get("id")): r for r in (sent or {}).get("requests", [])} if isinstance(sent, dict) else {}
    )
    problems = []
    for response in body.get("responses", []):
        request = requests.get(str(response.get("id")))
        if request is None:
            problems.append(f"POST $batch: answer {response.get('id')!r} matches no request")
            continue
        path = "/v1.0/" + urlsplit(str(request.get("url", ""))).path.lstrip("/").removeprefix("v1.0/")
        problems += response_problems(
            types,
            str(request.get("method", "GET")).upper(),
            path,
            int(response["status"]),
            response.get("body"),
        )
    return problems


# -- obtaining the description ----------------------------------------------------------------


def types_path() -> Path:
    """Where the description is: $CHARTER_GRAPH_TYPES, else the pinned copy under .cache/."""
    return Path(os.environ.get(TYPES_ENV) or TYPES_DEFAULT)


def fetch_types(path: Path | None = None) -> Path:
    """The pinned `microsoft-graph.d.ts`, obtained with `npm pack` into .cache/ when missing."""
    target = path or types_path()
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError(
            f"Graph's types are missing at {target} and npm is not installed to fetch {PACKAGE}@{VERSION}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        archives = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not archives:
            raise FileNotFoundError(
                f"could not obtain {PACKAGE}@{VERSION} with npm pack: {done.stderr.strip()[:300]}"
            )
        with tarfile.open(archives[0]) as archive:
            member = archive.extractfile("package/microsoft-graph.d.ts")
            if member is None:
                raise FileNotFoundError(f"{PACKAGE}@{VERSION} has no microsoft-graph.d.ts")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            partial.write_bytes(member.read())
            partial.replace(target)
    return target


@lru_cache(maxsize=2)
def _load(path: str) -> GraphTypes:
    return GraphTypes.parse(Path(path).read_text(encoding="utf-8"))


def load_graph_types() -> GraphTypes:
    """Graph's v1.0 types, fetched into .cache/ first if needed (FileNotFoundError if impossible)."""
    return _load(str(fetch_types()))
