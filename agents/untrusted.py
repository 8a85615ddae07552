"""The untrusted-content boundary: third-party text in tool results, delimited and labelled as data.

Every prose string a read returns is wrapped as `<ud>text</ud>` ("untrusted data"), beside its
item's provenance block (connector, id, url, author); `mark` and `delimit` can also name the
provenance in the marker itself, `<ud source="gmail" id="18c…" author="…">`. The tag is short
because it is paid for on every text of every result; it is unforgeable because anything in the
text that looks like a marker (this one or the older `<untrusted-data>`, in any case, with spaces,
zero-width characters or look-alike brackets) is neutralised first, so injected text can neither
close the block it sits in nor forge a block with provenance of its own choosing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import Enum
from functools import lru_cache
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from charter.schemas import Page, Provenance, Resource

TAG = "ud"
CLOSE = f"</{TAG}>"
# Characters an LLM may read as `<` that NFKC does not fold to it.
_ANGLE_LOOKALIKES = frozenset("\u2039\u3008\u27e8\u276e\u276c\u29fc\u2329\u02c2\u1438\u16b2")
# Letters of other scripts that read as the short tag's `u` and `d` (NFKC keeps them apart).
_TAG_LOOKALIKES = {"\u03c5": "u", "\u057d": "u", "\u1d1c": "u", "\u0501": "d", "\u0257": "d"}
# The tag itself (`ud`, however spaced) and the long form earlier results used.
_MARKER = re.compile(r"<\s*/?\s*(?:u[\s_-]*d\b|untrusted[\s_-]*data)", re.IGNORECASE)
# Short single tokens (ids, states, labels, timestamps, addresses) and bare URLs stay bare.
_ATOM = re.compile(r"[\w.@:/#+=~-]{1,40}")
_URL = re.compile(r"https?://\S{1,2048}")
# Values Charter or the provider issues (cursors, sync tokens, ids, etags, shas): never prose, and an
# agent must be able to pass them back unchanged.
_CONTROL_FIELD = re.compile(r"(?:^|_)(?:id|ids|cursor|token|etag|sha)$")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# A text delimited in a result, and where it came from (`gmail message 18c…`).
Quote = tuple[str, str]


def _normalised(text: str) -> tuple[str, list[int]]:
    """`text` folded the way a reader might see it, and the original index of each folded char."""
    chars: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        if unicodedata.category(c) == "Cf":
            continue  # zero-width and other invisible format characters
        if c in _ANGLE_LOOKALIKES:
            folded = "<"
        else:
            folded = _TAG_LOOKALIKES.get(c) or unicodedata.normalize("NFKC", c).casefold()
        chars.extend(folded)
        index.extend([i] * len(folded))
    return "".join(chars), index


def neutralise(text: str) -> str:
    """`text` with every look-alike of an untrusted-data marker defused (its `<` becomes `&lt;`)."""
    if text.isascii():
        if "<" not in text:
            return text  # the look-alike brackets are all outside ASCII: nothing to defuse
        # ASCII folds to itself, character for character (no format characters, NFKC keeps it,
        # casefold is lower, which the pattern ignores): match the text itself, no per-character walk.
        starts = sorted({m.start() for m in _MARKER.finditer(text)})
    else:
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
    if not value:
        return False  # nothing to delimit
    if len(value) <= 40 and value.isalnum():
        return False  # a one-word atom; the common case, answered without the regex
    if value.startswith(("http://", "https://")) and _URL.fullmatch(value):
        return False
    # An atom is at most 40 characters: a longer string never needs the (slow, Unicode) match.
    return len(value) > 40 or not _ATOM.fullmatch(value)


OPEN = f"<{TAG}>"


def delimit(text: str, source: str | None = None, provenance: Provenance | None = None) -> str:
    """`text` as one delimited block of untrusted data, its provenance in the marker when given.

    Read results give neither: each item's provenance block beside the text already says where it
    came from, and repeating it in every marker cost more tokens than the text itself.
    """
    if source is None:
        return f"{OPEN}{neutralise(text)}{CLOSE}"
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
    return _Marking(source, None).json(value, provenance, source)


def mark_read(
    result: object, service: str, quotes: list[Quote] | None = None, *, bare: bool = True
) -> dict[str, Any]:
    """A read result as agent data: each item with its provenance, its text delimited as untrusted.

    Every text delimited is appended to `quotes` with where it came from (`gmail message 18c…`),
    for the session's taint record. `bare=False` also names the provenance in every marker, which
    costs more tokens than many texts themselves.
    """
    marking = _Marking(service, quotes, bare=bare)
    if isinstance(result, Page):
        # One dump of the whole page, then marked in place: dumping item by item costs more.
        dumped = result.model_dump(mode="json")
        items = [marking.item(i, d) for i, d in zip(result.items, dumped.pop("items"), strict=True)]
        # A page subclass may carry more than a cursor (a sync token, whether it was a full sync).
        extra = marking.fields(result, None, service, dumped)
        return {"items": items, **extra}
    if isinstance(result, BaseModel):
        return marking.item(result, result.model_dump(mode="json"))
    return {"data": marking.json(result, None, service)}


def describe(item: BaseModel, service: str) -> str:
    """How a reason names where text came from: `gmail message 18c…`."""
    kind = _kind(type(item))
    if isinstance(item, Resource):
        # Some connectors already prefix the id with its kind (`message:18c…`): say it once.
        ident = item.provenance.id.removeprefix(f"{kind.rsplit(' ', 1)[-1]}:")
        return f"{service} {kind} {ident if len(ident) <= 60 else ident[:59] + '…'}"
    return f"{service} {kind}"


@lru_cache(maxsize=512)
def _kind(model: type[BaseModel]) -> str:
    return _CAMEL.sub(" ", model.__name__).lower()


class _Marking:
    """One pass over a read result: prose delimited in place, and noted in `quotes` when given."""

    __slots__ = ("bare", "quotes", "service")

    def __init__(self, service: str, quotes: list[Quote] | None, *, bare: bool = False) -> None:
        self.service = service
        self.quotes = quotes
        # Bare markers where each item carries its provenance block (read results).
        self.bare = bare

    def text(self, value: str, provenance: Provenance | None, source: str) -> str:
        if self.quotes is not None:
            self.quotes.append((value, source))
        if self.bare:
            return delimit(value)
        return delimit(value, self.service, provenance)

    def json(self, value: Any, provenance: Provenance | None, source: str) -> Any:
        if isinstance(value, str):
            if is_prose(value):
                return self.text(value, provenance, source)
            if value and self.quotes is not None:
                self.quotes.append((value, source))  # a short token may be a secret: taint weighs it
            return value
        if isinstance(value, list):
            return [self.json(v, provenance, source) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v, provenance, source) for k, v in value.items()}
        return value

    def item(self, item: BaseModel, dumped: dict[str, Any]) -> dict[str, Any]:
        """One read item: its provenance beside its fields (`dumped`, changed in place)."""
        if not isinstance(item, Resource):
            return {"data": self.fields(item, None, describe(item, self.service), dumped)}
        provenance = _provenance(dumped["provenance"], keep_empty=False)
        data = self.fields(item, item.provenance, describe(item, self.service), dumped)
        return {"provenance": provenance, "data": data}

    def fields(
        self, model: BaseModel, provenance: Provenance | None, source: str, dumped: dict[str, Any]
    ) -> dict[str, Any]:
        """A model's dump with its prose delimited in place; a resource's own provenance left out."""
        plan = _plan(type(model))
        if plan.skip_provenance:
            dumped.pop("provenance", None)
        for name in plan.text:
            value = dumped.get(name)
            if value and is_prose(value):
                dumped[name] = self.text(value, provenance, source)
            elif value and self.quotes is not None:
                self.quotes.append((value, source))  # a short token may be a secret: taint weighs it
        for name in plan.other:
            value = dumped.get(name)
            if value and not isinstance(value, bool | int | float):
                dumped[name] = self.value(getattr(model, name), value, provenance, source)
        if len(dumped) > len(plan.known):
            # A key no field declares (a computed value): marked like any JSON, never passed bare.
            for name in dumped.keys() - plan.known:
                dumped[name] = self.json(dumped[name], provenance, source)
        return dumped

    def value(self, raw: object, dumped: Any, provenance: Provenance | None, source: str) -> Any:
        if isinstance(raw, Resource) and isinstance(dumped, dict):
            # A message inside a thread has its own author: its text is labelled with its own provenance.
            provenance_json = _provenance(dumped["provenance"])
            inner = self.fields(raw, raw.provenance, describe(raw, self.service), dumped)
            inner["provenance"] = provenance_json
            return inner
        if isinstance(raw, BaseModel) and isinstance(dumped, dict):
            return self.fields(raw, provenance, source, dumped)
        if isinstance(raw, list | tuple) and isinstance(dumped, list) and len(raw) == len(dumped):
            return [self.value(r, d, provenance, source) for r, d in zip(raw, dumped, strict=True)]
        return self.json(dumped, provenance, source)


def _provenance(dumped: dict[str, Any], keep_empty: bool = True) -> dict[str, Any]:
    """A dumped provenance with its text defused (it sits outside any delimited block)."""
    return {
        name: neutralise(v) if isinstance(v, str) else v
        for name, v in dumped.items()
        if keep_empty or v is not None
    }


@dataclass(frozen=True)
class _Plan:
    """How to mark one model class: which fields may hold prose, which need a walk, which never do."""

    text: tuple[str, ...]
    other: tuple[str, ...]
    known: frozenset[str]
    skip_provenance: bool


@lru_cache(maxsize=512)
def _plan(model: type[BaseModel]) -> _Plan:
    # Decided once per class from the field types, so a page of a thousand items only visits the
    # fields that can hold third-party text. Issued values (cursors, ids) are always kept bare.
    skip_provenance = issubclass(model, Resource)
    text: list[str] = []
    other: list[str] = []
    for name, info in model.model_fields.items():
        if (skip_provenance and name == "provenance") or _CONTROL_FIELD.search(name):
            continue
        kinds = [arg for arg in _members(info.annotation) if arg is not type(None)]
        if all(_never_prose(arg) for arg in kinds):
            continue
        (text if all(arg is str for arg in kinds) else other).append(name)
    known = frozenset(model.model_fields) - ({"provenance"} if skip_provenance else set())
    return _Plan(tuple(text), tuple(other), known, skip_provenance)


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types a field may hold: the members of a union, or the annotation itself."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        return tuple(m for arg in get_args(annotation) for m in _members(arg))
    return (annotation,)


def _never_prose(kind: Any) -> bool:
    # Values fixed by the schema or of a non-text type: nobody outside can put words in them.
    if get_origin(kind) is Literal:
        return True
    return isinstance(kind, type) and issubclass(kind, bool | int | float | date | time | timedelta | Enum)


__all__ = ["CLOSE", "TAG", "Quote", "delimit", "describe", "is_prose", "mark", "mark_read", "neutralise"]
