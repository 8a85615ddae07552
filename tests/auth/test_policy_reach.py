"""Policy weighs whom a write reaches and what it hides or rewrites; rules can waive it by reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.auth.policy import DEFAULT_POLICY_FILE, Policy
from charter.schemas import GrantClaims, Verb

NOW = datetime(2026, 1, 5, tzinfo=UTC)
CLAIMS = GrantClaims(
    id="grt_reach",
    subject="mona",
    agent="helper-bot",
    connections=("c1",),
    verbs=("read", "draft", "write"),
    issued_at=NOW,
    expires_at=NOW + timedelta(hours=1),
)


@dataclass(frozen=True)
class Act:
    verb: Verb
    risks: frozenset[str] = frozenset()
    reach: str | None = "person"


@pytest.mark.parametrize("policy", [Policy(), Policy.load(DEFAULT_POLICY_FILE)], ids=["built-in", "shipped"])
@pytest.mark.parametrize(
    ("act", "why"),
    [
        (Act("write", reach="domain"), "reaches people inside the account's domain"),
        (Act("write", reach="outsiders"), "reaches people outside the account's domain"),
        (Act("write", reach="public"), "reaches the public"),
        (Act("write", frozenset({"hides"})), "hides something the person relies on"),
        (Act("write", frozenset({"rewrites"})), "rewrites something the person relies on"),
        (Act("write", reach=None), "does not declare whom it reaches"),
    ],
)
def test_a_write_reaching_others_or_hiding_or_rewriting_pauses_by_default(
    policy: Policy, act: Act, why: str
) -> None:
    decision = policy.decide(CLAIMS, "svc_act", act)
    assert decision.outcome == "approval_required"
    assert any(why in r for r in decision.reasons), decision.reasons


def test_a_write_reaching_only_the_person_that_changes_nothing_they_rely_on_runs() -> None:
    assert Policy().decide(CLAIMS, "svc_act", Act("write")).outcome == "allow"
    # Drafts are seen by nobody else, whatever the change they prepare would reach.
    assert Policy().decide(CLAIMS, "svc_act", Act("draft", reach="person")).outcome == "allow"


def test_a_rule_selecting_by_reach_waives_colleagues_but_not_outsiders() -> None:
    policy = Policy.from_dict(
        {"rules": [{"outcome": "allow", "actions": ["calendar_*"], "reaches": ["person", "domain"]}]}
    )
    assert policy.decide(CLAIMS, "calendar_create_event", Act("write", reach="domain")).outcome == "allow"
    outside = policy.decide(CLAIMS, "calendar_create_event", Act("write", reach="outsiders"))
    assert outside.outcome == "approval_required"


def test_existing_rule_language_still_waives_and_requires() -> None:
    hides = Act("write", frozenset({"hides"}))
    waived = Policy.from_dict({"rules": [{"outcome": "allow", "actions": ["gmail_modify_labels"]}]})
    assert waived.decide(CLAIMS, "gmail_modify_labels", hides).outcome == "allow"
    by_tag = Policy.from_dict({"rules": [{"outcome": "deny", "risks": ["hides"]}]})
    assert by_tag.decide(CLAIMS, "gmail_modify_labels", hides).outcome == "deny"
    # A waiver for one action never reaches another.
    assert waived.decide(CLAIMS, "gmail_send_draft", Act("write", reach="domain")).outcome != "allow"


def test_an_unknown_reach_in_a_rule_is_refused() -> None:
    from charter.schemas import ConfigurationError

    with pytest.raises(ConfigurationError, match="reaches"):
        Policy.from_dict({"rules": [{"outcome": "allow", "reaches": ["everyone"]}]})


@given(
    reach=st.sampled_from(["person", "domain", "outsiders", "public", None]),
    risks=st.sets(st.sampled_from(["external", "sharing", "bulk", "hides", "rewrites"])),
)
def test_a_write_runs_unasked_only_when_it_reaches_the_person_alone_and_carries_no_weighed_tag(
    reach: str | None, risks: set[str]
) -> None:
    decision = Policy().decide(CLAIMS, "svc_act", Act("write", frozenset(risks), reach))
    quiet = reach == "person" and not risks - {"bulk"}
    assert (decision.outcome == "allow") is quiet, decision.reasons
