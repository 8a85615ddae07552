"""Grants: issued, verified, attenuated, budgeted and revoked; forged, expired and widened ones refused."""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from charter.auth.grant_tokens import KEY_FILE
from charter.auth.grants import GrantAuthority, grants_table
from charter.auth.home import CharterHome
from charter.auth.vocabulary import ServiceTerms, Vocabulary
from charter.schemas import ConfigurationError, GrantDenied, ValidationError


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authority(home: CharterHome, clock: Clock) -> GrantAuthority:
    return GrantAuthority(home, clock=clock)


# Abstract names for the properties of attenuation itself (the real names are tested in test_vocabulary).
ABSTRACT = Vocabulary(
    [
        ServiceTerms(
            "github",
            actions=frozenset(
                {"github_list", "github_listx", "github_list_all", "github_merge", "github_delete"}
            ),
            constraints=frozenset({"repos", "labels"}),
            destructive=frozenset({"github_merge", "github_delete"}),
        ),
        ServiceTerms("gmail", actions=frozenset({"gmail_send"}), constraints=frozenset()),
    ]
)


@pytest.fixture
def abstract(home: CharterHome, clock: Clock) -> GrantAuthority:
    return GrantAuthority(home, clock=clock, vocabulary=ABSTRACT)


def _issue(authority: GrantAuthority, **overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "subject": "mona",
        "agent": "triage-bot",
        "connections": ("github-mona",),
        "verbs": ("read", "draft"),
        "actions": ("github_*",),
        "destructive": ("github_merge_pull_request",),
        "constraints": {"repos": ("acme/*",)},
        "budget": 10,
        "ttl": timedelta(hours=8),
    }
    args.update(overrides)
    return authority.issue(**args)  # type: ignore[arg-type]


def _reason(exc: pytest.ExceptionInfo[GrantDenied]) -> str:
    return str(exc.value.details["reason"])


def test_issued_token_verifies_to_its_claims(authority: GrantAuthority) -> None:
    issued = _issue(authority)
    claims = authority.verify(issued.token)
    assert issued.token.startswith("chg_")
    assert claims == issued.claims
    assert claims.constraints == {"repos": ("acme/*",)}
    assert issued.token not in repr(issued)


def test_token_with_edited_claims_is_refused_as_forged(authority: GrantAuthority) -> None:
    token = _issue(authority, budget=1).token
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body[4:] + "=" * (-len(body[4:]) % 4)))
    claims["budget"] = 1000
    edited = "chg_" + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(GrantDenied) as exc:
        authority.verify(f"{edited}.{signature}")
    assert _reason(exc) == "forged"
    assert exc.value.code == "grant_denied"


def test_claims_that_differ_from_the_record_are_refused_after_the_real_ones_passed(
    authority: GrantAuthority,
) -> None:
    # The check remembers claims it found equal to their record; other claims of the same id,
    # or the same claims against a record changed since, are compared again.
    issued = _issue(authority, budget=5)
    authority.check(issued.claims)
    authority.check(issued.claims)  # the control: the real claims pass, twice
    widened = issued.claims.model_copy(update={"budget": 1000})
    with pytest.raises(GrantDenied) as exc:
        authority.check(widened)
    assert _reason(exc) == "forged"
    t = grants_table
    with authority.home.engine.begin() as conn:
        conn.execute(update(t).where(t.c.id == issued.claims.id).values(claims=widened.model_dump_json()))
    with pytest.raises(GrantDenied) as exc:
        authority.check(issued.claims)
    assert _reason(exc) == "forged"


def test_token_signed_by_another_home_is_refused(tmp_path: Path, authority: GrantAuthority) -> None:
    other = GrantAuthority(CharterHome(tmp_path / "other"))
    with pytest.raises(GrantDenied) as exc:
        authority.verify(_issue(other).token)
    assert _reason(exc) == "forged"


@pytest.mark.parametrize("token", ["", "ghu_abc", "chg_", "chg_abc", "chg_a.b.c", "chg_!!!.???", None])
def test_malformed_tokens_are_refused(authority: GrantAuthority, token: str) -> None:
    with pytest.raises(GrantDenied) as exc:
        authority.verify(token)
    assert _reason(exc) in {"malformed", "forged"}


