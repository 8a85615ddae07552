"""A consent flow refuses an unusable server URL before it sends the person anywhere."""

from __future__ import annotations

import socket
import time

import pytest

from charter.auth.consent import checked_base_url, require_listening
from charter.schemas import ConfigurationError


@pytest.mark.parametrize(
    ("url", "expected"),
    [("http://127.0.0.1:8765", "http://127.0.0.1:8765"), ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
     (" https://github.com ", "https://github.com"), ("http://[::1]:9/", "http://[::1]:9")],
)  # fmt: skip
def test_an_absolute_http_url_is_kept_without_its_trailing_slash(url: str, expected: str) -> None:
    assert checked_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["127.0.0.1:8765", "localhost", "ftp://127.0.0.1", "http://", "http://h:port", "", "http://h/?a=1",
     "javascript:alert(1)", "http:/127.0.0.1:8765"],
)  # fmt: skip
def test_a_url_without_scheme_or_host_is_refused_with_an_example(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        checked_base_url(url, what="the github sandbox")
    assert "the github sandbox" in caught.value.message or "query" in caught.value.message


def test_the_example_for_a_bare_host_and_port_adds_the_scheme() -> None:
    with pytest.raises(ConfigurationError, match=r"e\.g\. http://127\.0\.0\.1:8765"):
        checked_base_url("127.0.0.1:8765")


def test_nothing_listening_is_refused_at_once_with_the_hint() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        started = time.monotonic()
        with pytest.raises(ConfigurationError, match=f"nothing answers at http://127.0.0.1:{port}") as caught:
            require_listening(f"http://127.0.0.1:{port}", hint="start it first")
    assert time.monotonic() - started < 2
    assert caught.value.message.endswith("start it first")


def test_control_a_listening_server_passes() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        require_listening(f"http://127.0.0.1:{s.getsockname()[1]}")
