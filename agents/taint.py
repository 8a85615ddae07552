"""Taint: what a session read, remembered as fingerprints, so a write that quotes it can be caught.

Text read from a service (bodies, comments, titles, descriptions) is third-party content. When an
agent copies it into an external write, a person should look first: that is how an injected
"forward this to …" reaches the outside. The tracker keeps no text, only hashes:

- word shingles (runs of `SHINGLE_WORDS` normalised words), winnowed so that any run of at least
  `quote_words` words shared by a read and a later argument is always detected;
- long single tokens (keys, codes, secrets) of at least `token_chars` letters and digits.

Memory is bounded: at most `max_fingerprints` hashes, the oldest forgotten first.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from charter.agents.untrusted import is_prose
from charter.schemas import Page, Resource

SHINGLE_WORDS = 6
MAX_TEXT_CHARS = 200_000
_WORD = re.compile(r"\w+")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True)
class TaintHit:
    """An argument that carries text read earlier in the session, and where that text came from."""

    field: str
    sources: tuple[str, ...]

    def reason(self) -> str:
        more = f" (and {len(self.sources) - 1} more)" if len(self.sources) > 1 else ""
        return f"the {self.field} quotes text read from {self.sources[0]}{more}"


def _words(text: str) -> list[str]:
    # Services escape some text as HTML (Gmail snippets say `I&#39;ll`); whoever quotes it writes `'`.
    plain = html.unescape(text[:MAX_TEXT_CHARS])
    return _WORD.findall(unicodedata.normalize("NFKC", plain).casefold())


def _shingles(words: list[str]) -> list[int]:
    return [hash(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)]


def _winnow(hashes: list[int], window: int) -> set[int]:
    """The smallest hash of every window: shared runs of `window` shingles always share one."""
    if len(hashes) <= window:
        return {min(hashes)} if hashes else set()
    return {min(hashes[i : i + window]) for i in range(len(hashes) - window + 1)}


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "arguments", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}.{i}" if path else str(i))


def describe(item: BaseModel, service: str) -> str:
    """How a reason names where text came from: `gmail message 18c…`."""
    kind = _CAMEL.sub(" ", type(item).__name__).lower()
    if isinstance(item, Resource):
        # Some connectors already prefix the id with its kind (`message:18c…`): say it once.
        ident = item.provenance.id.removeprefix(f"{kind.rsplit(' ', 1)[-1]}:")
        return f"{service} {kind} {ident if len(ident) <= 60 else ident[:59] + '…'}"
    return f"{service} {kind}"


class TaintTracker:
    """The fingerprints of what one Toolkit read; `check` finds them again in a write's arguments."""

    def __init__(
        self,
        *,
        quote_words: int = 12,
        token_chars: int = 24,
        max_fingerprints: int = 100_000,
        max_pending: int = 1_000,
    ) -> None:
        self._window = max(1, quote_words - SHINGLE_WORDS + 1)
        self._token_chars = token_chars
        self._max = max_fingerprints
        self._seen: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()
        # Reads are many and tainted-write checks few: results are fingerprinted when a check needs them.
        self._pending: deque[tuple[object, str]] = deque(maxlen=max_pending)

    def __len__(self) -> int:
        self._drain()
        return len(self._seen)

    def record_text(self, text: str, source: str) -> None:
        """Remember `text`, read from `source`, as fingerprints."""
        words = _words(text)
        prints = _winnow(_shingles(words), self._window) | self._tokens(words)
        with self._lock:
            for fp in prints:
                self._seen[fp] = source
                self._seen.move_to_end(fp)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)

    def record(self, result: object, service: str) -> None:
        """Remember the prose of a read result: each item's text under its own provenance."""
        with self._lock:
            self._pending.append((result, service))

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                result, service = self._pending.popleft()
            items = result.items if isinstance(result, Page) else [result]
            for item in items:
                if isinstance(item, BaseModel):
                    self._record_model(item, service, describe(item, service))

    def _record_model(self, model: BaseModel, service: str, source: str) -> None:
        for name in type(model).model_fields:
            if name == "provenance" and isinstance(model, Resource):
                continue
            self._record_value(getattr(model, name), service, source)

    def _record_value(self, value: object, service: str, source: str) -> None:
        if isinstance(value, BaseModel):
            # A message inside a thread is named as itself in reasons, not as the thread.
            inner = describe(value, service) if isinstance(value, Resource) else source
            self._record_model(value, service, inner)
        elif isinstance(value, list | tuple):
            for item in value:
                self._record_value(item, service, source)
        elif isinstance(value, dict):
            for item in value.values():
                self._record_value(item, service, source)
        elif isinstance(value, str) and is_prose(value):
            self.record_text(value, source)

    def check(self, arguments: BaseModel | dict[str, Any]) -> list[TaintHit]:
        """The arguments that carry text this session read, each with the sources it came from."""
        self._drain()
        data = arguments.model_dump(mode="json") if isinstance(arguments, BaseModel) else arguments
        hits: list[TaintHit] = []
        for field, text in _strings(data):
            words = _words(text)
            prints = [*_shingles(words), *self._tokens(words)]
            with self._lock:
                sources = dict.fromkeys(self._seen[fp] for fp in prints if fp in self._seen)
            if sources:
                hits.append(TaintHit(field, tuple(sources)))
        return hits

    def _tokens(self, words: list[str]) -> set[int]:
        return {
            hash(f"token:{w}")
            for w in words
            if len(w) >= self._token_chars and not w.isdigit() and not w.isalpha()
        }


__all__ = ["SHINGLE_WORDS", "TaintHit", "TaintTracker", "describe"]