def test_validly_signed_but_unknown_grant_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_GRANT_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    issuer = GrantAuthority(CharterHome(tmp_path / "a"))
    stranger = GrantAuthority(CharterHome(tmp_path / "b"))
    with pytest.raises(GrantDenied) as exc:
        stranger.verify(_issue(issuer).token)
    assert _reason(exc) == "unknown"


def test_expired_grant_is_refused(authority: GrantAuthority, clock: Clock) -> None:
    token = _issue(authority, ttl=timedelta(minutes=5)).token
    clock.now += timedelta(minutes=5)
    with pytest.raises(GrantDenied) as exc:
        authority.verify(token)
    assert _reason(exc) == "expired"
    assert "new grant" in exc.value.message


def test_revoked_grant_is_refused_and_revocation_cascades(authority: GrantAuthority, clock: Clock) -> None:
    parent = _issue(authority)
    child = authority.attenuate(parent.token, verbs=("read",))
    grandchild = authority.attenuate(child.token, budget=2)
    assert set(authority.revoke(parent.id)) == {parent.id, child.id, grandchild.id}
    for token in (parent.token, child.token, grandchild.token):
        with pytest.raises(GrantDenied) as exc:
            authority.verify(token)
        assert _reason(exc) == "revoked"
    assert authority.get(grandchild.id).status(clock.now) == "revoked"


def test_child_is_refused_when_only_an_ancestor_row_is_revoked(
    authority: GrantAuthority, home: CharterHome, clock: Clock
) -> None:
    parent = _issue(authority)
    child = authority.attenuate(parent.token, verbs=("read",))
    with home.engine.begin() as conn:
        conn.execute(update(grants_table).where(grants_table.c.id == parent.id).values(revoked_at=clock.now))
    with pytest.raises(GrantDenied) as exc:
        authority.verify(child.token)
    assert _reason(exc) == "revoked"
    assert parent.id in exc.value.message


def test_budget_is_spent_call_by_call_then_refused(authority: GrantAuthority) -> None:
    issued = _issue(authority, budget=2)
    authority.consume(issued.id)
    authority.consume(issued.id)
    with pytest.raises(GrantDenied) as exc:
        authority.consume(issued.id)
    assert _reason(exc) == "budget_exhausted"
    with pytest.raises(GrantDenied) as exc:
        authority.verify(issued.token)
    assert _reason(exc) == "budget_exhausted"
    assert authority.get(issued.id).used == 2


def test_child_calls_count_against_the_parent_budget(authority: GrantAuthority) -> None:
    parent = _issue(authority, budget=3)
    child = authority.attenuate(parent.token)
    assert child.claims.budget == 3
    sibling = authority.attenuate(parent.token, budget=2)
    authority.consume(child.id)
    authority.consume(child.id)
    authority.consume(sibling.id)
    with pytest.raises(GrantDenied) as exc:
        authority.consume(sibling.id)
    assert _reason(exc) == "budget_exhausted"
    assert parent.id in exc.value.message
    assert authority.get(sibling.id).used == 1


