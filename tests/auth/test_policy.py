"""Policy: safe defaults, rules as data, grant and constraint checks, each decision explained."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from charter.auth.home import CharterHome
from charter.auth.policy import Policy, Rule, check_constraints, check_grant, decide_all
from charter.connectors.base import constrained_fields, resource_field
from charter.schemas import ConfigurationError, GrantClaims, Verb

NOW = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Act:
    verb: Verb
    risks: frozenset[str] = frozenset()
    reach: str | None = "person"


READ = Act("read")
DRAFT = Act("draft")
WRITE = Act("write")
EXTERNAL = Act("write", frozenset({"external"}))
SHARING = Act("write", frozenset({"sharing", "bulk"}))
DESTRUCTIVE = Act("write", frozenset({"destructive"}))


def grant(**overrides: object) -> GrantClaims:
    data: dict[str, object] = {
        "id": "grt_test",
        "subject": "mona",
        "agent": "triage-bot",
        "connections": ("github-mona",),
        "verbs": ("read", "draft", "write"),
        "issued_at": NOW,
        "expires_at": NOW + timedelta(hours=1),
    }
    data.update(overrides)
    return GrantClaims.model_validate(data)


class IssueRef(BaseModel):
    repo: str = resource_field("repos", "owner/name")
    number: int = 1


class ManyRepos(BaseModel):
    repos: list[str] = resource_field("repos", "several repositories")


class OptionalRepo(BaseModel):
    repo: str | None = resource_field("repos", "owner/name", default=None)


@pytest.mark.parametrize("act", [READ, DRAFT, WRITE])
def test_reads_drafts_and_plain_writes_are_allowed_within_the_grant(act: Act) -> None:
    decision = Policy().decide(grant(), "github_x", act)
    assert decision.outcome == "allow"
    assert "github_x" in decision.explain()


@pytest.mark.parametrize(("act", "tag"), [(EXTERNAL, "external"), (SHARING, "sharing")])
def test_external_and_sharing_writes_require_approval_with_the_reason(act: Act, tag: str) -> None:
    decision = Policy().decide(grant(), "github_comment", act)
    assert decision.outcome == "approval_required"
    assert decision.reasons == (f"approval required because github_comment is tagged {tag}",)


def test_destructive_action_is_denied_unless_the_grant_names_it() -> None:
    denied = Policy().decide(grant(), "github_merge_pull_request", DESTRUCTIVE)
    assert denied.outcome == "deny"
    assert "tagged destructive" in denied.explain()
    named = Policy().decide(
        grant(destructive=("github_merge_pull_request",)), "github_merge_pull_request", DESTRUCTIVE
    )
    assert named.outcome == "approval_required"
    assert named.reasons == ("approval required because github_merge_pull_request is tagged destructive",)


def test_draft_only_grant_never_commits_even_when_a_rule_allows_it() -> None:
    policy = Policy((Rule(outcome="allow", actions=("github_create_issue",)),))
    decision = policy.decide(grant(verbs=("read", "draft")), "github_create_issue", WRITE)
    assert decision.outcome == "deny"
    assert "draft only" in decision.explain()


def test_rules_can_deny_require_approval_or_waive_it() -> None:
    policy = Policy.from_dict(
        {
            "rules": [
                {"outcome": "deny", "actions": ["github_close_*"], "reason": "closing is done by people"},
                {"outcome": "approval_required", "actions": ["github_label_issue"]},
                {"outcome": "allow", "actions": ["github_comment"], "agents": ["triage-*"]},
            ]
        }
    )
    assert policy.decide(grant(), "github_close_issue", WRITE).reasons == (
        "denied because closing is done by people",
    )
    assert policy.decide(grant(), "github_label_issue", WRITE).outcome == "approval_required"
    waived = policy.decide(grant(), "github_comment", EXTERNAL)
    assert waived.outcome == "allow"
    assert "approval waived" in waived.explain()
    assert policy.decide(grant(agent="other"), "github_comment", EXTERNAL).outcome == "approval_required"


def test_deny_rule_wins_over_allow_rule() -> None:
    policy = Policy((Rule(outcome="allow"), Rule(outcome="deny", verbs=("write",))))
    assert policy.decide(grant(), "github_comment", WRITE).outcome == "deny"
    assert policy.decide(grant(), "github_list_issues", READ).outcome == "allow"


def test_approval_waiver_for_destructive_needs_the_exact_action_name() -> None:
    claims = grant(destructive=("github_merge_pull_request",))
    broad = Policy((Rule(outcome="allow", actions=("github_*",)),))
    assert broad.decide(claims, "github_merge_pull_request", DESTRUCTIVE).outcome == "approval_required"
    exact = Policy((Rule(outcome="allow", actions=("github_merge_pull_request",)),))
    assert exact.decide(claims, "github_merge_pull_request", DESTRUCTIVE).outcome == "allow"


def test_policy_reads_yaml_and_refuses_unknown_fields() -> None:
    policy = Policy.from_yaml(
        "approval_ttl_minutes: 30\nrules:\n  - outcome: approval_required\n    risks: [bulk]\n"
    )
    assert policy.approval_ttl == timedelta(minutes=30)
    assert policy.decide(grant(), "github_bulk_label", SHARING).outcome == "approval_required"
    with pytest.raises(ConfigurationError, match=r"rules\.0\.outcom"):
        Policy.from_yaml("rules:\n  - outcom: allow\n")
    with pytest.raises(ConfigurationError):
        Policy.from_yaml("rules: [unclosed")


def test_check_grant_explains_verb_action_and_destructive_refusals() -> None:
    assert "draft only" in check_grant(grant(verbs=("read", "draft")), "github_comment", WRITE).explain()
    listed = grant(actions=("github_list_*",))
    assert check_grant(listed, "github_list_issues", READ).allowed
    assert "does not list github_get_issue" in check_grant(listed, "github_get_issue", READ).explain()
    assert "tagged destructive" in check_grant(grant(), "github_merge_pull_request", DESTRUCTIVE).explain()


def test_constraints_allow_matching_values_and_refuse_others() -> None:
    claims = grant(constraints={"repos": ("acme/web", "tools/*")})
    fields = constrained_fields(IssueRef)
    assert check_constraints(claims, IssueRef(repo="acme/web"), fields).allowed
    assert check_constraints(claims, IssueRef(repo="tools/cli"), fields).allowed
    refused = check_constraints(claims, IssueRef(repo="acme/api"), fields)
    assert refused.outcome == "deny"
    assert "repo=acme/api is outside grant grt_test" in refused.explain()


def test_constraints_check_every_value_of_a_list_and_refuse_a_missing_one() -> None:
    claims = grant(constraints={"repos": ("acme/*",)})
    many = constrained_fields(ManyRepos)
    assert check_constraints(claims, ManyRepos(repos=["acme/a", "acme/b"]), many).allowed
    assert "evil/x" in check_constraints(claims, ManyRepos(repos=["acme/a", "evil/x"]), many).explain()
    optional = constrained_fields(OptionalRepo)
    assert "name one in `repo`" in check_constraints(claims, OptionalRepo(), optional).explain()
    assert check_constraints(grant(), OptionalRepo(), optional).allowed


def test_grant_check_comes_before_policy() -> None:
    claims = grant(verbs=("read",), constraints={"repos": ("acme/web",)})
    decision = decide_all(
        Policy(), claims, "github_get_issue", READ, IssueRef(repo="evil/x"), {"repo": "repos"}
    )
    assert decision.outcome == "deny"
    assert "outside grant" in decision.explain()


_rules = st.lists(
    st.builds(
        Rule,
        outcome=st.sampled_from(["allow", "deny", "approval_required"]),
        actions=st.sampled_from([("*",), ("github_*",), ("github_merge",), ("other",)]),
        verbs=st.sampled_from([(), ("write",), ("read",)]),
        risks=st.sampled_from([(), ("destructive",), ("external",)]),
    ),
    max_size=5,
)


@given(rules=_rules, verbs=st.sampled_from([("read",), ("read", "draft"), ("read", "draft", "write")]))
def test_no_rule_lets_an_unnamed_destructive_action_or_a_draft_only_grant_commit(
    rules: list[Rule], verbs: tuple[Verb, ...]
) -> None:
    policy = Policy(tuple(rules))
    assert policy.decide(grant(verbs=verbs), "github_merge", DESTRUCTIVE).outcome == "deny"
    if "write" not in verbs:
        assert policy.decide(grant(verbs=verbs), "github_comment", WRITE).outcome == "deny"
    named = policy.decide(grant(destructive=("github_merge",)), "github_merge", DESTRUCTIVE)
    waived = any(r.outcome == "allow" and r.names("github_merge") for r in rules)
    assert named.outcome != "allow" or waived
    assert named.reasons


def test_home_policy_file_overrides_the_shipped_default(tmp_path: Path) -> None:
    home = CharterHome(tmp_path / "home")
    shipped = Policy.for_home(home)
    assert [r.actions for r in shipped.rules] == [("github_commit_file",)]
    assert shipped.approval_ttl == timedelta(hours=24)
    (home.path / "policy.yaml").write_text("rules:\n  - outcome: deny\n    actions: [github_comment]\n")
    assert Policy.for_home(home).decide(grant(), "github_comment", WRITE).outcome == "deny"
