"""Checks on the base URL of an OAuth server or API, made before a consent flow starts waiting."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from charter.schemas import ConfigurationError


def checked_base_url(url: str, *, what: str = "the server") -> str:
    """`url` without its trailing slash, when it is an absolute http(s) URL with a host."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        example = f"http://{text}" if text and "://" not in text else "http://127.0.0.1:8765"
        raise ConfigurationError(
            f"{url!r} is not a URL Charter can use for {what}: write it with its scheme and host, "
            f"e.g. {example}"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"the URL of {what} takes no query or fragment: {url!r}")
    return text.rstrip("/")


def require_listening(url: str, *, what: str = "the server", hint: str = "", timeout: float = 3.0) -> None:
    """Fail at once, naming `url`, when nothing accepts a connection at its host and port."""
    parts = urlsplit(checked_base_url(url, what=what))
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    raise ConfigurationError(
        f"nothing answers at {url} ({reason}): check the URL" + (f"; {hint}" if hint else "")
    )


def is_loopback_http(url: str) -> bool:
    """A plain-http URL on this machine's loopback: a local sandbox, never a real provider."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


__all__ = ["checked_base_url", "is_loopback_http", "require_listening"]
