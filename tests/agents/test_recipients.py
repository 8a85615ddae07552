"""Recipient rules through the Toolkit: every address a write reaches, direct or through a draft."""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.auth.policy import DomainRule, Policy, RecipientRules, Rule

if TYPE_CHECKING:
    from conftest import Env

# Sending mail is tagged external; this person waives that for mail, so recipient rules decide.
WAIVED = (Rule(outcome="allow", actions=("mail_send_mail",)),)


def test_mail_inside_the_accounts_domain_goes_and_outside_it_waits(env: Env) -> None:
    kit = env.toolkit(env.grant(connections=("mail-mona",), constraints={}).token, policy=Policy(WAIVED))
    assert kit.call("mail_send_mail", {"to": ["bob@acme.test"], "body": "hi"}).ok
    outside = kit.call("mail_send_mail", {"to": ["bob@acme.test"], "cc": ["eve@evil.test"], "body": "hi"})
    assert outside.status == "approval_required"
    assert outside.approval is not None
    assert outside.approval.reasons == [
        "approval required because mail_send_mail reaches eve@evil.test, outside the account's own domain"
    ]
    assert len(env.mailbox.sent) == 1


def test_domain_rules_allow_partners_and_deny_others(env: Env) -> None:
    rules = RecipientRules(
        domains=(
            DomainRule(domains=("partner.test", "*.partner.test"), outcome="allow"),
            DomainRule(domains=("evil.test",), outcome="deny", reason="evil.test is a known phishing domain"),
        )
    )
    kit = env.toolkit(
        env.grant(connections=("mail-mona",), constraints={}).token, policy=Policy(WAIVED, recipients=rules)
    )
    assert kit.call("mail_send_mail", {"to": ["ann@eu.partner.test"], "body": "hi"}).ok
    denied = kit.call("mail_send_mail", {"to": ["ann@partner.test"], "bcc": "Eve <eve@EVIL.test>"})
    assert denied.error is not None
    assert denied.error["error"] == "grant_denied"
    assert "evil.test is a known phishing domain (eve@evil.test)" in denied.error["message"]
    assert len(env.mailbox.sent) == 1


def test_too_many_recipients_are_denied_with_the_limit(env: Env) -> None:
    policy = Policy(WAIVED, recipients=RecipientRules(max=3))
    kit = env.toolkit(env.grant(connections=("mail-mona",), constraints={}).token, policy=policy)
    many = {"to": ["a@acme.test", "b@acme.test"], "cc": ["c@acme.test"], "bcc": "d@acme.test, A@acme.test"}
    result = kit.call("mail_send_mail", many)
    assert result.error is not None
    assert "would reach 4 addresses and the policy allows at most 3" in result.error["message"]
    assert env.mailbox.sent == []


def test_a_draft_commit_is_checked_against_the_drafts_recipients(env: Env) -> None:
    kit = env.toolkit(env.grant(connections=("mail-mona",), constraints={}).token, policy=Policy(WAIVED))
    inside = kit.call("mail_draft_mail", {"to": ["bob@acme.test"], "body": "hi"})
    outside = kit.call("mail_draft_mail", {"to": ["eve@evil.test"], "body": "hi"})
    assert kit.call("mail_commit_draft", {"draft_id": inside.data["draft_id"]}).ok
    paused = kit.call("mail_commit_draft", {"draft_id": outside.data["draft_id"]})
    assert paused.status == "approval_required"
    assert paused.approval is not None
    assert "reaches eve@evil.test" in paused.approval.reasons[0]
    assert [m.to for m in env.mailbox.sent] == [["bob@acme.test"]]


def test_recipient_rules_never_waive_the_external_tag(env: Env) -> None:
    allow_all = RecipientRules(domains=(DomainRule(domains=("*",), outcome="allow"),))
    kit = env.toolkit(
        env.grant(connections=("mail-mona",), constraints={}).token, policy=Policy(recipients=allow_all)
    )
    result = kit.call("mail_send_mail", {"to": ["bob@acme.test"], "body": "hi"})
    assert result.status == "approval_required"
    assert result.approval is not None
    assert result.approval.reasons == ["approval required because mail_send_mail is tagged external"]
