"""Through the Toolkit: a renamed sub-agent still needs approval; a misspelt limit never goes unread."""

from __future__ import annotations

from typing import Any

from charter.auth.grants import GrantAuthority
from charter.auth.policy import Policy
from charter.auth.vocabulary import ServiceTerms, Vocabulary

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


def test_a_grant_limiting_a_name_no_connector_reads_allows_nothing(env: Any) -> None:
    # A grant issued before names were checked, with `repo=` for `repos=`: it must not read every repo.
    legacy = GrantAuthority(env.home, clock=env.clock, audit=env.audit, vocabulary=_ANYTHING_GOES)
    token = legacy.issue(
        "mona", "triage-bot", ("notes-mona",), ("read",), constraints={"repo": "acme/web"}
    ).token
    kit = env.toolkit(token)
    assert kit.tools() == []
    result = kit.call("notes_list_notes", {"repo": "evil/secrets"})
    assert result.status == "error"
    assert result.error is not None
    assert "limits repo, which none of its services reads" in result.error["message"]
    assert env.service.requests == []


def test_a_grant_limiting_a_name_its_connector_reads_works(env: Any) -> None:
    # Control: the same grant spelled right lists its tools and reads within its limit.
    kit = env.toolkit(env.grant(verbs=("read",), constraints={"repos": "acme/web"}).token)
    assert "notes_list_notes" in [t.name for t in kit.tools()]
    assert kit.call("notes_list_notes", {"repo": "acme/web"}).status == "ok"


_ANYTHING_GOES = Vocabulary(
    [ServiceTerms("notes", frozenset({"notes_list_notes"}), frozenset({"repo", "repos"}))],
)
