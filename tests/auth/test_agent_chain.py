"""A sub-agent is named under its parent, and policy rules see the whole chain, never a claimed name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.auth.attenuation import matches_agent
from charter.auth.grants import GrantAuthority, IssuedGrant
from charter.auth.home import CharterHome
from charter.auth.policy import Policy
from charter.connectors.base import ActionSpec
from charter.connectors.github import GitHubConnector
from charter.schemas import ConfigurationError, GrantClaims, ValidationError

COMMENT: ActionSpec = GitHubConnector.actions["comment"]
TRUST_TRIAGE = {"outcome": "allow", "actions": ["github_comment"], "agents": ["triage-*"]}


@pytest.fixture
def authority(home: CharterHome) -> GrantAuthority:
    return GrantAuthority(home)


def _root(authority: GrantAuthority, agent: str) -> IssuedGrant:
    return authority.issue("mona", agent, ("github-mona",), ("read", "draft", "write"))


def _decide(rules: list[dict[str, object]], claims: GrantClaims) -> str:
    return Policy.from_dict({"rules": rules}).decide(claims, "github_comment", COMMENT).outcome


def test_a_root_grant_named_by_the_person_gets_the_waiver(authority: GrantAuthority) -> None:
    # Control: the rule really waives approval for the agent it names.
    assert _decide([TRUST_TRIAGE], _root(authority, "triage-bot").claims) == "allow"
    assert _decide([], _root(authority, "triage-bot").claims) == "approval_required"


def test_a_sub_agent_cannot_take_the_name_an_allow_rule_trusts(authority: GrantAuthority) -> None:
    helper = _root(authority, "helper")
    child = authority.attenuate(helper.token, agent="triage-bot")
    assert child.claims.agent == "helper/triage-bot"
    assert authority.get(child.id).claims.agent == "helper/triage-bot"
    assert _decide([TRUST_TRIAGE], child.claims) == "approval_required"


def test_a_sub_agent_of_a_trusted_agent_is_not_trusted_by_its_parents_name(authority: GrantAuthority) -> None:
    child = authority.attenuate(_root(authority, "triage-bot").token, agent="sub-1")
    assert child.claims.agent == "triage-bot/sub-1"
    assert _decide([TRUST_TRIAGE], child.claims) == "approval_required"


def test_an_omitted_name_still_places_the_child_under_its_parent(authority: GrantAuthority) -> None:
    child = authority.attenuate(_root(authority, "triage-bot").token)
    assert child.claims.agent == "triage-bot/sub"
    assert _decide([TRUST_TRIAGE], child.claims) == "approval_required"


def test_rules_can_name_sub_agents_explicitly(authority: GrantAuthority) -> None:
    root = _root(authority, "triage-bot")
    child = authority.attenuate(root.token, agent="sub-1")
    grandchild = authority.attenuate(child.token, agent="deeper")
    direct = {**TRUST_TRIAGE, "agents": ["triage-bot/*"]}
    every = {**TRUST_TRIAGE, "agents": ["triage-bot/**"]}
    assert [_decide([direct], g.claims) for g in (root, child, grandchild)] == [
        "approval_required", "allow", "approval_required",
    ]  # fmt: skip
    assert [_decide([every], g.claims) for g in (root, child, grandchild)] == [
        "approval_required", "allow", "allow",
    ]  # fmt: skip
    look_alike = authority.attenuate(_root(authority, "triage-bot-evil").token, agent="x")
    assert _decide([every], look_alike.claims) == "approval_required"


@pytest.mark.parametrize("outcome", ["deny", "approval_required"])
def test_a_restricting_rule_binds_every_sub_agent(authority: GrantAuthority, outcome: str) -> None:
    rule = {"outcome": outcome, "actions": ["github_comment"], "agents": ["triage-*"]}
    root = _root(authority, "triage-bot")
    grandchild = authority.attenuate(authority.attenuate(root.token, agent="a").token, agent="b")
    waiver = {"outcome": "allow", "actions": ["github_comment"], "agents": ["triage-bot/**"]}
    assert _decide([rule, waiver], root.claims) == outcome
    assert _decide([rule, waiver], grandchild.claims) == outcome
    # Control: the rule is about the triage bot's family only.
    assert _decide([rule], _root(authority, "other").claims) == "approval_required"


@pytest.mark.parametrize(
    "name",
    [
        "", "/", "triage-bot/", "/triage-bot", "../triage-bot", "a/b", "triage-*", "*", "**",
        " triage-bot", "triage-bot ", "triage-bot\n", "tri\x00age", "tri\u0430ge-bot", "\uff54riage",
        "x" * 65, "-lead", ".", "..", "triage\u200bbot", "triage\udcffbot",
    ],
)  # fmt: skip
def test_a_name_that_could_forge_a_place_in_a_chain_is_refused(authority: GrantAuthority, name: str) -> None:
    root = _root(authority, "helper")
    if name:  # an empty name means "default"; it is tested above
        with pytest.raises(ValidationError):
            authority.attenuate(root.token, agent=name)
    with pytest.raises(ValidationError):
        authority.issue("mona", name, ("github-mona",), ("read",))


def test_a_chain_cannot_grow_past_what_the_record_keeps(authority: GrantAuthority) -> None:
    token = _root(authority, "a" * 64).token
    for _ in range(2):
        token = authority.attenuate(token, agent="b" * 64).token
    assert len(authority.verify(token).agent) == 64 * 3 + 2
    with pytest.raises(ValidationError, match="longer than"):
        authority.attenuate(token, agent="b" * 64)


_NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,20}", fullmatch=True)
_PATTERN = st.from_regex(r"[A-Za-z0-9._@+-]{0,12}\*?", fullmatch=True)


@given(parent=_NAME, child=_NAME, pattern=_PATTERN)
def test_no_root_pattern_names_a_sub_agent(parent: str, child: str, pattern: str) -> None:
    # Whatever a sub-agent calls itself, a pattern without `/` selects root agents only.
    assert not matches_agent(pattern, f"{parent}/{child}")
    assert matches_agent(f"{parent}/{child}", f"{parent}/{child}")


@pytest.mark.parametrize("pattern", ["", "a//b", "/a", "a/", "**", "a/**/b", "a*b", "tri\u0430ge-*", "a b"])
def test_a_pattern_that_cannot_name_a_chain_is_refused_when_the_policy_loads(pattern: str) -> None:
    with pytest.raises(ConfigurationError, match="agent pattern"):
        Policy.from_dict({"rules": [{"outcome": "allow", "agents": [pattern]}]})


@pytest.mark.parametrize(
    "pattern", ["*", "triage-*", "triage-bot", "triage-bot/*", "triage-bot/**", "a/b/c*"]
)
def test_the_documented_patterns_load(pattern: str) -> None:
    assert Policy.from_dict({"rules": [{"outcome": "allow", "agents": [pattern]}]}).rules[0].agents == (
        pattern,
    )
