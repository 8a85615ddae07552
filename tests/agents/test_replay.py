"""Replay over the audit log: sealed, expiring records of each call's arguments, on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from charter.agents import AuditLog, Toolkit
from charter.agents.replay import replay
from charter.agents.replay_records import ReplayRecords, replay_table, retention_from_env
from charter.auth.consent.tokens import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import Policy
from charter.auth.vault import Vault
from charter.connectors.registry import declared_actions
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox
from charter.schemas import ConfigurationError, utcnow

SECRET_BODY = "the launch code is swordfish-7731"
STRICT = Policy.from_yaml(
    "rules:\n  - {outcome: deny, actions: [github_comment], when: 'body contains \"swordfish\"'}\n"
    "  - {outcome: approval_required, actions: [github_draft_comment]}\n"
)


def _kit(home: CharterHome, sb: GitHubSandbox) -> Toolkit:
    vault = Vault(home, keys=KeySet.parse(generate_key(), source="test"))
    issued = sb.oauth.issue_token("mona", ["repo"])
    tokens = TokenSet(
        access_token=issued.access_token, refresh_token=issued.refresh_token, scopes=frozenset(issued.scopes)
    )
    connection = vault.add_connection(
        service="github", provider="github", account="mona", tokens=tokens, api_base=sb.url,
        oauth_base=sb.url, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
    ).id  # fmt: skip
    grant = GrantAuthority(home).issue("mona", "triage-bot", (connection,), ("read", "draft", "write"))
    return Toolkit(grant.token, home=home, vault=vault)


@pytest.fixture
def audited(home: CharterHome, sb: GitHubSandbox) -> AuditLog:
    """A home whose agent read an issue, drafted a comment and posted one (paused for approval)."""
    kit = _kit(home, sb)
    assert kit.call("github_get_issue", {"repo": "acme/web", "number": 3}).ok
    assert kit.call("github_draft_comment", {"repo": "acme/web", "number": 3, "body": "Seen."}).ok
    assert (
        kit.call("github_comment", {"repo": "acme/web", "number": 3, "body": SECRET_BODY}).status
        == "approval_required"
    )
    assert kit.call("github_comment", {"repo": "acme/web", "number": 3}).status == "error"
    return AuditLog(home)


def test_replay_shows_what_a_stricter_policy_would_have_changed(home: CharterHome, audited: AuditLog) -> None:
    records = ReplayRecords(home, audited.chain)
    report = replay(
        STRICT, Policy.for_home(home), audited, records, declared_actions(), utcnow() - timedelta(hours=1)
    )
    assert report.counts() == {
        "github_comment": {"paused → denied": 1},
        "github_draft_comment": {"allowed → paused": 1},
    }
    assert [r.tool for r in report.replayed if not r.changed] == ["github_get_issue"]
    # The call with invalid arguments never reached policy: listed with why.
    assert [(s.tool, "ended before policy" in s.why) for s in report.skipped] == [("github_comment", True)]


def test_records_are_sealed_and_bound_to_their_entry(home: CharterHome, audited: AuditLog) -> None:
    with home.engine.connect() as conn:
        rows = conn.execute(select(replay_table.c.seq, replay_table.c.sealed)).all()
    assert len(rows) == 3
    assert all("swordfish" not in sealed and "acme/web" not in sealed for _, sealed in rows)
    # A record copied onto another entry does not open there.
    (first, sealed), (second, _) = rows[0], rows[1]
    with home.engine.begin() as conn:
        conn.execute(update(replay_table).where(replay_table.c.seq == second).values(sealed=sealed))
    with pytest.raises(ConfigurationError, match="does not open"):
        ReplayRecords(home, audited.chain).get([second])
    assert ReplayRecords(home, audited.chain).get([first])[first].tool == "github_get_issue"


def test_a_calls_record_is_committed_with_its_entry_over_a_stale_one(
    home: CharterHome, sb: GitHubSandbox
) -> None:
    kit = _kit(home, sb)
    assert kit.call("github_get_issue", {"repo": "acme/web", "number": 3}).ok
    log = AuditLog(home)
    first = log.tail(1)[0].seq
    nxt = first + 1
    stale = {"chain": log.chain, "seq": nxt, "expires_at": 1e12, "sealed": "left by an entry since lost"}
    with home.engine.begin() as conn:
        conn.execute(replay_table.insert(), stale)
    # The control: the stale row really takes the seq the next entry gets.
    with pytest.raises(IntegrityError), home.engine.begin() as conn:
        conn.execute(replay_table.insert(), stale)
    assert kit.call("github_get_issue", {"repo": "acme/web", "number": 4}).ok
    # Committed with the entry before the call returned: nothing left to flush.
    with home.engine.connect() as conn:
        kept = conn.execute(select(replay_table.c.seq, replay_table.c.sealed))
        rows = {seq: sealed for seq, sealed in kept}
    assert sorted(rows) == [first, nxt]
    assert rows[nxt] != stale["sealed"]
    assert ReplayRecords(home, log.chain).get([nxt])[nxt].request == {"repo": "acme/web", "number": 4}
    assert log.tail(1)[0].seq == nxt
    assert log.verify().ok


def test_expired_records_are_not_replayed_and_are_purged(home: CharterHome, audited: AuditLog) -> None:
    records = ReplayRecords(home, audited.chain)
    later = utcnow() + timedelta(days=8)
    report = replay(
        STRICT, STRICT, audited, records, declared_actions(), utcnow() - timedelta(hours=1), later
    )
    assert report.replayed == []
    assert sum("purged after 7 days" in s.why for s in report.skipped) == 3
    assert records.purge(later) == 3
    with home.engine.connect() as conn:
        assert conn.execute(select(replay_table.c.seq)).all() == []


def test_retention_zero_keeps_nothing_and_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_REPLAY_RETENTION_DAYS", "0")
    assert retention_from_env() == timedelta(0)
    monkeypatch.setenv("CHARTER_REPLAY_RETENTION_DAYS", "30")
    assert retention_from_env() == timedelta(days=30)
    for bad in ("-1", "a week", "99999"):
        monkeypatch.setenv("CHARTER_REPLAY_RETENTION_DAYS", bad)
        with pytest.raises(ConfigurationError, match="CHARTER_REPLAY_RETENTION_DAYS"):
            retention_from_env()


def test_records_attached_from_many_threads_at_once_are_all_written(home: CharterHome) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from charter.agents.replay_records import ReplayRecord
    from charter.schemas import GrantClaims

    log = AuditLog(home)
    records = ReplayRecords(home, log.chain)
    now = utcnow()
    claims = GrantClaims(
        id="g", subject="s", agent="a", connections=("c",), verbs=("read",), issued_at=now,
        expires_at=now + timedelta(days=1),
    )  # fmt: skip

    def call(n: int) -> int:
        attach = records.attachment(ReplayRecord("t", "read", (), {"n": n}, claims, None, now))
        event = log.record(actor="agent", subject="s", action="t", outcome="ok", attach=attach)
        return event.seq

    with ThreadPoolExecutor(8) as pool:
        seqs = dict(zip(pool.map(call, range(400)), range(400), strict=True))
    # Each record sits on its own entry, read back by another store: none lost, none swapped.
    found = ReplayRecords(home, log.chain).get(seqs)
    assert {seq: record.request for seq, record in found.items()} == {s: {"n": n} for s, n in seqs.items()}
