"""Grant tokens and their key (`charter.auth.grant_tokens`), pinned where mutation testing found them loose.

Each test names the promise it holds: the prefix and the length cap judged on their own, what a
refused token tells the person, and a signing key refused when it is too short or unreadable.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from charter.auth.grant_tokens import (
    KEY_ENV,
    KEY_FILE,
    MAX_TOKEN_CHARS,
    TOKEN_PREFIX,
    canonical,
    decode,
    encode,
    signing_key,
)
from charter.auth.home import CharterHome
from charter.schemas import ConfigurationError, GrantClaims, GrantDenied

KEY = bytes(range(32))
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CLAIMS = GrantClaims.model_validate(
    {
        "id": "grt_1",
        "subject": "mona",
        "agent": "bot",
        "connections": ("c1",),
        "verbs": ("read",),
        "issued_at": NOW,
        "expires_at": NOW + timedelta(hours=1),
    }
)
MALFORMED = (
    "this grant token is malformed (a grant token starts with chg_ and comes from "
    "`charter grant create`); ask the person for a valid grant."
)
FORGED = (
    "this grant token's signature does not match: it was altered or issued by another "
    "Charter home. Ask the person for a new grant."
)


def _denial(token: object) -> GrantDenied:
    with pytest.raises(GrantDenied) as exc:
        decode(KEY, token)
    return exc.value


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_the_claims_are_signed_in_one_canonical_spelling() -> None:
    # Sorted keys and no whitespace: the same claims always give the same bytes to sign and to keep.
    raw = base64.urlsafe_b64decode(encode(KEY, CLAIMS).split(".")[0].removeprefix(TOKEN_PREFIX) + "==")
    assert raw == canonical(CLAIMS).encode()
    assert raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    assert list(json.loads(raw)) == sorted(json.loads(raw))


def test_a_refused_token_tells_the_person_what_it_is_and_what_to_do() -> None:
    token = encode(KEY, CLAIMS)
    malformed, forged = _denial(token + "="), _denial(encode(bytes(32), CLAIMS))
    assert (malformed.details["reason"], malformed.message) == ("malformed", MALFORMED)
    assert (forged.details["reason"], forged.message) == ("forged", FORGED)


@pytest.mark.parametrize("prefix", ["chh_", "CHG_", "xyz_", "chg-"])
def test_an_ascii_token_without_the_prefix_is_malformed_not_checked_further(prefix: str) -> None:
    token = encode(KEY, CLAIMS)
    assert decode(KEY, token) == CLAIMS  # control: only the prefix differs below
    denial = _denial(prefix + token.removeprefix(TOKEN_PREFIX))
    assert denial.details["reason"] == "malformed"


def test_the_length_cap_holds_for_a_well_formed_ascii_token() -> None:
    signature = _b64(bytes(32))
    at_cap = TOKEN_PREFIX + "A" * (MAX_TOKEN_CHARS - len(TOKEN_PREFIX) - 1 - len(signature)) + "." + signature
    assert len(at_cap) == MAX_TOKEN_CHARS
    # A token of exactly the cap is read and judged by its signature; one longer is never read.
    assert _denial(at_cap).details["reason"] == "forged"
    over = at_cap.replace(".", "AA.", 1)
    assert len(over) == MAX_TOKEN_CHARS + 2
    assert _denial(over).details["reason"] == "malformed"


def test_the_configured_key_is_used_whole_and_trimmed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = CharterHome(tmp_path)
    key = bytes(range(100, 133))  # 33 bytes: a length whose encoding ends mid-quantum
    monkeypatch.setenv(KEY_ENV, f"  {_b64(key)}\n")
    assert signing_key(home) == key
    assert not (tmp_path / KEY_FILE).exists()  # a configured key writes no key file


@pytest.mark.parametrize("value", ["c2hvcnQ", "A", "!!!!" * 11, _b64(bytes(31))])
def test_a_configured_key_that_is_short_or_not_base64url_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(ConfigurationError) as exc:
        signing_key(CharterHome(tmp_path))
    assert exc.value.message == f"{KEY_ENV} must be at least 32 bytes, base64url encoded"


def test_a_configured_key_of_exactly_32_bytes_is_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(KEY_ENV, _b64(bytes(32)))
    assert signing_key(CharterHome(tmp_path)) == bytes(32)


def test_the_key_file_is_made_once_and_read_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    home = CharterHome(tmp_path)
    first = signing_key(home)
    assert len(first) == 32
    assert signing_key(home) == first
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left beside it


def test_a_damaged_key_file_is_refused_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / KEY_FILE
    path.write_bytes(bytes(31))
    path.chmod(0o600)
    with pytest.raises(ConfigurationError) as exc:
        signing_key(CharterHome(tmp_path))
    assert exc.value.message == f"{path} is damaged (too short); remove it and issue grants again"
    path.write_bytes(bytes(32))
    assert signing_key(CharterHome(tmp_path)) == bytes(32)  # control: 32 bytes are enough


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o610, 0o601])
def test_a_key_file_others_can_reach_is_refused(
    mode: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    signing_key(CharterHome(tmp_path))
    path = tmp_path / KEY_FILE
    path.chmod(mode)
    with pytest.raises(ConfigurationError) as exc:
        signing_key(CharterHome(tmp_path))
    assert exc.value.message == (
        f"{path} is readable by other users; run `chmod 600 {path}` (anyone who reads it can forge grants)"
    )
