"""Secret-shaped content in an outward write, found with `detect-secrets`: a push protection for agents.

Taint only knows what a session read; an agent may also hold a token from its own environment.
Every string of a write, and what it hides in a common encoding, goes through detect-secrets'
pattern plugins (cloud keys, service tokens, private keys, JWTs, URLs with passwords, `password =`
assignments) and its Shannon-entropy measure for long base64 and hex strings, at the limits
detect-secrets uses by default. A finding names the kind of secret, never the secret.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector

from charter.agents.textnorm import decodings

# A public IP address is not a secret: mail and issues name them all the time.
_SKIPPED = {"IPPublicDetector"}
BASE64_LIMIT = 4.5
HEX_LIMIT = 3.0
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{20,}(?![0-9A-Fa-f])")
# The slowest plugins match only after a keyword: a line without one is skipped (same findings).
_KEYWORDED = {
    "KeywordDetector": re.compile("|".join(DENYLIST), re.IGNORECASE),
    "IbmCloudIamDetector": re.compile(r"ibm|iam", re.IGNORECASE),
    "IbmCosHmacDetector": re.compile(r"ibm|cos|hmac", re.IGNORECASE),
    "SoftlayerDetector": re.compile(r"softlayer|sl", re.IGNORECASE),
}
_CACHED_CHARS = 20_000


@lru_cache(maxsize=1)
def _plugins() -> tuple[BasePlugin, ...]:
    kinds: list[type[Any]] = list(get_mapping_from_secret_type_to_class().values())
    found: list[BasePlugin] = [
        kind() for kind in kinds if issubclass(kind, RegexBasedDetector) and kind.__name__ not in _SKIPPED
    ]
    return (*found, KeywordDetector())


@lru_cache(maxsize=1)
def _entropy() -> tuple[Base64HighEntropyString, HexHighEntropyString]:
    return Base64HighEntropyString(limit=BASE64_LIMIT), HexHighEntropyString(limit=HEX_LIMIT)


def _high_entropy(text: str) -> list[str]:
    b64, hexa = _entropy()
    found: list[str] = []
    for run in _HEX_RUN.findall(text):
        if hexa.calculate_shannon_entropy(run) >= HEX_LIMIT:
            found.append(hexa.secret_type)
    for run in _BASE64_RUN.findall(text):
        mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        if mixed and b64.calculate_shannon_entropy(run) >= BASE64_LIMIT:
            found.append(b64.secret_type)
    return found


def _kinds(text: str) -> list[str]:
    found: list[str] = []
    for plugin in _plugins():
        hint = _KEYWORDED.get(type(plugin).__name__)
        lines = [line for line in text.splitlines() if hint.search(line)] if hint else [text]
        found += [plugin.secret_type for line in lines for _ in plugin.analyze_string(line)]
    return found + _high_entropy(text)


@lru_cache(maxsize=1024)
def _cached(text: str) -> tuple[str, ...]:
    return tuple(_scan(text))


def _scan(text: str) -> list[str]:
    kinds: dict[str, None] = {}
    for variant in (text, *decodings(text)):
        kinds.update(dict.fromkeys(_kinds(variant)))
    return list(kinds)


def secret_kinds(text: str) -> list[str]:
    """The kinds of secret `text` carries (e.g. `AWS Access Key`), in it or in what it encodes."""
    if len(text) < 8:
        return []
    return list(_cached(text)) if len(text) <= _CACHED_CHARS else _scan(text)


__all__ = ["BASE64_LIMIT", "HEX_LIMIT", "secret_kinds"]
