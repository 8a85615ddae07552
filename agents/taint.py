"""Taint: what a session read, remembered as fingerprints, so a write that quotes it can be caught.

Text read from a service (bodies, comments, titles, descriptions) is third-party content. When an
agent copies it into an external write, a person should look first: that is how an injected
"forward this to …" reaches the outside. The tracker remembers text as hashes only:

- word shingles (runs of `SHINGLE_WORDS` normalised words), winnowed so that any run of at least
  `quote_words` words shared by a read and a later argument is always detected;
- long single tokens (keys, codes, secrets) of at least `token_chars` letters and digits.

Hashing waits until a write is checked, since reads are many and checks few; the texts waiting
meanwhile are bounded by `max_pending_chars`, beyond which the oldest are hashed at once. Memory is
bounded: at most `max_fingerprints` hashes, the oldest forgotten first.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from charter.agents.untrusted import Quote

SHINGLE_WORDS = 6
MAX_TEXT_CHARS = 200_000
_WORD = re.compile(r"\w+")


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


class TaintTracker:
    """The fingerprints of what one Toolkit read; `check` finds them again in a write's arguments."""

    def __init__(
        self,
        *,
        quote_words: int = 12,
        token_chars: int = 24,
        max_fingerprints: int = 100_000,
        max_pending_chars: int = 4_000_000,
    ) -> None:
        self._window = max(1, quote_words - SHINGLE_WORDS + 1)
        self._token_chars = token_chars
        self._max = max_fingerprints
        self._seen: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()
        # Reads are many and tainted-write checks few: texts are fingerprinted when a check needs them,
        # or, oldest first, when more than `max_pending_chars` wait (memory stays bounded, none dropped).
        self._pending: deque[Quote] = deque()
        self._pending_chars = 0
        self._max_pending_chars = max_pending_chars

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

    def record(self, quotes: Iterable[Quote]) -> None:
        """Remember texts a read returned, each with where it came from."""
        with self._lock:
            for text, source in quotes:
                kept = text[:MAX_TEXT_CHARS]
                self._pending.append((kept, source))
                self._pending_chars += len(kept)
            over = self._pending_chars > self._max_pending_chars
        if over:
            self._drain(keep_chars=self._max_pending_chars)

    def _drain(self, keep_chars: int = 0) -> None:
        """Fingerprint waiting texts, oldest first, until at most `keep_chars` characters wait."""
        while True:
            with self._lock:
                if not self._pending or self._pending_chars <= keep_chars:
                    return
                text, source = self._pending.popleft()
                self._pending_chars -= len(text)
            self.record_text(text, source)

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


__all__ = ["SHINGLE_WORDS", "TaintHit", "TaintTracker"]
