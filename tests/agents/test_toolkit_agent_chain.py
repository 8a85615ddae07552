"""Through the Toolkit: a sub-agent that names itself after a trusted agent still needs approval."""

from __future__ import annotations

from typing import Any

from charter.auth.policy import Policy

TRUST = {"rules": [{"outcome": "allow", "actions": ["notes_post_note"], "agents": ["triage-*"]}]}
NOTE = {"repo": "acme/web", "text": "hello"}


def test_a_renamed_sub_agent_does_not_post_without_approval(env: Any) -> None:
    env.policy = Policy.from_dict(TRUST)
    helper = env.grant(agent="helper")
    child = env.authority.attenuate(helper.token, agent="triage-bot")
    result = env.toolkit(child.token).call("notes_post_note", NOTE)
    assert result.status == "approval_required"
    assert env.service.writes == []
    entry = list(env.audit.entries())[-1]
    assert entry.agent == "helper/triage-bot"


def test_the_agent_the_rule_names_posts_without_approval(env: Any) -> None:
    # Control: the waiver is real, so the refusal above is the chain at work.
    env.policy = Policy.from_dict(TRUST)
    result = env.toolkit(env.grant(agent="triage-bot").token).call("notes_post_note", NOTE)
    assert result.status == "ok", result.error
    assert env.service.writes == ["post:hello"]
