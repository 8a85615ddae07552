"""`charter grant`: issue, list, narrow and revoke the credentials agents act with."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from charter.auth.grants import GrantAuthority
from charter.cli.context import Local
from charter.schemas import GrantDenied

if TYPE_CHECKING:
    from conftest import Run

CREATE = ("grant", "create", "--agent", "triage-bot", "--verbs", "read,draft,write")


def test_quiet_create_prints_only_a_token_the_authority_accepts(
    run: Run, local_home: Local, connection_id: str
) -> None:
    ran = run(*CREATE, "--connection", connection_id, "--constraint", "repos=acme/web", "--budget", "5", "-q")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert len(lines) == 1
    claims = local_home.grants.verify(lines[0])
    assert claims.agent == "triage-bot"
    assert claims.subject == "mona"  # the connection's account by default
    assert claims.constraints == {"repos": ("acme/web",)}
    assert claims.budget == 5


def test_create_shows_the_grant_and_its_token_once_and_list_never_shows_it(
    run: Run, local_home: Local, connection_id: str
) -> None:
    ran = run(*CREATE, "--connection", connection_id, "--ttl", "1h30m", "--subject", "Mona Lisa")
    assert ran.code == 0, ran.err
    token = ran.out.splitlines()[-1]
    claims = local_home.grants.verify(token)
    assert ran.out.count(token) == 1
    assert claims.id in ran.text
    assert "on behalf of Mona Lisa" in ran.text
    assert (claims.expires_at - claims.issued_at).total_seconds() == 5400

    listed = run("grant", "list")
    assert listed.code == 0
    assert claims.id in listed.out
    assert "active" in listed.out
    assert token not in listed.out
    assert token[:40] not in listed.out


def test_attenuate_reads_the_parent_token_from_stdin_and_narrows_it(
    run: Run, local_home: Local, connection_id: str
) -> None:
    parent = run(*CREATE, "--connection", connection_id, "--constraint", "repos=acme/*", "-q").out.strip()
    child = run("grant", "attenuate", "-", "--agent", "sub-bot", "--verbs", "read",
                "--constraint", "repos=acme/web", "-q", stdin=parent + "\n")  # fmt: skip
    assert child.code == 0, child.err
    claims = local_home.grants.verify(child.out.strip())
    assert claims.agent == "triage-bot/sub-bot"
    assert claims.verbs == ("read",)
    assert claims.constraints == {"repos": ("acme/web",)}
    assert claims.parent_id == local_home.grants.verify(parent).id


def test_attenuate_refuses_a_child_wider_than_its_parent(run: Run, connection_id: str) -> None:
    parent = run("grant", "create", "--agent", "bot", "--connection", connection_id, "-q").out.strip()
    wider = run("grant", "attenuate", parent, "--verbs", "read,write")
    assert wider.code == 1
    assert wider.err.startswith("error[grant_denied]: attenuation refused: verbs ['write']")
    assert wider.out == ""


def test_revoke_ends_the_grant_and_its_children(run: Run, local_home: Local, connection_id: str) -> None:
    parent = run("grant", "create", "--agent", "bot", "--connection", connection_id, "-q").out.strip()
    child = run("grant", "attenuate", parent, "--verbs", "read", "-q").out.strip()
    parent_id = local_home.grants.verify(parent).id

    ran = run("grant", "revoke", parent_id)
    assert ran.code == 0, ran.err
    assert parent_id in ran.text
    for token in (parent, child):
        with pytest.raises(GrantDenied, match="revoked"):
            local_home.grants.verify(token)
    assert "revoked" in run("grant", "list").out
    assert "already revoked" in run("grant", "revoke", parent_id).text


def test_create_names_the_known_connections_when_one_is_unknown(run: Run, connection_id: str) -> None:
    ran = run("grant", "create", "--agent", "bot", "--connection", "github-nobody-0000")
    assert ran.code == 1
    assert ran.err.startswith("error[not_found]: no connection 'github-nobody-0000'")
    assert connection_id in ran.err


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [
        ("--ttl", "forever", "usage_error"),
        ("--constraint", "repos", "usage_error"),
        ("--verbs", "read,delete", "validation_error"),
        ("--budget", "0", "usage_error"),
        ("--budget", str(2**31), "usage_error"),
        ("--write-rate", str(2**40), "usage_error"),
    ],
)
def test_bad_values_fail_with_one_coded_line(
    run: Run, connection_id: str, option: str, value: str, code: str
) -> None:
    ran = run("grant", "create", "--agent", "bot", "--connection", connection_id, option, value)
    assert ran.code == 1
    assert ran.err.startswith(f"error[{code}]: ")
    assert ran.err.count("\n") == 1


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (
            ("--constraint", "repo=acme/web"),
            "unknown constraint 'repo' for a grant on github (did you mean 'repos'?)",
        ),
        (("--constraint", "Repos=acme/web"), "unknown constraint 'Repos'"),
        (("--constraint", "r\u0435pos=acme/web"), "unknown constraint 'r\u0435pos'"),
        (("--constraint", "calendars=primary"), "unknown constraint 'calendars' for a grant on github"),
        (("--action", "github_nuke"), "unknown action 'github_nuke'"),
        (("--destructive", "github_delete_repo"), "unknown destructive action 'github_delete_repo'"),
    ],
)
def test_a_typo_in_a_grant_is_refused_with_the_valid_names_and_issues_nothing(
    run: Run, local_home: Local, connection_id: str, option: tuple[str, str], expected: str
) -> None:
    ran = run(*CREATE, "--connection", connection_id, *option)
    assert ran.code == 1
    assert ran.err.startswith("error[validation_error]: ")
    assert expected in ran.err
    assert "valid " in ran.err
    assert local_home.grants.list() == []
    # Control: the name the connector declares is accepted in the same command.
    fixed = {"--constraint": "repos=acme/web", "--action": "github_list_issues", "--destructive": ""}[
        option[0]
    ]
    good = run(*CREATE, "--connection", connection_id, *((option[0], fixed) if fixed else ()), "-q")
    assert good.code == 0, good.err


def test_create_help_lists_the_constraint_names_and_actions(run: Run) -> None:
    ran = run("grant", "create", "--help")
    assert ran.code == 0
    assert "repos (github)" in ran.text
    assert "calendars (calendar)" in ran.text
    assert "merge_pull_request" in ran.text


def test_revoking_an_unknown_grant_is_not_found_for_the_person(run: Run) -> None:
    ran = run("grant", "revoke", "grt_nope")
    assert ran.code == 1
    assert ran.err.startswith("error[not_found]: there is no grant 'grt_nope'")
    assert "charter grant list" in ran.err
    assert "ask the person" not in ran.err


def test_list_json_shows_claims_and_usage_never_tokens(
    run: Run, local_home: Local, connection_id: str
) -> None:
    token = run(*CREATE, "--connection", connection_id, "--constraint", "repos=acme/web", "-q").out.strip()
    ran = run("grant", "list", "--json")
    assert ran.code == 0, ran.err
    [listed] = json.loads(ran.out)
    claims = local_home.grants.verify(token)
    assert (listed["id"], listed["agent"], listed["status"]) == (claims.id, "triage-bot", "active")
    assert listed["constraints"] == {"repos": ["acme/web"]}
    assert listed["used"] == 0
    assert token not in ran.out
    assert json.loads(run("grant", "list", "--json", "--agent", "nobody").out) == []


def test_out_writes_the_token_to_a_new_owner_only_file(
    run: Run, local_home: Local, connection_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "grant.token"
    ran = run(*CREATE, "--connection", connection_id, "--out", str(target))
    assert ran.code == 0, ran.err
    token = target.read_text().strip()
    assert local_home.grants.verify(token).agent == "triage-bot"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert token not in ran.out
    again = run(*CREATE, "--connection", connection_id, "--out", str(target))
    assert again.code == 1
    assert "already exists" in again.err
    assert target.read_text().strip() == token


def test_create_sets_the_grants_own_write_rate(run: Run, local_home: Local, connection_id: str) -> None:
    ran = run(*CREATE, "--connection", connection_id, "--write-rate", "2", "-q")
    assert ran.code == 0, ran.err
    assert local_home.grants.verify(ran.out.strip()).write_rate == 2
    refused = run(*CREATE, "--connection", connection_id, "--write-rate", "0", "-q")
    assert refused.code != 0


def test_list_keeps_ids_agent_names_and_constraints_whole(
    run: Run, local_home: Local, connection_id: str
) -> None:
    wide = "repos=acme/web,acme/api,acme/payments-service"
    parent = run(*CREATE, "--connection", connection_id, "--constraint", wide, "-q").out.strip()
    child = run("grant", "attenuate", "-", "--agent", "release-notes-writer", "--verbs", "read", "-q",
                stdin=parent + "\n").out.strip()  # fmt: skip
    ran = run("grant", "list")
    lines = ran.out.splitlines()  # as printed at 80 columns: what a person copies from
    child_id, parent_id = local_home.grants.verify(child).id, local_home.grants.verify(parent).id
    assert any(child_id in line and "triage-bot/release-notes-writer for mona" in line for line in lines)
    assert any(line.strip() == f"narrowed from {parent_id}" for line in lines)
    assert sum(wide in line for line in lines) == 2


@pytest.mark.parametrize("state", ["malformed", "revoked", "expired", "exhausted"])
def test_a_grant_the_person_cannot_narrow_says_what_the_person_can_do(
    run: Run, local_home: Local, connection_id: str, state: str
) -> None:
    # An expired grant: issued two hours ago for one.
    now = datetime.now(UTC) - (timedelta(hours=2) if state == "expired" else timedelta(0))
    authority = GrantAuthority(local_home.home, clock=lambda: now)
    issued = authority.issue("mona", "bot", (connection_id,), ("read",), budget=1, ttl=timedelta(hours=1))
    token = "chg_not-a-token" if state == "malformed" else issued.token
    if state == "revoked":
        local_home.grants.revoke(issued.claims.id)
    elif state == "exhausted":
        local_home.grants.consume(issued.claims.id)

    ran = run("grant", "attenuate", "-", "--agent", "sub", stdin=token + "\n")

    assert ran.code == 1
    assert ran.err.startswith("error[grant_denied]: "), ran.err
    assert "ask the person" not in ran.err  # the person is the one reading
    assert "issue a new grant" in ran.err
    assert "charter grant create" in ran.err
    if state == "exhausted":
        assert "larger --budget" in ran.err