def test_concurrent_consumers_never_exceed_the_budget(authority: GrantAuthority) -> None:
    issued = _issue(authority, budget=15)
    granted: list[bool] = []

    def spend() -> None:
        for _ in range(5):
            try:
                authority.consume(issued.id)
                granted.append(True)
            except GrantDenied:
                granted.append(False)

    threads = [threading.Thread(target=spend) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 15
    assert authority.get(issued.id).used == 15


def test_narrower_child_inherits_what_it_does_not_override(authority: GrantAuthority, clock: Clock) -> None:
    parent = _issue(authority)
    child = authority.attenuate(
        parent.token,
        agent="sub-agent",
        verbs=("read",),
        constraints={"repos": ("acme/web",), "calendars": ("primary",)},
        budget=4,
        ttl=timedelta(hours=1),
    )
    claims = authority.verify(child.token)
    assert claims.parent_id == parent.id
    assert claims.agent == "triage-bot/sub-agent"
    assert claims.connections == parent.claims.connections
    assert claims.constraints == {"repos": ("acme/web",), "calendars": ("primary",)}
    assert claims.expires_at == clock.now + timedelta(hours=1)


@pytest.mark.parametrize(
    ("narrower", "axis"),
    [
        ({"connections": ("github-mona", "gmail-mona")}, "connections"),
        ({"verbs": ("read", "write")}, "verbs"),
        ({"actions": ("gmail_send_draft",)}, "actions"),
        ({"actions": ("*",)}, "actions"),
        ({"destructive": ("gmail_trash_message",)}, "destructive"),
        ({"constraints": {"repos": ("*",)}}, "constraints"),
        ({"constraints": {"repos": ("acme/web", "evil/web")}}, "constraints"),
        ({"budget": 11}, "budget"),
        ({"budget": None}, "budget"),
        ({"ttl": timedelta(hours=9)}, "expiry"),
    ],
)
def test_wider_child_is_refused_naming_the_axis(
    authority: GrantAuthority, narrower: dict[str, object], axis: str
) -> None:
    parent = _issue(authority)
    with pytest.raises(GrantDenied) as exc:
        authority.attenuate(parent.token, **narrower)  # type: ignore[arg-type]
    assert exc.value.details["axis"] == axis
    assert axis.rstrip("s") in exc.value.message
    assert len(authority.list()) == 1


def test_child_budget_may_not_exceed_what_the_parent_has_left(authority: GrantAuthority) -> None:
    parent = _issue(authority, budget=5)
    for _ in range(3):
        authority.consume(parent.id)
    with pytest.raises(GrantDenied):
        authority.attenuate(parent.token, budget=3)
    assert authority.attenuate(parent.token).claims.budget == 2


def test_revoked_parent_cannot_be_attenuated(authority: GrantAuthority) -> None:
    parent = _issue(authority)
    authority.revoke(parent.id)
    with pytest.raises(GrantDenied):
        authority.attenuate(parent.token, verbs=("read",))


@pytest.mark.parametrize(
    "bad",
    [
        {"verbs": ()},
        {"verbs": ("read", "delete")},
        {"connections": ()},
        {"budget": 0},
        {"constraints": {"repos": ()}},
        {"constraints": {"repos": ("acme/*/x*",)}},
        {"destructive": ("github_*",)},
        {"ttl": timedelta(0)},
    ],
)
def test_invalid_grants_are_not_issued(authority: GrantAuthority, bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _issue(authority, **bad)


def test_signing_key_file_is_private_and_a_readable_one_is_refused(home: CharterHome) -> None:
    GrantAuthority(home)
    key = home.path / KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        GrantAuthority(home)


def test_list_and_get_show_usage_and_status(authority: GrantAuthority, clock: Clock) -> None:
    first = _issue(authority, budget=1)
    clock.now += timedelta(seconds=1)
    second = _issue(authority, agent="other-bot", budget=None)
    authority.consume(first.id)
    assert [r.id for r in authority.list()] == [second.id, first.id]
    assert [r.id for r in authority.list(agent="other-bot")] == [second.id]
    assert authority.get(first.id).status(clock.now) == "exhausted"
    assert authority.get(second.id).remaining is None
    with pytest.raises(GrantDenied):
        authority.get("grt_missing")


# -- property: an attenuation is either refused or yields a child within its parent ---------------

_values = st.sampled_from(
    ["acme/web", "acme/api", "acme/*", "acme/w*", "acme/web*", "acme*", "evil/x", "*", "a*", "acme/"]
)
_probe = ["acme/web", "acme/webx", "acme/api", "acme/", "acme/wiki", "acmex", "evil/x", "abc", "zzz", ""]


def _allowed(patterns: tuple[str, ...], value: str) -> bool:
    return any(value.startswith(p[:-1]) if p.endswith("*") else value == p for p in patterns)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    connections=st.none() | st.lists(st.sampled_from(["c1", "c2", "c3"]), min_size=1, max_size=3),
    verbs=st.none() | st.lists(st.sampled_from(["read", "draft", "write"]), min_size=1, max_size=3),
    actions=st.none() | st.lists(st.sampled_from(["github_*", "github_list", "gmail_*", "*"]), min_size=1),
    destructive=st.none() | st.lists(st.sampled_from(["github_merge", "github_delete"]), max_size=2),
    parent_repos=st.lists(_values, min_size=1, max_size=2),
    repos=st.none() | st.lists(_values, min_size=1, max_size=3),
    labels=st.none() | st.lists(st.sampled_from(["bug", "b*"]), min_size=1, max_size=2),
    budget=st.sampled_from(["unset", None, 1, 3, 5, 9]),
    ttl_hours=st.none() | st.integers(min_value=1, max_value=12),
)
def test_any_attenuation_is_refused_or_within_its_parent(
    abstract: GrantAuthority,
    parent_repos: list[str],
    connections: list[str] | None,
    verbs: list[str] | None,
    actions: list[str] | None,
    destructive: list[str] | None,
    repos: list[str] | None,
    labels: list[str] | None,
    budget: object,
    ttl_hours: int | None,
) -> None:
    parent = abstract.issue(
        "mona", "bot", ("c1", "c2"), ("read", "draft"), actions=("github_*",),
        destructive=("github_merge",), constraints={"repos": tuple(parent_repos)}, budget=5,
        ttl=timedelta(hours=6),
    )  # fmt: skip
    constraints = {k: tuple(v) for k, v in (("repos", repos), ("labels", labels)) if v is not None}
    extra: dict[str, object] = {} if budget == "unset" else {"budget": budget}
    try:
        child = abstract.attenuate(
            parent.token,
            connections=connections,
            verbs=verbs,
            actions=actions,
            destructive=destructive,
            constraints=constraints or None,
            ttl=None if ttl_hours is None else timedelta(hours=ttl_hours),
            **extra,  # type: ignore[arg-type]
        ).claims
    except (GrantDenied, ValidationError):
        return
    p = parent.claims
    assert set(child.connections) <= set(p.connections)
    assert set(child.verbs) <= set(p.verbs)
    assert set(child.destructive) <= set(p.destructive)
    assert child.actions is not None
    for name in ["github_list", "github_merge", "gmail_send", "x"]:
        assert not _allowed(child.actions, name) or _allowed(p.actions or ("*",), name)
    assert set(p.constraints) <= set(child.constraints)
    for value in _probe:
        assert not _allowed(child.constraints["repos"], value) or _allowed(p.constraints["repos"], value)
    assert child.budget is not None
    assert child.budget <= 5
    assert child.expires_at <= p.expires_at


_actions = st.sampled_from(["github_*", "github_list*", "github_list", "github_listx", "gmail_*", "*", "g*"])
_action_probe = ["github_list", "github_listx", "github_list_all", "github_merge", "gmail_send", "gx", ""]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parent=st.lists(_values, min_size=1, max_size=2), child=st.lists(_values, min_size=1, max_size=3))
def test_child_constraints_never_allow_a_value_the_parent_refuses(
    abstract: GrantAuthority, parent: list[str], child: list[str]
) -> None:
    issued = abstract.issue("mona", "bot", ("c1",), ("read",), constraints={"repos": tuple(parent)})
    try:
        abstract.attenuate(issued.token, constraints={"repos": child})
    except GrantDenied:
        assert any(not _allowed(tuple(parent), v) for v in _probe if _allowed(tuple(child), v)) or any(
            c.endswith("*") for c in child
        )
        return
    for value in _probe:
        assert not _allowed(tuple(child), value) or _allowed(tuple(parent), value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parent=st.lists(_actions, min_size=1, max_size=2), child=st.lists(_actions, min_size=1, max_size=3))
def test_child_actions_never_allow_a_tool_the_parent_refuses(
    abstract: GrantAuthority, parent: list[str], child: list[str]
) -> None:
    issued = abstract.issue("mona", "bot", ("c1",), ("read",), actions=parent)
    try:
        abstract.attenuate(issued.token, actions=child)
    except GrantDenied:
        return
    for name in _action_probe:
        assert not _allowed(tuple(child), name) or _allowed(tuple(parent), name)
