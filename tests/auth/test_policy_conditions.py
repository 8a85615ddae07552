"""Rules with `when` conditions: refused at load with file and line; never weakening the safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from charter.auth.conditions import PolicyInvalid
from charter.auth.policy import Call, Policy
from charter.auth.policy_check import DeclaredAction, analyse, type_check
from charter.schemas import GrantClaims


class Send(BaseModel):
    to: list[str]
    body: str = ""


class Delete(BaseModel):
    path: str


ACTIONS = [
    DeclaredAction("mail_send", "write", frozenset({"external"}), Send),
    DeclaredAction("drive_delete", "write", frozenset({"destructive"}), Delete),
    DeclaredAction("drive_read", "read", frozenset(), Delete),
]


class _Spec:
    def __init__(self, verb: str, risks: frozenset[str]) -> None:
        self.verb, self.risks = verb, risks


SEND = _Spec("write", frozenset({"external"}))
DELETE = _Spec("write", frozenset({"destructive"}))


def claims(**extra: object) -> GrantClaims:
    data: dict[str, object] = {
        "id": "g1", "subject": "mona", "agent": "bot", "connections": ["c1"],
        "verbs": ["read", "draft", "write"], "issued_at": 0, "expires_at": 4_000_000_000,
    }  # fmt: skip
    return GrantClaims.model_validate({**data, **extra})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_a_condition_on_a_field_the_action_lacks_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules:\n"
        "  - outcome: deny\n"
        "    actions: [mail_send]\n"
        "    when:\n"
        "      - len(to) > 5\n"
        "      - size(attachments) > 10MB\n",
    )
    policy = Policy.load(path)
    with pytest.raises(PolicyInvalid) as raised:
        type_check(policy, ACTIONS)
    assert f"{path}:6:" in raised.value.message
    assert "no field `attachments`" in raised.value.message
    assert raised.value.code == "policy_invalid"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("rules:\n  - outcome: deny\n    when: 'len(to) >'\n", 3, "does not parse"),
        ("rules:\n  - outcome: deny\n    actions: [a]\n  - outcome: maybe\n", 4, "outcome"),
        ("rules:\n  - outcome: deny\n    whenn: x\n", 3, "whenn"),
        ("rules:\n  - outcome: deny\n   actions: [a]\n", 3, "not valid YAML"),
        ("rules: [\n", 2, "not valid YAML"),
    ],
)
def test_a_broken_policy_file_is_refused_at_load_with_the_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyInvalid, match=reason) as raised:
        Policy.load(path)
    assert f"{path}:{line}:" in raised.value.message


def test_a_conditional_rule_that_selects_no_action_is_refused() -> None:
    policy = Policy.from_yaml("rules:\n  - outcome: deny\n    actions: [mail_sned]\n    when: len(to) > 5\n")
    with pytest.raises(PolicyInvalid, match="selects no installed action"):
        type_check(policy, ACTIONS)


def test_a_condition_must_type_for_every_action_its_rule_selects() -> None:
    policy = Policy.from_yaml("rules:\n  - outcome: deny\n    actions: ['drive_*']\n    when: len(to) > 5\n")
    with pytest.raises(PolicyInvalid, match="drive_delete"):
        type_check(policy, ACTIONS)


def test_deny_with_a_condition_beats_an_allow() -> None:
    policy = Policy.from_yaml(
        "rules:\n"
        "  - {outcome: allow, actions: [mail_send]}\n"
        "  - {outcome: deny, actions: [mail_send], when: len(to) > 5}\n"
    )
    few, many = Send(to=["a@x"] * 5), Send(to=[f"{n}@x" for n in range(6)])
    assert policy.decide(claims(), "mail_send", SEND, Call(few)).outcome == "allow"
    assert policy.decide(claims(), "mail_send", SEND, Call(many)).outcome == "deny"
    # Listing a tool (no arguments yet) never counts a conditional deny as applying.
    assert policy.decide(claims(), "mail_send", SEND).outcome == "allow"


def test_an_always_true_allow_never_permits_a_destructive_action_the_grant_does_not_name() -> None:
    policy = Policy.from_yaml(
        "rules:\n  - {outcome: allow, actions: ['*'], when: 'true'}\n"
        "  - {outcome: allow, actions: [drive_delete], when: 'len(path) >= 0'}\n"
    )
    type_check(policy, ACTIONS)
    unnamed = policy.decide(claims(), "drive_delete", DELETE, Call(Delete(path="/a")))
    assert unnamed.outcome == "deny"
    named = policy.decide(
        claims(destructive=["drive_delete"]), "drive_delete", DELETE, Call(Delete(path="/a"))
    )
    # Control: named by the grant and waived by a rule naming it exactly, the attack's rule does work.
    assert named.outcome == "allow"


def test_a_draft_only_grant_never_commits_whatever_a_rule_says() -> None:
    policy = Policy.from_yaml("rules:\n  - {outcome: allow, actions: ['*'], when: 'true'}\n")
    draft_only = claims(verbs=["read", "draft"])
    assert policy.decide(draft_only, "mail_send", SEND, Call(Send(to=["a@x"]))).outcome == "deny"


def test_a_condition_that_fails_to_evaluate_counts_against_the_call() -> None:
    policy = Policy.from_yaml(
        "rules:\n  - {outcome: deny, actions: [mail_send], when: 'len(to) > 5'}\n"
        "  - {outcome: allow, actions: [mail_send], when: 'len(to) < 5'}\n"
    )

    class Other(BaseModel):
        body: str = ""

    # A request without `to` (an action the checker never saw): the deny applies, the waiver does not.
    decision = policy.decide(claims(), "mail_send", SEND, Call(Other()))
    assert decision.outcome == "deny"


def test_check_reports_rules_that_never_match_or_are_shadowed() -> None:
    policy = Policy.from_yaml(
        "rules:\n"
        "  - {outcome: deny, actions: ['mail_*']}\n"
        "  - {outcome: approval_required, actions: [mail_send], when: len(to) > 5}\n"
        "  - {outcome: deny, actions: [calendar_delete]}\n"
        "  - {outcome: allow, actions: ['drive_*']}\n"
    )
    report = analyse(policy, ACTIONS)
    kinds = {note.rule: note.kind for note in report.notes}
    assert kinds == {1: "shadowed", 2: "never_matches", 3: "no_effect"}
    assert report.effective["mail_send"][0] == "write, external: approval required"
