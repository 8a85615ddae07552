"""Grants (`charter.auth.grants`), pinned where mutation testing found them loose.

Each test names the promise it holds: a grant's status at the instant it expires, consumption that
re-checks revocation and counts unlimited grants, revocation that reaches exactly one family, the
audit entries of a person's actions, and the wording of each refusal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from test_grants import Clock

from charter.auth.audit import AuditLog
from charter.auth.grant_tokens import encode, signing_key
from charter.auth.grants import GrantAuthority, IssuedGrant, grants_table
from charter.auth.home import CharterHome
from charter.schemas import GrantDenied, NotFound, ValidationError


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authority(home: CharterHome, clock: Clock) -> GrantAuthority:
    return GrantAuthority(home, clock=clock)


def _issue(authority: GrantAuthority, budget: int | None = 10, agent: str = "triage-bot") -> IssuedGrant:
    return authority.issue("mona", agent, ("github-mona",), ("read",), budget=budget, ttl=timedelta(hours=1))


def _denial(call: object, *args: object) -> GrantDenied:
    with pytest.raises(GrantDenied) as exc:
        call(*args)  # type: ignore[operator]
    return exc.value


def test_a_grant_is_expired_at_its_expiry_exactly(authority: GrantAuthority) -> None:
    issued = _issue(authority)
    record = authority.get(issued.id)
    end = issued.claims.expires_at
    assert record.status(end - timedelta(microseconds=1)) == "active"
    assert record.status(end) == "expired"


def test_an_unlimited_grant_is_counted_and_never_exhausted(authority: GrantAuthority) -> None:
    issued = _issue(authority, budget=None)
    for _ in range(3):
        authority.consume(issued.id)
    assert authority.get(issued.id).used == 3
    assert authority.get(issued.id).remaining is None
    assert authority.verify(issued.token) == issued.claims


def test_consuming_a_grant_revoked_after_it_was_verified_is_refused(authority: GrantAuthority) -> None:
    # The agent's call verified the grant; the person revokes it before the call is counted.
    issued = _issue(authority)
    assert authority.verify(issued.token) == issued.claims
    authority.revoke(issued.id)
    denial = _denial(authority.consume, issued.id)
    assert denial.details == {"reason": "revoked", "grant_id": issued.id}
    assert denial.message == f"grant {issued.id} was revoked; ask the person for a new grant."
    assert authority.get(issued.id).used == 0


def test_a_spent_grant_says_its_own_budget_and_the_ancestor_that_ran_out(authority: GrantAuthority) -> None:
    parent = _issue(authority, budget=1)
    authority.consume(parent.id)
    own = _denial(authority.consume, parent.id)
    assert own.details == {"reason": "budget_exhausted", "grant_id": parent.id}
    assert own.message == (
        f"grant {parent.id} has used its budget of 1 calls; "
        "ask the person for a new grant or a larger budget."
    )
    other = _issue(authority, budget=2)
    child = authority.attenuate(other.token, budget=2)
    authority.consume(other.id)
    authority.consume(other.id)
    through = _denial(authority.consume, child.id)
    assert through.details == {"reason": "budget_exhausted", "grant_id": child.id}
    assert through.message == (
        f"grant {child.id} has used its budget of 2 calls (its ancestor grant {other.id}); "
        "ask the person for a new grant or a larger budget."
    )


def test_revoking_reaches_the_family_only_and_only_once(
    authority: GrantAuthority, home: CharterHome, clock: Clock
) -> None:
    root = _issue(authority)
    child = authority.attenuate(root.token, agent="sub")
    stranger = _issue(authority, agent="other-bot")
    first = authority.revoke(child.id)
    assert first == [child.id]
    revoked_at = authority.get(child.id).revoked_at
    clock.now += timedelta(minutes=1)
    assert authority.revoke(root.id) == [root.id]  # the child was revoked already: not again
    assert authority.get(child.id).revoked_at == revoked_at
    assert authority.get(stranger.id).status(clock.now) == "active"
    assert authority.verify(stranger.token) == stranger.claims
    entry = AuditLog(home).tail(1)[0]
    assert (entry.actor, entry.action, entry.reasons) == ("person", "grant.revoke", (f"revoked {root.id}",))


def test_revoking_an_unknown_grant_tells_the_person_where_to_look(authority: GrantAuthority) -> None:
    with pytest.raises(NotFound) as exc:
        authority.revoke("grt_missing")
    assert exc.value.message == (
        "there is no grant 'grt_missing' in this Charter home; see `charter grant list`"
    )


def test_an_unknown_grant_is_denied_with_what_to_do(authority: GrantAuthority) -> None:
    denial = _denial(authority.get, "grt_missing")
    assert denial.details == {"reason": "unknown", "grant_id": "grt_missing"}
    assert denial.message == (
        "grant grt_missing is not known to this Charter home (removed, or issued elsewhere); "
        "ask the person for a new grant."
    )


def test_an_authority_shows_which_home_it_serves_and_nothing_else(
    authority: GrantAuthority, home: CharterHome
) -> None:
    assert repr(authority) == f"<GrantAuthority home={str(home.path)!r}>"


def test_the_list_shows_each_persons_grants_with_their_revocation(
    authority: GrantAuthority, clock: Clock
) -> None:
    mine = _issue(authority)
    clock.now += timedelta(seconds=1)
    theirs = authority.issue("hubot", "triage-bot", ("github-hubot",), ("read",))
    authority.revoke(mine.id)
    assert [r.id for r in authority.list(subject="mona")] == [mine.id]
    assert [r.id for r in authority.list(subject="hubot")] == [theirs.id]
    assert [r.id for r in authority.list(subject="nobody")] == []
    listed = {r.id: r for r in authority.list()}
    assert listed[mine.id].revoked_at == clock.now
    assert listed[mine.id].status(clock.now) == "revoked"
    assert listed[theirs.id].revoked_at is None


def test_a_child_never_runs_more_writes_without_a_person_than_its_parent(authority: GrantAuthority) -> None:
    parent = authority.issue("mona", "triage-bot", ("github-mona",), ("read", "write"), write_rate=3)
    child = authority.attenuate(parent.token, agent="sub")
    assert child.claims.write_rate == 3
    assert authority.verify(child.token).write_rate == 3


def test_a_childs_patterns_are_refused_naming_their_axis(authority: GrantAuthority) -> None:
    parent = authority.issue("mona", "triage-bot", ("github-mona",), ("read", "write"), actions=("github_*",))
    with pytest.raises(ValidationError) as exc:
        authority.attenuate(parent.token, actions=("github_*_x",))
    assert exc.value.message == "actions value 'github_*_x': `*` is allowed only as the last character"
    with pytest.raises(ValidationError) as exc:
        authority.attenuate(parent.token, destructive=("github_*",))
    assert exc.value.message == (
        "destructive value 'github_*': `*` is allowed nowhere (name each one explicitly)"
    )


@pytest.mark.parametrize("budget", [0, -1])
def test_a_child_budget_below_one_call_is_refused_and_one_call_is_enough(
    authority: GrantAuthority, budget: int
) -> None:
    parent = _issue(authority, budget=5)
    with pytest.raises(ValidationError) as exc:
        authority.attenuate(parent.token, budget=budget)
    assert exc.value.message == "budget must be a positive number of calls"
    assert authority.attenuate(parent.token, budget=1).claims.budget == 1


def test_a_wider_child_is_denied_naming_the_axis_and_the_parent(authority: GrantAuthority) -> None:
    parent = _issue(authority)
    denial = _denial(lambda: authority.attenuate(parent.token, verbs=("read", "write")))
    assert denial.details == {"reason": "wider_than_parent", "axis": "verbs", "grant_id": parent.id}


def test_a_grandchild_is_stopped_by_its_roots_budget_and_its_attenuation_is_audited(
    authority: GrantAuthority, home: CharterHome, clock: Clock
) -> None:
    root = _issue(authority, budget=3)
    child = authority.attenuate(root.token, agent="sub")
    grandchild = authority.attenuate(child.token, agent="leaf")
    entry = AuditLog(home).tail(1)[0]
    assert (entry.actor, entry.action, entry.agent, entry.grant_id) == (
        "agent",
        "grant.attenuate",
        "triage-bot/sub/leaf",
        grandchild.id,
    )
    for _ in range(3):
        authority.consume(root.id)
    fresh = GrantAuthority(home, clock=clock)  # reads each lineage from the database
    denial = _denial(fresh.verify, grandchild.token)
    assert denial.details["reason"] == "budget_exhausted"
    assert f"(its ancestor grant {root.id})" in denial.message


def test_a_signed_token_unlike_its_record_or_unknown_or_expired_is_denied_with_its_id(
    authority: GrantAuthority, home: CharterHome, clock: Clock
) -> None:
    # Tokens signed with the home's own key (as a leaked key would allow) still meet the record.
    issued = _issue(authority, budget=2)
    key = signing_key(home)
    wider = encode(key, issued.claims.model_copy(update={"budget": 1000}))
    denial = _denial(authority.verify, wider)
    assert denial.details == {"reason": "forged"}
    assert denial.message == f"grant {issued.id} does not match its record; ask for a new grant."
    stranger = encode(key, issued.claims.model_copy(update={"id": "grt_never_stored"}))
    assert _denial(authority.verify, stranger).details == {
        "reason": "unknown",
        "grant_id": "grt_never_stored",
    }
    clock.now = issued.claims.expires_at
    assert _denial(authority.verify, issued.token).details == {"reason": "expired", "grant_id": issued.id}


def test_a_revoked_or_spent_grant_is_denied_saying_whose_it_was(
    authority: GrantAuthority, home: CharterHome
) -> None:
    root = _issue(authority, budget=1)
    child = authority.attenuate(root.token, agent="sub")
    # Only the root revoked (as by a revocation racing the child's creation): the child says so.
    with home.engine.begin() as conn:
        conn.execute(
            update(grants_table).where(grants_table.c.id == root.id).values(revoked_at=datetime.now(UTC))
        )
    through = _denial(authority.verify, child.token)
    assert through.details == {"reason": "revoked", "grant_id": child.id}
    assert through.message == (
        f"grant {child.id} was revoked (its ancestor grant {root.id}); ask the person for a new grant."
    )
    own = _denial(authority.verify, root.token)
    assert own.message == f"grant {root.id} was revoked; ask the person for a new grant."
    spent = _issue(authority, budget=1)
    authority.consume(spent.id)
    denial = _denial(authority.verify, spent.token)
    assert denial.details == {"reason": "budget_exhausted", "grant_id": spent.id}
    assert denial.message == (
        f"grant {spent.id} has used its budget of 1 calls; ask the person for a new grant or a larger budget."
    )


def test_counting_a_call_on_an_unknown_grant_names_it(authority: GrantAuthority) -> None:
    assert _denial(authority.consume, "grt_missing").details == {
        "reason": "unknown",
        "grant_id": "grt_missing",
    }


def test_a_destructive_name_a_child_adds_is_checked_against_the_connectors(authority: GrantAuthority) -> None:
    parent = authority.issue(
        "mona", "triage-bot", ("github-mona",), ("read", "write"), destructive=("github_merge_pull_request",)
    )
    with pytest.raises(ValidationError) as exc:
        authority.attenuate(parent.token, destructive=("github_merge_pull_request", "github_no_such_tool"))
    assert "unknown destructive action 'github_no_such_tool'" in exc.value.message
    # Control: the inherited name alone passes.
    kept = authority.attenuate(parent.token, destructive=("github_merge_pull_request",))
    assert kept.claims.destructive == ("github_merge_pull_request",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject": ""}, "a grant needs a subject (the person) and an agent name"),
        ({"agent": ""}, "a grant needs a subject (the person) and an agent name"),
        ({"connections": ()}, "a grant needs at least one connection id (see `charter connections`)"),
        ({"budget": 0}, "budget must be a positive number of calls, or None for unlimited"),
        ({"ttl": timedelta(0)}, "ttl must be positive"),
        (
            {"actions": ("github_*_x",)},
            "actions value 'github_*_x': `*` is allowed only as the last character",
        ),
        (
            {"destructive": ("github_*",)},
            "destructive value 'github_*': `*` is allowed nowhere (name each one explicitly)",
        ),
    ],
)
def test_an_unusable_grant_is_refused_saying_what_it_needs(
    authority: GrantAuthority, change: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "subject": "mona",
        "agent": "triage-bot",
        "connections": ("github-mona",),
        "verbs": ("read",),
    }
    with pytest.raises(ValidationError) as exc:
        authority.issue(**(args | change))  # type: ignore[arg-type]
    assert exc.value.message == message


def test_a_root_grant_keeps_its_write_rate_and_has_a_recognisable_unguessable_id(
    authority: GrantAuthority,
) -> None:
    issued = authority.issue("mona", "triage-bot", ("github-mona",), ("read", "write"), write_rate=4)
    assert authority.verify(issued.token).write_rate == 4
    assert issued.claims.parent_id is None
    # `grt_` and 16 URL-safe characters: 96 random bits.
    assert re.fullmatch(r"grt_[A-Za-z0-9_-]{16}", issued.id), issued.id


def test_issuing_is_the_persons_act_on_the_authoritys_log_and_clock(
    authority: GrantAuthority, home: CharterHome, clock: Clock, tmp_path: Path
) -> None:
    issued = _issue(authority)
    entry = AuditLog(home).tail(1)[0]
    assert (entry.actor, entry.action, entry.agent, entry.grant_id, entry.at) == (
        "person",
        "grant.issue",
        "triage-bot",
        issued.id,
        clock.now,
    )
    elsewhere = AuditLog(CharterHome(tmp_path / "other"), clock=clock)
    given = GrantAuthority(home, clock=clock, audit=elsewhere)
    before = len(list(AuditLog(home).entries()))
    _issue(given)
    assert [e.action for e in elsewhere.tail(1)] == ["grant.issue"]
    assert len(list(AuditLog(home).entries())) == before


def test_an_expired_grant_says_when_and_what_to_do(authority: GrantAuthority, clock: Clock) -> None:
    issued = _issue(authority)
    clock.now = issued.claims.expires_at
    denial = _denial(authority.verify, issued.token)
    assert denial.message == (
        f"grant {issued.id} expired at {issued.claims.expires_at.isoformat()}; "
        "ask the person for a new grant."
    )


def test_a_grant_removed_from_the_database_is_unknown_by_its_id(
    authority: GrantAuthority, home: CharterHome
) -> None:
    issued = _issue(authority)
    assert authority.verify(issued.token) == issued.claims  # its lineage is now remembered
    with home.engine.begin() as conn:
        conn.execute(delete(grants_table).where(grants_table.c.id == issued.id))
    denial = _denial(authority.verify, issued.token)
    assert denial.details == {"reason": "unknown", "grant_id": issued.id}
