"""The untrusted-content boundary: third-party text in tool results, delimited and labelled as data.

Every prose string a read returns is wrapped as
`<untrusted-data source="gmail" id="18c…" author="eve@example.com" url="…">text</untrusted-data>`.
Anything in the text that looks like one of these markers (in any case, with spaces, zero-width
characters or look-alike brackets) is neutralised first, so injected text can neither close the
block it sits in nor forge a block with provenance of its own choosing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from charter.schemas import Provenance, Resource

TAG = "untrusted-data"
CLOSE = f"</{TAG}>"
# Characters an LLM may read as `<` that NFKC does not fold to it.
_ANGLE_LOOKALIKES = frozenset("\u2039\u3008\u27e8\u276e\u276c\u29fc\u2329\u02c2\u1438\u16b2")
_MARKER = re.compile(r"<\s*/?\s*untrusted[\s_-]*data", re.IGNORECASE)
# Short single tokens (ids, states, labels, timestamps, addresses) and bare URLs stay bare.
_ATOM = re.compile(r"[\w.@:/#+=~-]{1,40}")
_URL = re.compile(r"https?://\S{1,2048}")
# Values Charter or the provider issues (cursors, sync tokens, ids, etags, shas): never prose, and an
# agent must be able to pass them back unchanged.
_CONTROL_FIELD = re.compile(r"(?:^|_)(?:id|ids|cursor|token|etag|sha)$")


def _normalised(text: str) -> tuple[str, list[int]]:
    """`text` folded the way a reader might see it, and the original index of each folded char."""
    chars: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        if unicodedata.category(c) == "Cf":
            continue  # zero-width and other invisible format characters
        folded = "<" if c in _ANGLE_LOOKALIKES else unicodedata.normalize("NFKC", c).casefold()
        chars.extend(folded)
        index.extend([i] * len(folded))
    return "".join(chars), index


def neutralise(text: str) -> str:
    """`text` with every look-alike of an untrusted-data marker defused (its `<` becomes `&lt;`)."""
    if text.isascii() and "<" not in text:
        return text  # the look-alike brackets are all outside ASCII: nothing to defuse
    folded, index = _normalised(text)
    starts = sorted({index[m.start()] for m in _MARKER.finditer(folded)})
    if not starts:
        return text
    out: list[str] = []
    last = 0
    for start in starts:
        out.append(text[last:start])
        out.append("&lt;")
        last = start + 1
    out.append(text[last:])
    return "".join(out)


def _attr(value: str) -> str:
    escaped = neutralise(value).replace("&", "&amp;").replace('"', "&quot;")
    return escaped.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def is_prose(value: str) -> bool:
    """Whether a string is free text a third party wrote, rather than an id, state or URL."""
    if value.startswith(("http://", "https://")) and _URL.fullmatch(value):
        return False
    # An atom is at most 40 characters: a longer string never needs the (slow, Unicode) match.
    return len(value) > 40 or not _ATOM.fullmatch(value)


def delimit(text: str, source: str, provenance: Provenance | None = None) -> str:
    """`text` as one delimited block of untrusted data with its provenance."""
    if provenance is None:
        head = _head(source, None, None, None)
    else:
        head = _head(source, provenance.id, provenance.author, provenance.url)
    return f"<{TAG} {head}>{neutralise(text)}{CLOSE}"


@lru_cache(maxsize=1024)
def _head(source: str, id_: str | None, author: str | None, url: str | None) -> str:
    # Every text field of one resource shares this head: build it once.
    attrs = (("source", source), ("id", id_), ("author", author), ("url", url))
    return " ".join(f'{k}="{_attr(v)}"' for k, v in attrs if v)


def mark(value: Any, source: str, provenance: Provenance | None = None) -> Any:
    """JSON data with every prose string delimited; other values unchanged."""
    if isinstance(value, str):
        return delimit(value, source, provenance) if is_prose(value) else value
    if isinstance(value, list):
        return [mark(v, source, provenance) for v in value]
    if isinstance(value, dict):
        return {k: mark(v, source, provenance) for k, v in value.items()}
    return value


def _provenance(provenance: Provenance) -> dict[str, Any]:
    # Read the fields directly: dumping a model per item is a large share of marking a big page.
    return {
        name: neutralise(v) if isinstance(v, str) else v
        for name in Provenance.model_fields
        for v in [getattr(provenance, name)]
    }


def _value(raw: object, dumped: Any, service: str, provenance: Provenance | None) -> Any:
    if isinstance(raw, Resource):
        # A message inside a thread has its own author: its text is labelled with its own provenance.
        inner = fields(raw, service, raw.provenance, dumped)
        return {**inner, "provenance": _provenance(raw.provenance)}
    if isinstance(raw, BaseModel):
        return fields(raw, service, provenance, dumped)
    if isinstance(raw, list | tuple) and isinstance(dumped, list) and len(raw) == len(dumped):
        return [_value(r, d, service, provenance) for r, d in zip(raw, dumped, strict=True)]
    return mark(dumped, service, provenance)


def fields(
    model: BaseModel, service: str, provenance: Provenance | None, dumped: Any = None
) -> dict[str, Any]:
    """A model's fields as JSON with their prose delimited; a resource's own provenance left out."""
    # Nested models reuse their part of the top-level dump instead of dumping their subtree again.
    if not isinstance(dumped, dict):
        dumped = model.model_dump(mode="json")
    out: dict[str, Any] = {}
    for name, control in _plan(type(model)):
        value = dumped.get(name)
        if control or value is None or isinstance(value, bool | int | float):
            out[name] = value
        elif isinstance(value, str):
            out[name] = delimit(value, service, provenance) if is_prose(value) else value
        else:
            out[name] = _value(getattr(model, name), value, service, provenance)
    return out


@lru_cache(maxsize=512)
def _plan(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    # Per model class: which fields to walk, and which hold issued values (cursors, ids) kept bare.
    skip_provenance = issubclass(model, Resource)
    return tuple(
        (name, bool(_CONTROL_FIELD.search(name)))
        for name in model.model_fields
        if not (skip_provenance and name == "provenance")
    )


def mark_item(item: BaseModel, service: str) -> dict[str, Any]:
    """One read item as agent data: its provenance beside its fields, their text delimited."""
    if not isinstance(item, Resource):
        return {"data": fields(item, service, None)}
    prov = {k: v for k, v in _provenance(item.provenance).items() if v is not None}
    return {"provenance": prov, "data": fields(item, service, item.provenance)}


__all__ = ["CLOSE", "TAG", "delimit", "fields", "is_prose", "mark", "mark_item", "neutralise"]
