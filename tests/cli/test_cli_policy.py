"""`charter policy check|explain|replay` on the audit log the demo's agents left in a real home."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import DEFAULT_POLICY_FILE
from charter.cli.demo_google import POLICY
from charter.cli.main import main


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def charter(*args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home after `charter demo`: both scenes' agents read, drafted, paused, wrote and were refused."""
    path = tmp_path_factory.mktemp("policy") / "demo-home"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CHARTER_HOME", "CHARTER_DATABASE_URL", "CHARTER_KEY", "CHARTER_REPLAY_RETENTION_DAYS"):
            patch.delenv(name, raising=False)
        ran = charter("demo", "--pace", "0", "--home", str(path))
        assert ran.code == 0, ran.err
        yield path


def test_check_passes_the_shipped_policy_and_prints_the_effect_per_tool(demo_home: Path) -> None:
    ran = charter("--home", str(demo_home), "policy", "check")
    assert ran.code == 0, ran.err
    assert "gmail_send_draft: write, external: approval required" in ran.out
    assert "github_commit_file: write, rewrites: approval required" in ran.out
    text = " ".join(ran.out.split())
    assert (
        "calendar_create_event: write: allowed within a grant with the write verb when it reaches only"
        in text
    )
    assert "requires approval" in ran.out


def test_check_of_a_pack_as_json_lists_every_tool(demo_home: Path) -> None:
    ran = charter("--home", str(demo_home), "policy", "check", "--pack", "triage-bot", "--json")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert data["ok"] is True
    comment = data["effective"]["github_comment"]
    assert any('when issue.labels contains "triage"' in line for line in comment)


def test_check_refuses_a_broken_file_with_its_line_and_reason(demo_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(
        "rules:\n  - outcome: deny\n    actions: [gmail_send_draft]\n    when: len(recipients) > 5\n"
    )
    ran = charter("--home", str(demo_home), "policy", "check", str(bad))
    assert ran.code == 1
    assert f"error[policy_invalid]: {bad}:4:" in ran.err
    assert "no field `recipients`" in ran.err


def test_check_lists_dead_and_shadowed_rules(demo_home: Path, tmp_path: Path) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text(
        "rules:\n"
        "  - {outcome: deny, actions: ['gmail_*']}\n"
        "  - {outcome: approval_required, actions: [gmail_send_draft]}\n"
        "  - {outcome: deny, actions: [gmail_sendd_draft]}\n"
    )
    ran = charter("--home", str(demo_home), "policy", "check", str(file), "--json")
    assert ran.code == 0, ran.err
    notes = {(n["rule"], n["kind"]) for n in json.loads(ran.out)["notes"]}
    assert notes == {(1, "shadowed"), (2, "never_matches")}


def test_explain_gives_the_decision_rule_by_rule_for_a_grant(demo_home: Path, tmp_path: Path) -> None:
    home = CharterHome(demo_home)
    connection = next(
        c for c in GrantAuthority(home).list() if c.claims.agent == "triage-bot"
    ).claims.connections
    grant = GrantAuthority(home).issue("mona", "triage-bot", connection, ("read", "draft", "write"))
    token = tmp_path / "grant.token"
    token.write_text(grant.token + "\n")
    args = json.dumps({"repo": "acme/web", "number": 5, "body": "Thanks!"})
    plain = charter(
        "--home", str(demo_home), "policy", "explain", "github_comment", "--args", args, "--grant", str(token)
    )
    assert plain.code == 0, plain.err
    assert "github_comment would be paused for approval" in plain.out
    assert "approval required because github_comment is tagged external" in plain.out
    facts = json.dumps({"issue": {"labels": ["bug", "triage"]}})
    triage = charter(
        "--home", str(demo_home), "policy", "explain", "github_comment", "--args", args,
        "--grant", str(token), "--pack", "triage-bot", "--facts", facts, "--json",
    )  # fmt: skip
    assert triage.code == 0, triage.err
    data = json.loads(triage.out)
    assert data["outcome"] == "allow"
    assert data["agent"] == "triage-bot"
    first = data["rules"][0]
    assert first["applies"] is True
    assert '`issue.labels contains "triage"` is true' in first["why"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["gmail_send_draft", "--args", "{not json"], "usage_error"),
        (["gmail_send_draft", "--args", "[1]"], "usage_error"),
        (["gmail_send_draft", "--args", '{"to": "nobody"}'], "validation_error"),
        (["gmail_sned_draft"], "usage_error"),
        (["gmail_send_draft", "--pack", "no-such-pack"], "policy_invalid"),
        (["gmail_send_draft", "--grant", "/nonexistent/grant"], "usage_error"),
    ],
)
def test_explain_answers_bad_input_with_a_typed_error(demo_home: Path, args: list[str], code: str) -> None:
    ran = charter("--home", str(demo_home), "policy", "explain", *args)
    assert ran.code == 1
    assert ran.err.startswith(f"error[{code}]:"), ran.err


def test_replay_of_a_stricter_pack_shows_what_would_have_changed(demo_home: Path) -> None:
    ran = charter(
        "--home",
        str(demo_home),
        "policy",
        "replay",
        "--pack",
        "read-only-assistant",
        "--since",
        "1d",
        "--json",
    )
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    counts = data["counts"]
    assert counts["github_comment"]["paused → denied"] >= 1
    assert counts["gmail_send_draft"]["paused → denied"] >= 1
    assert counts["gmail_send_draft"]["allowed → denied"] >= 1
    assert counts["github_draft_comment"] == {"allowed → denied": 1}
    assert all(c["after"] == "deny" for c in data["changes"])
    # The merge the grant refused never reached policy: listed, with the reason, not guessed at.
    skipped = {s["tool"]: s["why"] for s in data["skipped"]}
    assert "refused before policy read its arguments" in skipped["github_merge_pull_request"]


def test_replay_of_the_policy_the_demo_ran_under_changes_nothing(demo_home: Path, tmp_path: Path) -> None:
    # The demo's Google scene adds Mona's waiver for her mail to the shipped policy.
    ran_under = tmp_path / "policy.yaml"
    ran_under.write_text(DEFAULT_POLICY_FILE.read_text() + POLICY.removeprefix("rules:\n"))
    ran = charter("--home", str(demo_home), "policy", "replay", str(ran_under), "--since", "1d", "--json")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    # Taint paused the forwarded mail despite the waiver: replay carries that over, not "allowed".
    assert data["changed"] == 0, data["changes"]
    assert data["replayed"] >= 10


def test_replay_of_the_shipped_policy_shows_the_waiver_it_lacks(demo_home: Path) -> None:
    ran = charter("--home", str(demo_home), "policy", "replay", "--since", "1d", "--json")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert data["counts"] == {"gmail_send_draft": {"allowed → paused": 1}}


def test_replay_prints_counts_per_tool(demo_home: Path) -> None:
    ran = charter("--home", str(demo_home), "policy", "replay", "--pack", "triage-bot")
    assert ran.code == 0, ran.err
    assert "would change" in ran.out
    assert "gmail_send_draft" in ran.out
    assert "cannot be replayed" in ran.out


def test_check_reads_the_homes_own_policy_which_may_name_a_pack(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "policy.yaml").write_text("pack: read-only-assistant\n")
    ran = charter("--home", str(home), "policy", "check")
    assert ran.code == 0, ran.err
    assert "denies  (pack read-only-assistant:7)" in ran.out
    assert "2 rule(s)" in ran.out
