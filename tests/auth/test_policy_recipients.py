"""Recipient rules, the taint rule and how checks combine, as policy data."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from charter.auth.policy import DEFAULT_POLICY_FILE, Decision, Policy, combine
from charter.schemas import ConfigurationError, Verb


@dataclass(frozen=True)
class Act:
    verb: Verb
    risks: frozenset[str] = frozenset()


POLICY = Policy.from_yaml(
    """
recipients:
  max: 3
  domains:
    - domains: ["acme.com"]
      outcome: allow
    - domains: ["*.gov"]
      outcome: deny
      reason: agents do not write to government addresses
    - domains: ["*"]
      outcome: approval_required
      reason: a person reviews mail to anyone else
taint:
  quote_words: 20
"""
)


def test_recipient_rules_load_from_yaml_and_the_first_match_decides() -> None:
    assert POLICY.recipients.max == 3
    assert POLICY.taint.quote_words == 20
    assert POLICY.check_recipients("gmail_send", ["ann@acme.com"], "other.org").outcome == "allow"
    denied = POLICY.check_recipients("gmail_send", ["ann@acme.com", "tax@irs.gov"], "acme.com")
    assert denied.reasons == ("denied because agents do not write to government addresses (tax@irs.gov)",)
    waits = POLICY.check_recipients("gmail_send", ["bob@example.org"], "acme.com")
    assert (
        waits.explain() == "approval required because a person reviews mail to anyone else (bob@example.org)"
    )


def test_default_rules_allow_the_accounts_domain_only() -> None:
    policy = Policy.load(DEFAULT_POLICY_FILE)
    assert policy.check_recipients("t", ["Bob@Acme.com"], "acme.com").outcome == "allow"
    assert policy.check_recipients("t", ["bob@acme.com.evil.test"], "acme.com").outcome == "approval_required"
    assert policy.check_recipients("t", ["bob@acme.com"], None).outcome == "approval_required"
    assert policy.check_recipients("t", [], "acme.com").outcome == "allow"
    assert policy.check_recipients("t", ["no-domain"], "acme.com").outcome == "approval_required"


def test_a_wildcard_subdomain_rule_does_not_cover_the_bare_domain_or_lookalikes() -> None:
    policy = Policy.from_dict({"recipients": {"domains": [{"domains": ["*.acme.com"], "outcome": "deny"}]}})
    assert policy.check_recipients("t", ["a@eu.acme.com"], None).outcome == "deny"
    assert policy.check_recipients("t", ["a@notacme.com"], None).outcome == "approval_required"


def test_the_recipient_limit_counts_distinct_addresses() -> None:
    three = ["a@acme.com", "A@acme.com", "b@acme.com", "c@acme.com"]
    assert POLICY.check_recipients("t", three, "acme.com").outcome == "allow"
    four = [*three, "d@acme.com"]
    decision = POLICY.check_recipients("t", four, "acme.com")
    assert decision.outcome == "deny"
    assert "would reach 4 addresses" in decision.explain()


@pytest.mark.parametrize(
    "data",
    [
        {"recipients": {"max": 0}},
        {"recipients": {"domains": [{"domains": [], "outcome": "allow"}]}},
        {"recipients": {"domains": [{"domains": ["a.com"], "outcome": "maybe"}]}},
        {"taint": {"quote_words": 2}},
        {"taint": {"unknown": 1}},
    ],
)
def test_invalid_recipient_and_taint_settings_are_configuration_errors(data: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="invalid policy"):
        Policy.from_dict(data)


def test_combine_lets_deny_beat_approval_beat_allow_and_keeps_every_reason() -> None:
    allow = Decision("allow", ("ok",))
    wait1 = Decision("approval_required", ("w1",))
    wait2 = Decision("approval_required", ("w2",))
    deny = Decision("deny", ("no",))
    assert combine(allow, wait1, wait2) == Decision("approval_required", ("w1", "w2"))
    assert combine(wait1, deny, allow) == Decision("deny", ("no",))
    assert combine(allow, allow) == allow
