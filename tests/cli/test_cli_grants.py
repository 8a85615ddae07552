"""`charter grant`: issue, list, narrow and revoke the credentials agents act with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

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
    ],
)
def test_bad_values_fail_with_one_coded_line(
    run: Run, connection_id: str, option: str, value: str, code: str
) -> None:
    ran = run("grant", "create", "--agent", "bot", "--connection", connection_id, option, value)
    assert ran.code == 1
    assert ran.err.startswith(f"error[{code}]: ")
    assert ran.err.count("\n") == 1
