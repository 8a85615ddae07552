"""Policy (`charter.auth.policy`), pinned where mutation testing found it loose.

Each test names the promise it holds: what the grant check, the constraints and the safe defaults
allow, deny or pause and the exact reasons a person reads; which rules select a call (verbs, risks,
reach, agents, conditions) and how their outcomes weigh; recipients counted and judged per domain;
the settings' defaults and bounds; packs under a file; and the messages of a policy that is wrong.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from test_policy import DESTRUCTIVE, DRAFT, EXTERNAL, NOW, READ, WRITE, Act, IssueRef, ManyRepos, grant

from charter.auth.conditions import PolicyInvalid
from charter.auth.policy import (
    DEFAULT_POLICY_FILE,
    BulkRules,
    Call,
    Decision,
    Policy,
    Rule,
    check_constraints,
    check_grant,
    combine,
    decide_all,
    reach_of,
)
from charter.connectors.base import resource_field
from charter.schemas import ConfigurationError, Verb

HIDES = Act("write", frozenset({"hides"}))
DOMAIN = Act("write", reach="domain")


def _reasons(policy: Policy, tool: str, act: Act, **claims: object) -> tuple[str, tuple[str, ...]]:
    decision = policy.decide(grant(**claims), tool, act)
    return decision.outcome, decision.reasons


# -- the grant check ------------------------------------------------------------------------------


def test_a_grant_without_the_verb_says_what_it_allows_and_only_a_write_is_called_draft_only() -> None:
    write = check_grant(grant(verbs=("read", "draft")), "github_comment", WRITE)
    assert write == Decision(
        "deny",
        (
            "denied because github_comment is a write and grant grt_test allows only read, draft "
            "(draft only: it can never commit)",
        ),
    )
    draft = check_grant(grant(verbs=("read",)), "gmail_create_draft", DRAFT)
    assert draft.reasons == (
        "denied because gmail_create_draft is a draft and grant grt_test allows only read",
    )


def test_a_grant_allows_any_action_unless_it_lists_some_and_says_which_it_lists() -> None:
    assert check_grant(grant(), "github_get_issue", READ) == Decision(
        "allow", ("github_get_issue is within grant grt_test",)
    )
    listed = grant(actions=("github_list_*", "github_get_repo"))
    assert check_grant(listed, "github_get_repo", READ).allowed
    assert check_grant(listed, "github_get_issue", READ).reasons == (
        "denied because grant grt_test does not list github_get_issue among its actions",
    )


def test_a_destructive_action_the_grant_does_not_name_is_refused_with_what_to_do() -> None:
    assert check_grant(grant(), "github_merge", DESTRUCTIVE).reasons == (
        "denied because github_merge is tagged destructive and grant grt_test does not name it in "
        "`destructive`; the person must grant it explicitly",
    )
    assert check_grant(grant(destructive=("github_merge",)), "github_merge", DESTRUCTIVE).allowed


# -- resource constraints -------------------------------------------------------------------------


class RepoAndPath(BaseModel):
    repo: str = resource_field("repos", "owner/name")
    path: str = resource_field("paths", "a path")


def test_a_field_the_grant_does_not_constrain_is_skipped_and_the_next_is_still_checked() -> None:
    fields = {"repo": "repos", "path": "paths"}
    claims = grant(constraints={"paths": ("docs/*",)})
    request = RepoAndPath(repo="anything/at-all", path="src/app.py")
    assert check_constraints(claims, request, fields).reasons == (
        "denied because path=src/app.py is outside grant grt_test, which allows paths docs/*",
    )
    inside = check_constraints(claims, RepoAndPath(repo="x/y", path="docs/a.md"), fields)
    assert inside == Decision("allow", ("resources within the grant's constraints",))


def test_an_empty_list_for_a_constrained_field_is_refused_and_says_what_to_name() -> None:
    claims = grant(constraints={"repos": ("acme/web", "acme/api")})
    refused = check_constraints(claims, ManyRepos(repos=[]), {"repos": "repos"})
    assert refused.reasons == ("grant grt_test is limited to repos acme/web, acme/api: name one in `repos`",)


class MaybeRepoAndPath(BaseModel):
    repo: str | None = resource_field("repos", "owner/name", default=None)
    path: str = resource_field("paths", "a path")


def test_a_missing_constrained_value_does_not_hide_the_next_fields_refusal() -> None:
    claims = grant(constraints={"repos": ("acme/web",), "paths": ("docs/*",)})
    refused = check_constraints(claims, MaybeRepoAndPath(path="src/a.py"), {"repo": "repos", "path": "paths"})
    assert refused.reasons == (
        "grant grt_test is limited to repos acme/web: name one in `repo`",
        "denied because path=src/a.py is outside grant grt_test, which allows paths docs/*",
    )


def test_every_value_outside_the_constraints_is_named_in_one_reason_per_field() -> None:
    claims = grant(constraints={"repos": ("acme/*", "tools/cli")})
    refused = check_constraints(claims, ManyRepos(repos=["acme/a", "evil/x", "evil/y"]), {"repos": "repos"})
    assert refused.reasons == (
        "denied because repos=evil/x, evil/y is outside grant grt_test, which allows repos acme/*, tools/cli",
    )
    both = check_constraints(
        grant(constraints={"repos": ("acme/*",), "paths": ("docs/*",)}),
        RepoAndPath(repo="evil/x", path="src/a.py"),
        {"repo": "repos", "path": "paths"},
    )
    assert both.outcome == "deny"
    assert len(both.reasons) == 2


def test_constraints_come_before_the_policy_and_the_grant_check_before_both() -> None:
    claims = grant(verbs=("read",), constraints={"repos": ("acme/web",)})
    by_verb = decide_all(
        Policy(), claims, "github_comment", WRITE, IssueRef(repo="evil/x"), {"repo": "repos"}
    )
    assert by_verb.reasons == (
        "denied because github_comment is a write and grant grt_test allows only read "
        "(draft only: it can never commit)",
    )
    by_place = decide_all(
        Policy(), grant(constraints={"repos": ("acme/web",)}), "github_comment", EXTERNAL,
        IssueRef(repo="evil/x"), {"repo": "repos"},
    )  # fmt: skip
    assert by_place.outcome == "deny"
    assert "repo=evil/x is outside grant" in by_place.explain()
    inside = decide_all(
        Policy(), grant(constraints={"repos": ("acme/web",)}), "github_comment", EXTERNAL,
        IssueRef(repo="acme/web"), {"repo": "repos"},
    )  # fmt: skip
    assert inside.reasons == ("approval required because github_comment is tagged external",)


# -- the safe defaults ----------------------------------------------------------------------------


def test_reads_drafts_and_quiet_writes_say_why_they_are_allowed() -> None:
    assert _reasons(Policy(), "github_get_issue", READ) == (
        "allow",
        ("allowed: github_get_issue is a read within grant grt_test",),
    )
    assert _reasons(Policy(), "gmail_create_draft", DRAFT) == (
        "allow",
        ("allowed: gmail_create_draft is a draft within grant grt_test",),
    )
    assert _reasons(Policy(), "onedrive_create_folder", WRITE) == (
        "allow",
        (
            "allowed: onedrive_create_folder writes within grant grt_test, reaches only the person and "
            "hides, removes or rewrites nothing",
        ),
    )


def test_every_weighed_tag_is_a_reason_in_order_and_a_tag_makes_reach_go_unsaid() -> None:
    every = Act(
        "write", frozenset({"rewrites", "hides", "sharing", "destructive", "external", "bulk"}), "public"
    )
    outcome, reasons = _reasons(Policy(), "svc_act", every, destructive=("svc_act",))
    assert outcome == "approval_required"
    assert reasons == (
        "approval required because svc_act is tagged external",
        "approval required because svc_act is tagged destructive",
        "approval required because svc_act is tagged sharing",
        "approval required because svc_act hides something the person relies on "
        "(mail archived, marked read or relabelled)",
        "approval required because svc_act rewrites something the person relies on "
        "(an event, a file, a page, an issue)",
    )


@pytest.mark.parametrize(
    ("reach", "words"),
    [
        ("domain", "people inside the account's domain (or everyone who can read the place)"),
        ("outsiders", "people outside the account's domain"),
        ("public", "the public"),
    ],
)
def test_a_write_reaching_others_says_whom_it_reaches(reach: str, words: str) -> None:
    assert _reasons(Policy(), "svc_act", Act("write", reach=reach)) == (
        "approval_required",
        (f"approval required because svc_act reaches {words}",),
    )


class _NoReach:
    verb: Verb = "write"
    risks: frozenset[str] = frozenset()


class _ReachNotText:
    verb: Verb = "write"
    risks: frozenset[str] = frozenset()
    reach = 3


@pytest.mark.parametrize("spec", [_NoReach(), _ReachNotText(), Act("write", reach=None)])
def test_a_write_that_does_not_declare_whom_it_reaches_pauses(spec: object) -> None:
    assert reach_of(spec) is None  # type: ignore[arg-type]
    decision = Policy().decide(grant(), "svc_act", spec)  # type: ignore[arg-type]
    assert decision.reasons == ("approval required because svc_act does not declare whom it reaches",)


def test_a_draft_only_grant_and_an_unnamed_destructive_action_are_refused_by_policy_itself() -> None:
    waive_all = Policy((Rule(outcome="allow"),))
    assert _reasons(waive_all, "github_create_issue", WRITE, verbs=("read", "draft")) == (
        "deny",
        ("denied because grant grt_test is draft only: github_create_issue would commit",),
    )
    assert _reasons(waive_all, "github_merge", DESTRUCTIVE) == (
        "deny",
        ("denied because github_merge is tagged destructive and grant grt_test does not name it",),
    )
    # Controls: a draft under a draft-only grant runs, and a named destructive action is weighed.
    assert _reasons(waive_all, "gmail_create_draft", DRAFT, verbs=("read", "draft"))[0] == "allow"
    assert _reasons(Policy(), "github_merge", DESTRUCTIVE, destructive=("github_merge",))[0] == (
        "approval_required"
    )


# -- rules: how outcomes weigh and what they say --------------------------------------------------


def test_every_deny_rule_that_applies_is_a_reason_and_beats_approval_and_waiver() -> None:
    policy = Policy(
        (
            Rule(outcome="allow", actions=("github_*",)),
            Rule(outcome="approval_required", actions=("github_comment",)),
            Rule(outcome="deny", actions=("github_comment",)),
            Rule(outcome="deny", verbs=("write",), reason="writes are done by people"),
        )
    )
    assert _reasons(policy, "github_comment", EXTERNAL) == (
        "deny",
        ("denied because a policy rule denies github_comment", "denied because writes are done by people"),
    )


def test_a_rule_requiring_approval_adds_its_reason_to_the_pause_the_defaults_give() -> None:
    policy = Policy(
        (
            Rule(outcome="approval_required", actions=("github_*",)),
            Rule(outcome="approval_required", verbs=("write",), reason="a person reviews every write"),
            Rule(outcome="allow", actions=("github_comment",)),
        )
    )
    assert _reasons(policy, "github_comment", EXTERNAL) == (
        "approval_required",
        (
            "approval required because github_comment is tagged external",
            "approval required: a policy rule requires approval for github_comment",
            "approval required: a person reviews every write",
        ),
    )
    # On a call the defaults allow, only the rule's reasons are given.
    assert _reasons(policy, "github_create_branch", WRITE) == (
        "approval_required",
        (
            "approval required: a policy rule requires approval for github_create_branch",
            "approval required: a person reviews every write",
        ),
    )


def test_a_waiver_names_every_allow_rule_and_waives_only_a_pause() -> None:
    policy = Policy(
        (
            Rule(outcome="allow", actions=("github_*",)),
            Rule(outcome="allow", verbs=("write",), reason="the bot may write to its repositories"),
        )
    )
    assert _reasons(policy, "github_comment", EXTERNAL) == (
        "allow",
        (
            "approval waived: a policy rule allows github_comment",
            "approval waived: the bot may write to its repositories",
        ),
    )
    # Nothing to waive: the defaults' own reason stands.
    assert _reasons(policy, "github_get_issue", READ) == (
        "allow",
        ("allowed: github_get_issue is a read within grant grt_test",),
    )


def test_a_destructive_action_is_waived_only_by_the_rules_that_name_it() -> None:
    policy = Policy(
        (
            Rule(outcome="allow", actions=("github_*",), reason="broad"),
            Rule(outcome="allow", actions=("github_merge", "github_close"), reason="exact"),
        )
    )
    claims = {"destructive": ("github_merge",)}
    assert _reasons(policy, "github_merge", DESTRUCTIVE, **claims) == ("allow", ("approval waived: exact",))
    assert Rule(outcome="allow", actions=("github_merge",)).names("github_merge")
    assert not Rule(outcome="allow", actions=("github_*",)).names("github_merge")


def test_a_rule_selects_by_verb_risk_and_reach_only_what_it_lists() -> None:
    by_verb = Rule(outcome="deny", verbs=("draft", "write"))
    assert by_verb.selects("t", WRITE)
    assert by_verb.selects("t", DRAFT)
    assert not by_verb.selects("t", READ)
    by_risk = Rule(outcome="deny", risks=("hides", "external"))
    assert by_risk.selects("t", HIDES)
    assert by_risk.selects("t", EXTERNAL)
    assert not by_risk.selects("t", WRITE)
    assert not by_risk.selects("t", DESTRUCTIVE)
    by_reach = Rule(outcome="deny", reaches=("domain",))
    assert by_reach.selects("t", DOMAIN)
    assert not by_reach.selects("t", WRITE)
    assert not by_reach.selects("t", Act("write", reach=None))
    by_action = Rule(outcome="deny", actions=("gmail_*", "github_comment"))
    assert by_action.selects("github_comment", WRITE)
    assert by_action.selects("gmail_send", WRITE)
    assert not by_action.selects("github_close", WRITE)
    # With no selector a rule selects every action.
    assert Rule(outcome="deny").selects("anything", READ)


def test_a_waiver_for_an_agent_is_its_own_and_a_deny_binds_its_sub_agents() -> None:
    waiver = Policy((Rule(outcome="allow", actions=("github_comment",), agents=("triage-bot",)),))
    assert _reasons(waiver, "github_comment", EXTERNAL, agent="triage-bot")[0] == "allow"
    assert _reasons(waiver, "github_comment", EXTERNAL, agent="triage-bot/sub-1")[0] == "approval_required"
    assert _reasons(waiver, "github_comment", EXTERNAL, agent="other-bot")[0] == "approval_required"
    deny = Policy((Rule(outcome="deny", actions=("github_comment",), agents=("triage-bot",)),))
    assert _reasons(deny, "github_comment", EXTERNAL, agent="triage-bot/sub-1")[0] == "deny"
    assert _reasons(deny, "github_comment", EXTERNAL, agent="other-bot")[0] == "approval_required"
    pause = Policy((Rule(outcome="approval_required", agents=("triage-bot",)),))
    assert _reasons(pause, "github_create_branch", WRITE, agent="triage-bot/sub-1")[0] == "approval_required"
    assert _reasons(pause, "github_create_branch", WRITE, agent="other-bot")[0] == "allow"


def test_an_agent_pattern_that_can_never_name_an_agent_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        Policy.from_dict({"rules": [{"outcome": "allow", "agents": ["triage bot"]}]})


# -- conditions -----------------------------------------------------------------------------------


class Mail(BaseModel):
    to: list[str]


def _when(outcome: str, condition: str) -> Policy:
    return Policy.from_dict({"rules": [{"outcome": outcome, "actions": ["mail_send"], "when": condition}]})


def _decide(policy: Policy, call: Call | None, **claims: object) -> str:
    return policy.decide(grant(**claims), "mail_send", EXTERNAL, call).outcome


def test_a_conditional_rule_reads_the_grants_agent_and_id_the_clock_and_the_facts() -> None:
    call = Call(Mail(to=["a@x"]), NOW, {"issue": {"labels": ["triage"]}})
    assert _decide(_when("deny", 'grant.agent == "triage-bot"'), call) == "deny"
    assert _decide(_when("deny", 'grant.agent == "triage-bot"'), call, agent="other") == "approval_required"
    assert _decide(_when("deny", 'grant.id == "grt_test"'), call) == "deny"
    assert _decide(_when("deny", 'grant.id == "grt_test"'), call, id="grt_other") == "approval_required"
    # NOW is Monday 2026-01-05 00:00 UTC.
    assert _decide(_when("deny", 'hours("mon 00:00-01:00", "UTC")'), call) == "deny"
    assert _decide(_when("deny", 'hours("tue 00:00-01:00", "UTC")'), call) == "approval_required"
    assert _decide(_when("deny", 'issue.labels contains "triage"'), call) == "deny"
    assert _decide(_when("deny", 'issue.labels contains "bug"'), call) == "approval_required"


def test_decide_all_gives_conditions_the_call_its_time_and_its_facts() -> None:
    def decided(policy: Policy) -> str:
        return decide_all(
            policy, grant(), "mail_send", EXTERNAL, Mail(to=["a@x"]), {}, NOW, {"issue": {"labels": ["x"]}}
        ).outcome

    assert decided(_when("deny", "len(to) == 1")) == "deny"
    assert decided(_when("deny", 'hours("mon 00:00-01:00", "UTC")')) == "deny"
    assert decided(_when("deny", 'issue.labels contains "x"')) == "deny"
    # Controls: conditions that do not hold at that time, on those facts, leave the call paused.
    assert decided(_when("deny", "len(to) == 2")) == "approval_required"
    assert decided(_when("deny", 'hours("tue 00:00-01:00", "UTC")')) == "approval_required"
    assert decided(_when("deny", 'issue.labels contains "y"')) == "approval_required"


def test_a_conditional_rule_applies_to_no_listing_and_an_unconditional_one_to_every_call() -> None:
    assert _decide(_when("deny", "true"), None) == "approval_required"
    assert _decide(_when("approval_required", "true"), None, destructive=()) == "approval_required"
    assert _decide(_when("allow", "true"), None) == "approval_required"
    assert _decide(_when("allow", "true"), Call(Mail(to=[]))) == "allow"
    plain = Policy((Rule(outcome="deny", actions=("mail_send",)),))
    assert _decide(plain, None) == "deny"
    assert _decide(plain, Call(Mail(to=[]))) == "deny"
    assert plain.conditional is False
    assert _when("deny", "true").conditional is True


def test_a_condition_that_cannot_be_evaluated_pauses_or_denies_and_never_waives() -> None:
    class Other(BaseModel):
        body: str = ""

    broken = Call(Other())
    assert _decide(_when("deny", "len(to) > 5"), broken) == "deny"
    assert _decide(_when("allow", "len(to) < 5"), broken) == "approval_required"
    paused = _when("approval_required", "len(to) > 5")
    assert paused.decide(grant(), "mail_send", WRITE, broken).reasons == (
        "approval required: a policy rule requires approval for mail_send",
    )
    # Control: with the field present the same conditions decide on its value.
    assert _decide(_when("allow", "len(to) < 5"), Call(Mail(to=["a@x"]))) == "allow"
    assert paused.decide(grant(), "mail_send", WRITE, Call(Mail(to=["a@x"]))).outcome == "allow"


def test_a_conditions_place_is_its_line_whether_written_alone_or_in_a_list(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "rules:\n"
        "  - outcome: deny\n"
        "    actions: [mail_send]\n"
        "    when: len(to) > 5\n"
        "  - outcome: deny\n"
        "    when:\n"
        "      - len(to) > 6\n"
        "      - len(to) > 7\n"
    )
    policy = Policy.load(path)
    assert [c.where for r in policy.rules for c in r.when] == [f"{path}:4", f"{path}:7", f"{path}:8"]
    assert policy.origins == (f"{path}:2", f"{path}:5")


# -- recipients -----------------------------------------------------------------------------------


def test_the_recipient_limit_is_inclusive_and_the_refusal_says_the_count_and_the_limit() -> None:
    policy = Policy.from_dict({"recipients": {"max": 2}})
    at_limit = policy.check_recipients(
        "gmail_send", [" A@acme.com", "a@ACME.com ", "b@acme.com", "  ", ""], "acme.com"
    )
    assert at_limit == Decision("allow", ("gmail_send reaches 2 allowed address(es)",))
    over = policy.check_recipients("gmail_send", ["a@acme.com", "b@acme.com", "c@acme.com"], "acme.com")
    assert over.reasons == (
        "denied because gmail_send would reach 3 addresses and the policy allows at most 2; "
        "send to fewer people or ask the person to do it",
    )


def test_the_default_recipient_limit_is_fifty() -> None:
    for policy in (Policy(), Policy.from_dict({}), Policy.load(DEFAULT_POLICY_FILE)):
        assert policy.recipients.max == 50
        fifty = [f"p{n}@acme.com" for n in range(50)]
        assert policy.check_recipients("t", fifty, "acme.com").allowed
        assert policy.check_recipients("t", [*fifty, "p50@acme.com"], "acme.com").outcome == "deny"


def test_a_limit_of_one_is_the_least_a_policy_may_set() -> None:
    assert Policy.from_dict({"recipients": {"max": 1}}).recipients.max == 1
    with pytest.raises(PolicyInvalid, match=r"recipients\.max"):
        Policy.from_dict({"recipients": {"max": 0}})


def test_an_address_without_a_domain_pauses_and_is_quoted() -> None:
    decision = Policy().check_recipients("gmail_send", ["no-domain", "bob@"], "acme.com")
    assert decision.reasons == (
        "approval required because 'no-domain' has no domain",
        "approval required because 'bob@' has no domain",
    )


def test_an_address_outside_the_accounts_domain_pauses_and_the_domain_is_compared_in_any_case() -> None:
    policy = Policy()
    assert policy.check_recipients("t", ["bob@acme.com"], "ACME.com").allowed
    assert policy.check_recipients("t", ["eve@evil.test"], "acme.com").reasons == (
        "approval required because t reaches eve@evil.test, outside the account's own domain",
    )
    # The domain is what follows the last @, whatever a quoted local part holds.
    assert policy.check_recipients("t", ["eve@acme.com@evil.test"], "acme.com").outcome == "approval_required"
    assert policy.check_recipients("t", ['"ops@evil.test"@acme.com'], "acme.com").allowed


def test_a_domain_rule_says_its_reason_or_which_domain_it_covers() -> None:
    policy = Policy.from_dict(
        {
            "recipients": {
                "domains": [
                    {"domains": ["@Partner.Example"], "outcome": "approval_required"},
                    {"domains": ["*.gov"], "outcome": "deny"},
                    {"domains": ["acme.com"], "outcome": "deny", "reason": "acme is closed"},
                ]
            }
        }
    )
    assert policy.check_recipients("t", ["lee@partner.example"], "partner.example").reasons == (
        "approval required because a recipient rule covers partner.example (lee@partner.example)",
    )
    assert policy.check_recipients("t", ["tax@irs.gov"], None).reasons == (
        "denied because a recipient rule covers irs.gov (tax@irs.gov)",
    )
    assert policy.check_recipients("t", ["ann@acme.com"], "acme.com").reasons == (
        "denied because acme is closed (ann@acme.com)",
    )


def test_an_allowing_domain_rule_lets_an_outside_domain_through() -> None:
    policy = Policy.from_dict({"recipients": {"domains": [{"domains": ["*"], "outcome": "allow"}]}})
    assert policy.check_recipients("t", ["x@anywhere.test", "y@other.test"], None) == Decision(
        "allow", ("t reaches 2 allowed address(es)",)
    )


# -- combining checks -----------------------------------------------------------------------------


def test_combining_keeps_every_reason_of_the_strictest_outcome_in_order() -> None:
    deny1, deny2 = Decision("deny", ("d1",)), Decision("deny", ("d2", "d3"))
    wait = Decision("approval_required", ("w",))
    assert combine(deny1, wait, deny2) == Decision("deny", ("d1", "d2", "d3"))
    assert combine(Decision("allow", ("first",)), Decision("allow", ("second",))).reasons == ("first",)
    assert combine() == Decision("allow", ("no checks apply",))
    assert Decision("deny", ("a", "b")).explain() == "a; b"
    assert not Decision("approval_required", ()).allowed


# -- settings: defaults and bounds ----------------------------------------------------------------


def test_the_settings_default_to_what_the_shipped_policy_says() -> None:
    for policy in (Policy(), Policy.from_dict({}), Policy.from_yaml(""), Policy.load(DEFAULT_POLICY_FILE)):
        assert policy.approval_ttl == timedelta(hours=24)
        assert policy.approved_ttl == timedelta(hours=1)
        assert (policy.taint.quote_words, policy.taint.token_chars) == (12, 24)
        assert (policy.bulk.writes, policy.bulk.minutes, policy.bulk.batch) == (5, 10, 25)
        assert policy.recipients.domains == ()


def test_the_lifetimes_are_read_in_minutes() -> None:
    policy = Policy.from_dict({"approval_ttl_minutes": 1, "approved_ttl_minutes": 2})
    assert (policy.approval_ttl, policy.approved_ttl) == (timedelta(minutes=1), timedelta(minutes=2))


@pytest.mark.parametrize(
    ("section", "least", "most"),
    [
        ({"approval_ttl_minutes": 0}, 1, None),
        ({"approved_ttl_minutes": 0}, 1, None),
        ({"taint": "quote_words"}, 6, 500),
        ({"taint": "token_chars"}, 12, None),
        ({"bulk": "writes"}, 1, None),
        ({"bulk": "minutes"}, 1, 24 * 60),
        ({"bulk": "batch"}, 1, None),
    ],
)
def test_each_setting_takes_its_bounds_and_nothing_past_them(
    section: dict[str, object], least: int, most: int | None
) -> None:
    ((key, inner),) = section.items()

    def policy(value: int) -> dict[str, object]:
        return {key: value} if isinstance(inner, int) else {key: {inner: value}}

    Policy.from_dict(policy(least))
    with pytest.raises(PolicyInvalid, match="invalid policy"):
        Policy.from_dict(policy(least - 1))
    if most is not None:
        Policy.from_dict(policy(most))
        with pytest.raises(PolicyInvalid, match="invalid policy"):
            Policy.from_dict(policy(most + 1))


def test_a_bulk_rate_of_its_own_is_the_first_pattern_matching_the_tool() -> None:
    bulk = BulkRules(writes=3, actions={"gmail_modify_*": 10, "gmail_*": 7})
    assert bulk.writes_for("gmail_modify_labels") == 10
    assert bulk.writes_for("gmail_send") == 7
    assert bulk.writes_for("github_comment") == 3


# -- a policy that is wrong -----------------------------------------------------------------------


def test_an_invalid_policy_names_the_file_the_line_and_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "approval_ttl_minutes: 60\nrules:\n  - outcome: allow\n  - outcom: deny\n    verbs: [send]\n"
    )
    with pytest.raises(PolicyInvalid) as raised:
        Policy.load(path)
    message = raised.value.message
    assert message.startswith(f"{path}:4: invalid policy: rules.1.outcome: Field required; ")
    assert "rules.1.verbs.0: Input should be 'read', 'draft' or 'write'" in message
    assert "rules.1.outcom: Extra inputs are not permitted" in message
    assert message.count("; ") == 2
    assert raised.value.details == {"file": str(path), "at": f"{path}:4"}
    assert raised.value.code == "policy_invalid"


def test_a_policy_built_from_data_is_named_policy_in_its_messages() -> None:
    with pytest.raises(PolicyInvalid) as raised:
        Policy.from_dict({"recipients": {"max": 0}})
    assert raised.value.message == ("policy: invalid policy: recipients.max: Input should be greater than 0")
    assert raised.value.details == {"file": "policy", "at": "policy"}


def test_a_policy_that_is_not_a_mapping_is_refused_and_an_empty_one_is_the_defaults() -> None:
    with pytest.raises(PolicyInvalid) as raised:
        Policy.from_yaml("- outcome: deny\n", source="home/policy.yaml")
    assert raised.value.message == "home/policy.yaml: a policy file must be a mapping with `rules:`"
    assert raised.value.details == {"file": "home/policy.yaml"}
    assert Policy.from_yaml("# nothing yet\n") == Policy()


@pytest.mark.parametrize("content", [None, b"rules: \xff\xfe\n"], ids=["missing", "not-utf8"])
def test_a_policy_file_that_cannot_be_read_says_which(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "policy.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PolicyInvalid) as raised:
        Policy.load(path)
    assert raised.value.message.startswith(f"cannot read the policy file {path}: ")
    assert raised.value.details == {"file": str(path)}


def test_a_file_names_its_source_in_every_place_it_reports(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("rules:\n  - outcome: deny\n    actions: [a]\n")
    assert Policy.load(path).origins == (f"{path}:2",)
    assert Policy.from_yaml("rules:\n  - outcome: deny\n").origins == ("policy:2",)


# -- packs ----------------------------------------------------------------------------------------


def test_an_unknown_pack_lists_the_packs_there_are() -> None:
    with pytest.raises(PolicyInvalid) as raised:
        Policy.pack("no-such-pack")
    assert raised.value.message == (
        "there is no policy pack 'no-such-pack'; "
        "the packs are mail-assistant, read-only-assistant, triage-bot"
    )
    assert raised.value.details == {"pack": "no-such-pack"}


def test_an_unknown_pack_in_a_file_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("rules: []\npack: no-such-pack\n")
    with pytest.raises(PolicyInvalid) as raised:
        Policy.load(path)
    assert raised.value.message == (
        f"{path}:2: there is no policy pack 'no-such-pack'; "
        "the packs are mail-assistant, read-only-assistant, triage-bot"
    )
    assert raised.value.details == {"at": f"{path}:2"}


def test_a_packs_rules_come_first_and_say_which_pack_they_come_from(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("pack: read-only-assistant\nrules:\n  - {outcome: allow, actions: [x]}\n")
    policy = Policy.load(path)
    assert [r.outcome for r in policy.rules] == ["deny", "deny", "allow"]
    assert policy.origins == ("pack read-only-assistant:7", "pack read-only-assistant:10", f"{path}:3")


def test_a_files_recipients_and_taint_replace_the_packs_and_the_packs_hold_otherwise() -> None:
    under = Policy.from_dict({"pack": "mail-assistant"})
    assert under.recipients.max == 5
    own = Policy.from_dict({"pack": "mail-assistant", "recipients": {"max": 7}, "taint": {"quote_words": 20}})
    assert own.recipients.max == 7
    assert own.taint.quote_words == 20
    assert Policy.from_dict({"pack": "mail-assistant", "taint": {"quote_words": 20}}).recipients.max == 5
    assert Policy.from_dict({"pack": "mail-assistant", "recipients": {"max": 7}}).taint.quote_words == 12


def test_a_packs_own_recipients_and_taint_hold_under_a_file_that_gives_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "strict.yaml").write_text("recipients:\n  max: 2\ntaint:\n  quote_words: 8\nrules: []\n")
    monkeypatch.setattr("charter.auth.policy.PACKS_DIR", tmp_path)
    under = Policy.from_dict({"pack": "strict"})
    assert (under.recipients.max, under.taint.quote_words) == (2, 8)
    own = Policy.from_dict({"pack": "strict", "taint": {"quote_words": 30}})
    assert (own.recipients.max, own.taint.quote_words) == (2, 30)


def test_a_packs_bulk_rate_and_lifetimes_hold_under_a_file_that_gives_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pack's rate of writes without a person is a safety setting: dropping it would let a run
    # under the pack write at the default rate.
    (tmp_path / "slow.yaml").write_text(
        "approval_ttl_minutes: 30\napproved_ttl_minutes: 5\nbulk:\n  writes: 1\n  minutes: 60\nrules: []\n"
    )
    monkeypatch.setattr("charter.auth.policy.PACKS_DIR", tmp_path)
    under = Policy.from_dict({"pack": "slow"})
    assert (under.approval_ttl, under.approved_ttl) == (timedelta(minutes=30), timedelta(minutes=5))
    assert (under.bulk.writes, under.bulk.minutes) == (1, 60)
    own = Policy.from_dict(
        {"pack": "slow", "approval_ttl_minutes": 90, "approved_ttl_minutes": 10, "bulk": {"writes": 3}}
    )
    assert (own.approval_ttl, own.approved_ttl) == (timedelta(minutes=90), timedelta(minutes=10))
    assert (own.bulk.writes, own.bulk.minutes) == (3, 10)
