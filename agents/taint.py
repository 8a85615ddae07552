"""Taint: what a grant's sessions read, remembered as fingerprints, so a write that carries it is caught.

Text read from a service (bodies, comments, titles, file contents) is third-party content, and some
of it is secret. When an agent copies it into a write, a person should look first: that is how an
injected "forward this to …" reaches the outside. The tracker compares perceived text
(`charter.agents.textnorm`: invisible characters dropped, look-alike letters mapped to their TR39
skeleton, case folded), in every string of a write and in what those strings hide in base64, hex,
URL-encoding, quoted-printable or tag characters, nested up to twice. It remembers, as hashes only:

- word shingles (runs of `SHINGLE_WORDS` words), winnowed so that any run of at least
  `quote_words` words shared by a read and a later argument is always detected;
- secret-shaped tokens (a key, a code, a file whose whole content is one short token) as their
  five-character pieces over letters and digits only, so re-spaced, re-punctuated or split copies
  match; pieces that went out in earlier writes of the grant count too, so a secret sent a few
  characters per call is caught once more than half of it has gone out.

With a `TaintStore`, fingerprints belong to the grant and outlive the session: a second session or
process sees what the first one read (a chain that stores text in one session and posts it in the
next). Hashing waits until a write is checked; the texts waiting meanwhile are bounded by
`max_pending_chars`. Memory is bounded: at most `max_fingerprints` hashes, the oldest forgotten first.
"""

from __future__ import annotations

import html
import re
import threading
import zlib
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from charter.agents.links import hosts
from charter.agents.taintstore import Secret, TaintStore
from charter.agents.textnorm import compact, decodings, perceived
from charter.agents.untrusted import Quote
from charter.connectors.bulk import paused_gc

SHINGLE_WORDS = 6
MAX_TEXT_CHARS = 200_000
PIECE = 5
MIN_SECRET = 6
SOURCES_KEPT = 4
_WORD = re.compile(r"\w+")
# Addresses, links and dates are shared on purpose; they are weighed as recipients and links.
_NOT_SECRET = re.compile(r"^(?:[a-z][\w+.-]*://|www\.|mailto:)|@|^\d{4}-\d\d-\d\d", re.IGNORECASE)


@dataclass(frozen=True)
class TaintHit:
    """An argument that carries text read earlier, and where that text came from."""

    field: str
    sources: tuple[str, ...]
    kind: str = "quote"

    def reason(self) -> str:
        more = f" (and {len(self.sources) - 1} more)" if len(self.sources) > 1 else ""
        if self.kind == "pieces":
            what = "completes, with earlier writes, a secret-shaped token read from"
        elif self.kind == "token":
            what = "carries a secret-shaped token read from"
        else:
            what = "quotes text read from"
        return f"the {self.field} {what} {self.sources[0]}{more}"


def stable_hash(text: str) -> int:
    """A 63-bit hash that is the same in every process (fingerprints are stored and shared)."""
    raw = text.encode("utf-8", "surrogatepass")
    return (zlib.crc32(raw) << 31) ^ zlib.adler32(raw)


def _variants(text: str) -> list[str]:
    # Services escape some text as HTML (Gmail snippets say `I&#39;ll`); whoever quotes it writes `'`.
    kept = html.unescape(text[:MAX_TEXT_CHARS])
    return [kept, *decodings(kept)]


def _words(text: str) -> list[str]:
    return _WORD.findall(perceived(text))


def _shingles(words: list[str]) -> list[int]:
    last = len(words) - SHINGLE_WORDS + 1
    return [stable_hash(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(last)]


def _winnow(hashes: list[int], window: int) -> set[int]:
    """The smallest hash of every window: shared runs of `window` shingles always share one."""
    if len(hashes) <= window:
        return {min(hashes)} if hashes else set()
    return {min(hashes[i : i + window]) for i in range(len(hashes) - window + 1)}


def _pieces(letters: str) -> set[int]:
    return {stable_hash(letters[i : i + PIECE]) for i in range(len(letters) - PIECE + 1)}


def _host_print(host: str) -> int:
    return stable_hash(f"host:{host.lower()}")


def _mixed(word: str) -> bool:
    # map over the bound methods counts in C; a generator expression was a bulk read's hot spot.
    return sum(map(str.isdigit, word)) >= 2 and sum(map(str.isalpha, word)) >= 2


@lru_cache(maxsize=8)
def _candidates(token_chars: int) -> re.Pattern[str]:
    # An ASCII character is perceived as at most two letters or digits (`m` as `rn`), so a token
    # is a word of at least half `token_chars` characters, or one holding two digits (mixed).
    return re.compile(rf"(?<!\S)(?=\S{{{(token_chars + 1) // 2}}}|\S*\d\S*\d)\S+")


def secret_tokens(text: str, token_chars: int) -> list[str]:
    """The secret-shaped tokens of `text`, letters and digits only: long tokens, mixed short ones."""
    words = text.split()
    found: list[str] = []
    if len(words) == 1:
        if not _NOT_SECRET.search(words[0]) and _mixed(words[0]):
            found.append(compact(words[0]))  # a file or field whose whole content is one short token
        words = []
    elif text.isascii():
        words = _candidates(token_chars).findall(text)  # the other words cannot be long enough
    for word in words:
        if _NOT_SECRET.search(word):
            continue
        letters = compact(word)
        if len(letters) >= token_chars or (len(letters) >= 10 and _mixed(word)):
            found.append(letters)
    return [t for t in found if len(t) >= MIN_SECRET]


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "arguments", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}.{i}" if path else str(i))


