"""The ready-made policies: each types against the installed connectors and decides as its comments say."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from charter.auth.conditions import PolicyInvalid
from charter.auth.policy import PACKS_DIR, Call, Policy, pack_names
from charter.auth.policy_check import analyse, type_check
from charter.connectors.github.models import Comment
from charter.connectors.gmail.models import SendDraft
from charter.connectors.registry import declared_actions
from charter.schemas import GrantClaims

WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SUNDAY_NIGHT = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
ACTIONS = {a.tool: a for a in declared_actions()}


def claims(agent: str = "bot", **extra: object) -> GrantClaims:
    return GrantClaims.model_validate(
        {"id": "g1", "subject": "mona", "agent": agent, "connections": ["c1"],
         "verbs": ["read", "draft", "write"], "issued_at": 0, "expires_at": 4_000_000_000, **extra}
    )  # fmt: skip


def test_every_pack_types_against_the_installed_connectors_and_has_no_dead_rule() -> None:
    assert pack_names() == ["mail-assistant", "read-only-assistant", "triage-bot"]
    for name in pack_names():
        policy = Policy.pack(name)
        type_check(policy, ACTIONS.values())
        assert analyse(policy, ACTIONS.values()).notes == [], name


def test_the_packs_ship_as_package_data() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert "policies/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["charter.auth"]
    assert PACKS_DIR.name == "policies"


def test_read_only_assistant_refuses_every_draft_and_write_and_allows_every_read() -> None:
    policy = Policy.pack("read-only-assistant")
    grant = claims(destructive=[t for t, a in ACTIONS.items() if "destructive" in a.risks])
    for tool, action in ACTIONS.items():
        outcome = policy.decide(grant, tool, action).outcome
        assert outcome == ("allow" if action.verb == "read" else "deny"), tool


def test_triage_bot_comments_on_triage_issues_and_nothing_else_unasked() -> None:
    policy = Policy.pack("triage-bot")
    comment, spec = Comment(repo="acme/web", number=5, body="Thanks"), ACTIONS["github_comment"]

    def on(labels: list[str], agent: str = "triage-bot") -> str:
        issue = {"labels": labels, "state": "open"}
        return policy.decide(
            claims(agent), "github_comment", spec, Call(comment, WEDNESDAY, {"issue": issue})
        ).outcome

    assert on(["bug", "triage"]) == "allow"
    assert on(["bug"]) == "approval_required"
    assert on(["Triage"]) == "approval_required"
    assert on(["triage"], agent="other-bot") == "approval_required"
    assert (
        policy.decide(claims("triage-bot"), "github_comment", spec, Call(comment)).outcome
        == "approval_required"
    )
    for tool in ("github_close_issue", "github_merge_pull_request", "gmail_send_draft", "notion_create_page"):
        assert (
            policy.decide(claims("triage-bot", destructive=[tool]), tool, ACTIONS[tool]).outcome == "deny"
        ), tool


def test_mail_assistant_sends_inside_the_domain_in_working_hours_only() -> None:
    policy = Policy.pack("mail-assistant")
    spec = ACTIONS["gmail_send_draft"]

    def send(to: list[str], at: datetime) -> str:
        mail = SendDraft(to=to, subject="Status", body="All good.")
        decided = policy.decide(claims(), "gmail_send_draft", spec, Call(mail, at))
        reached = policy.check_recipients("gmail_send_draft", to, "acme.com")
        return decided.outcome if reached.outcome == "allow" else reached.outcome

    team = [f"p{n}@acme.com" for n in range(6)]
    assert send(team[:5], WEDNESDAY) == "allow"
    assert send(team[:5], SUNDAY_NIGHT) == "approval_required"
    assert send(team, WEDNESDAY) == "deny"
    assert send(["lee@partner.example"], WEDNESDAY) == "approval_required"
    trash = ACTIONS["gmail_trash_message"]
    assert (
        policy.decide(claims(destructive=["gmail_trash_message"]), "gmail_trash_message", trash).outcome
        == "deny"
    )
    assert policy.decide(claims(), "github_comment", ACTIONS["github_comment"]).outcome == "deny"


def test_a_policy_file_names_a_pack_and_adds_its_own_rules(tmp_path: Path) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text("pack: read-only-assistant\nrules:\n  - {outcome: deny, actions: [gmail_get_message]}\n")
    policy = Policy.load(file)
    assert [r.outcome for r in policy.rules] == ["deny", "deny", "deny"]
    assert policy.origins[-1] == f"{file}:3"
    assert policy.decide(claims(), "gmail_get_message", ACTIONS["gmail_get_message"]).outcome == "deny"


@pytest.mark.parametrize("name", ["no-such-pack", "../policy", "Triage-Bot"])
def test_an_unknown_pack_is_refused_with_the_line(tmp_path: Path, name: str) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text(f"rules: []\npack: '{name}'\n")
    with pytest.raises(PolicyInvalid, match=f"{file}:2"):
        Policy.load(file)


def test_the_rules_shown_in_the_security_docs_load_and_type() -> None:
    text = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    section = text.split("## Policy rules and their conditions", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = Policy.from_yaml(block, source="docs/security.md")
    type_check(policy, ACTIONS.values())
    assert len(policy.rules) == 5
