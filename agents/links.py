"""Links in text, with their real hosts: exfiltration through URLs, and look-alike domains named as such.

A link is a channel of its own: a markdown image or an HTML pixel fetches its URL as soon as the
text is shown, so data in its query leaves without anyone clicking. Links are found in markdown
(`[t](u)`, `![t](u)`), HTML (`href=`, `src=`), and bare in text; each host is given as it really
is (IDNA decoded) with what is suspicious about it: a mixed-script label, look-alike characters
(its TR39 skeleton differs from its letters), or punycode.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from charter.agents.textnorm import is_invisible, perceived

_URL = re.compile(r"""(?:https?|ftp)://[^\s<>"'`)\]]+|(?<![\w@./])www\.[^\s<>"'`)\]]+""", re.IGNORECASE)
_ADDRESS = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[\w-]+)")
# What every link or address above starts from: most texts hold none, and one search says so.
_LINKISH = re.compile(r"://|www\.|@", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    """One URL in a text: its host as it really is, and what about the host should make a person look."""

    url: str
    host: str
    carries_data: bool
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        more = f" — {'; '.join(self.warnings)}" if self.warnings else ""
        data = " (its query carries data)" if self.carries_data else ""
        return f"{self.host}{data}: {self.url}{more}"


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def host_warnings(host: str) -> tuple[str, ...]:
    """What is misleading about a host name: mixed scripts, look-alike letters, punycode, invisibles."""
    warnings: list[str] = []
    if any(is_invisible(c) for c in host):
        warnings.append("the host contains invisible characters")
    if "xn--" in host.lower():
        warnings.append("the host is written in punycode")
    shown = _shown_host(host)
    for label in shown.split("."):
        scripts = {_script(c) for c in label if c.isalpha()}
        if len(scripts) > 1:
            warnings.append(f"the label {label!r} mixes scripts ({', '.join(sorted(scripts))})")
    letters = "".join(c for c in shown if not is_invisible(c))
    if not letters.isascii():
        # Only the foreign letters are mapped: `m` stays `m` in the name a person is shown.
        plain = "".join(c if c.isascii() else perceived(c) for c in letters)
        if plain.isascii():
            warnings.append(f"look-alike of {plain}")
    return tuple(warnings)


def _shown_host(host: str) -> str:
    try:
        return host.encode("ascii").decode("idna") if "xn--" in host.lower() else host
    except UnicodeError:
        return host


def host_of(url: str) -> str:
    """The lower-cased host a URL really reaches (userinfo and port dropped, IDNA decoded)."""
    candidate = url if "://" in url else f"http://{url}"
    try:
        host = urlsplit(candidate).hostname or ""
    except ValueError:
        host = ""
    return _shown_host(unquote(host)).lower().rstrip(".")


def links(text: str) -> list[Link]:
    """Every link in `text`, in order, each once."""
    found: dict[str, Link] = {}
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?")
        if url in found:
            continue
        host = host_of(url)
        if not host:
            continue
        query = urlsplit(url if "://" in url else f"http://{url}").query
        found[url] = Link(url, host, bool(query), host_warnings(host))
    return list(found.values())


def hosts(text: str) -> set[str]:
    """The hosts `text` names: in its links, and the domains of its mail addresses."""
    if not _LINKISH.search(text):
        return set()
    named = {link.host for link in links(text)}
    return named | {m.lower() for m in _ADDRESS.findall(text)}


__all__ = ["Link", "host_of", "host_warnings", "hosts", "links"]