# A text's word-run and host fingerprints and its secret-shaped tokens.
_Analysis = tuple[frozenset[int], tuple[str, ...]]


def _analyse(text: str, window: int, token_chars: int) -> _Analysis:
    """What `text` leaves to remember: winnowed word runs and hosts of every variant, and its tokens."""
    tokens: dict[str, None] = {}
    prints = {_host_print(h) for h in hosts(text[:MAX_TEXT_CHARS])}
    for variant in _variants(text):
        prints |= _winnow(_shingles(_words(variant)), window)
        tokens.update(dict.fromkeys(secret_tokens(variant, token_chars)))
    return frozenset(prints), tuple(tokens)


class TaintTracker:
    """The fingerprints of what a grant read; `check` finds them again in a write's arguments."""

    def __init__(
        self,
        *,
        quote_words: int = 12,
        token_chars: int = 24,
        max_fingerprints: int = 100_000,
        max_pending_chars: int = 4_000_000,
        store: TaintStore | None = None,
        grant_id: str | None = None,
    ) -> None:
        self._window = max(1, quote_words - SHINGLE_WORDS + 1)
        self._token_chars = token_chars
        self._max = max_fingerprints
        self._seen: OrderedDict[int, tuple[str, ...]] = OrderedDict()
        self._secrets: dict[int, tuple[frozenset[int], str]] = {}
        self._index: dict[int, set[int]] = {}
        self._out: set[int] = set()
        self._lock = threading.Lock()
        self._store = store if grant_id else None
        self._grant = grant_id or ""
        self._pending: deque[Quote] = deque()
        self._pending_chars = 0
        self._max_pending_chars = max_pending_chars
        if self._store is not None:
            prints, secrets, out = self._store.load(self._grant)
            self._remember(prints, secrets)
            self._out = out

    def __len__(self) -> int:
        self._drain()
        return len(self._seen) + len(self._secrets)

    def record_text(self, text: str, source: str) -> None:
        """Remember `text`, read from `source`, as fingerprints."""
        prints, secrets = self._fingerprint([(text, source)])
        if self._store is not None and (prints or secrets):
            self._store.add(self._grant, prints, secrets)

    def _fingerprint(self, quotes: Iterable[Quote]) -> tuple[list[tuple[int, str]], list[Secret]]:
        """Remember texts in memory, in order; the fingerprints and secrets they added, for the store."""
        # A read repeats texts (the person's address on every message, one organiser on every
        # event): each distinct text is analysed once, and a text read twice from one place once.
        analysed: dict[str, _Analysis] = {}
        found: dict[Quote, _Analysis] = {}
        for text, source in quotes:
            if (text, source) not in found:
                if text not in analysed:
                    analysed[text] = _analyse(text, self._window, self._token_chars)
                found[(text, source)] = analysed[text]
        pairs = [(fp, source) for (_, source), (prints, _) in found.items() for fp in prints]
        with self._lock:
            fresh: dict[int, dict[str, None]] = {}
            for fp, source in pairs:
                if source not in self._seen.get(fp, ()):
                    fresh.setdefault(fp, {})[source] = None
            # Only the last few places of a fingerprint are kept (one domain on a thousand events
            # is one fingerprint from a thousand places); the store needs no more than memory keeps.
            new_prints = [(fp, s) for fp, places in fresh.items() for s in list(places)[-SOURCES_KEPT:]]
            secrets: dict[int, Secret] = {}
            for (_, source), (_, tokens) in found.items():
                for token in tokens:
                    key = stable_hash(token)
                    if key not in self._secrets and key not in secrets:
                        secrets[key] = (key, len(token), frozenset(_pieces(token)), source)
        self._remember(pairs, secrets.values())
        return new_prints, list(secrets.values())

    def _remember(self, prints: Iterable[tuple[int, str]], secrets: Iterable[Secret]) -> None:
        with self._lock:
            for fp, source in prints:
                # A few places per fingerprint: a reply to one of them is then recognised as such.
                known = self._seen.get(fp, ())
                self._seen[fp] = known if source in known else (source, *known[: SOURCES_KEPT - 1])
                self._seen.move_to_end(fp)
                if len(self._seen) > self._max:
                    self._seen.popitem(last=False)
            for token, _length, pieces, source in secrets:
                self._secrets[token] = (pieces, source)
                for piece in pieces:
                    self._index.setdefault(piece, set()).add(token)

    def record(self, quotes: Iterable[Quote]) -> None:
        """Remember texts a read returned, each with where it came from."""
        with paused_gc():  # thousands of small tuples: the collector would rescan the heap for none
            kept = [(text[:MAX_TEXT_CHARS], source) for text, source in quotes]
            with self._lock:
                self._pending.extend(kept)
                self._pending_chars += sum(len(text) for text, _ in kept)
                over = self._pending_chars > self._max_pending_chars
        if self._store is not None:
            self._drain()  # stored now, so another session or process of the grant sees it at once
        elif over:
            self._drain(keep_chars=self._max_pending_chars)

    def _drain(self, keep_chars: int = 0) -> None:
        """Fingerprint waiting texts, oldest first, until at most `keep_chars` characters wait."""
        taken: list[Quote] = []
        with self._lock:
            while self._pending and self._pending_chars > keep_chars:
                text, source = self._pending.popleft()
                self._pending_chars -= len(text)
                taken.append((text, source))
        if not taken:
            return
        # One transaction for everything drained: a read of 1,000 rows is one write to the store.
        # Fingerprints form no cycles; the collector would rescan the whole heap meanwhile.
        with paused_gc():
            prints, secrets = self._fingerprint(taken)
        if self._store is not None and (prints or secrets):
            self._store.add(self._grant, prints, secrets)

    def unseen_hosts(self, named: Iterable[str]) -> list[str]:
        """The hosts among `named` that nothing this grant read mentions."""
        self._drain()
        return sorted(h for h in set(named) if _host_print(h) not in self._seen)

    def check(self, arguments: BaseModel | dict[str, Any], *, sent: bool = False) -> list[TaintHit]:
        """The arguments that carry text this grant read, each with the sources it came from.

        With `sent`, the pieces of read secrets these arguments carry are remembered as gone out,
        so a later write that completes the secret is caught.
        """
        hits, pieces = self.inspect(arguments)
        if sent:
            self.went_out(pieces)
        return hits

    def inspect(self, arguments: BaseModel | dict[str, Any]) -> tuple[list[TaintHit], set[int]]:
        """`check`'s hits, and the pieces of read secrets the arguments carry (for `went_out`)."""
        self._drain()
        data = arguments.model_dump(mode="json") if isinstance(arguments, BaseModel) else arguments
        hits: list[TaintHit] = []
        outgoing: set[int] = set()
        for field, text in _strings(data):
            hit, pieces = self._check_text(field, text)
            outgoing |= pieces
            hits += hit
        return hits, outgoing

    def _check_text(self, field: str, text: str) -> tuple[list[TaintHit], set[int]]:
        quoted: dict[str, None] = {}
        pieces: set[int] = set()
        for variant in _variants(text):
            for fp in _shingles(_words(variant)):
                quoted.update(dict.fromkeys(self._seen.get(fp, ())))
            pieces |= {p for p in _pieces(compact(variant)) if p in self._index}
        hits = [TaintHit(field, tuple(quoted))] if quoted else []
        found = self._covered(pieces)
        for kind in ("token", "pieces"):
            sources = tuple(dict.fromkeys(s for s, k in found if k == kind))
            if sources:
                hits.append(TaintHit(field, sources, kind))
        return hits, pieces

    def _covered(self, pieces: set[int]) -> list[tuple[str, str]]:
        """Read secrets half or more of which `pieces` carry, alone or with what went out before."""
        with self._lock:
            tokens = {t for p in pieces for t in self._index.get(p, ())}
            found: list[tuple[str, str]] = []
            for token in tokens:
                grams, source = self._secrets[token]
                now = len(grams & pieces)
                if 2 * now >= len(grams):
                    found.append((source, "token"))
                elif 2 * (now + len(grams & (self._out - pieces))) >= len(grams):
                    found.append((source, "pieces"))
            return found

    def went_out(self, pieces: set[int]) -> None:
        """Remember pieces of read secrets as sent: a later write completing a secret is caught."""
        with self._lock:
            new = pieces - self._out
            self._out |= new
        if new and self._store is not None:
            self._store.add(self._grant, out=new)


__all__ = ["SHINGLE_WORDS", "TaintHit", "TaintTracker", "secret_tokens", "stable_hash"]
