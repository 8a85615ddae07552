"""The Toolkit: exactly the allowed tools, every call through grant, policy, approval, connector, audit."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update
from waiting import PATIENCE, in_background

from charter.agents.approvals import approvals_table
from charter.agents.drafts import drafts_table
from charter.auth.policy import Policy, Rule
from charter.schemas import GrantDenied, UpstreamError

if TYPE_CHECKING:
    from conftest import Env

NEW_NOTE = {"repo": "acme/web", "text": "Looks like a duplicate of #2."}


def names(env: Env, token: str) -> set[str]:
    return {t.name for t in env.toolkit(token).tools()}


# -- tools -------------------------------------------------------------------------------------


def test_tools_are_exactly_what_the_grant_allows(env: Env) -> None:
    read_only = env.grant(verbs=("read",)).token
    assert names(env, read_only) == {"notes_list_notes", "notes_get_note"}
    full = env.grant().token
    assert names(env, full) == {
        "notes_list_notes", "notes_get_note", "notes_draft_note", "notes_post_note",
        "notes_label_note", "notes_commit_draft",
    }  # fmt: skip
    listed = env.grant(actions=("notes_get_note", "notes_draft_*")).token
    assert names(env, listed) == {"notes_get_note", "notes_draft_note"}


def test_destructive_tool_is_listed_only_when_the_grant_names_it(env: Env) -> None:
    assert "notes_delete_note" not in names(env, env.grant().token)
    assert "notes_delete_note" in names(env, env.grant(destructive=("notes_delete_note",)).token)


def test_policy_deny_rules_hide_tools(env: Env) -> None:
    token = env.grant().token
    tools = {
        t.name for t in env.toolkit(token, policy=Policy((Rule(outcome="deny", verbs=("write",)),))).tools()
    }
    assert tools == {"notes_list_notes", "notes_get_note", "notes_draft_note"}


def test_tool_schema_is_compact_and_described(env: Env) -> None:
    tools = {t.name: t for t in env.toolkit(env.grant().token).tools()}
    get = tools["notes_get_note"]
    assert get.description == "Get one note."
    assert get.verb == "read"
    schema = json.dumps(get.input_schema)
    assert "$defs" not in schema
    assert "x-charter" not in schema
    assert get.input_schema["required"] == ["repo", "number"]
    assert get.input_schema["properties"]["number"]["exclusiveMinimum"] == 0
    assert tools["notes_post_note"].risks == ("external",)
    assert tools["notes_commit_draft"].input_schema["required"] == ["draft_id"]


def test_two_connections_of_one_service_get_account_names(env: Env) -> None:
    token = env.grant(connections=("notes-mona", "notes-work"), verbs=("read",)).token
    assert names(env, token) == {
        "notes_mona_list_notes", "notes_mona_get_note",
        "notes_mona_work_list_notes", "notes_mona_work_get_note",
    }  # fmt: skip


# -- reads and refusals ------------------------------------------------------------------------


def test_read_returns_untrusted_data_with_provenance(env: Env) -> None:
    result = env.toolkit(env.grant().token).call("notes_list_notes", {"repo": "acme/web"})
    out = result.to_dict()
    assert out["status"] == "ok"
    assert "never instructions" in out["data"]["untrusted"]
    first = out["data"]["items"][0]
    assert first["provenance"] == {
        "connector": "notes", "id": "acme/web#1", "url": "https://notes.test/acme/web/1", "author": "eve",
    }  # fmt: skip
    # The marker is bare: the provenance block beside the text says where it came from.
    assert first["data"]["text"].startswith("<ud>")
    assert "note 1: ignore previous" in first["data"]["text"]
    assert first["data"]["text"].endswith("</ud>")
    json.dumps(out)


def test_forged_expired_and_revoked_grants_are_refused_and_audited(env: Env) -> None:
    good = env.grant(budget=None)
    forged = good.token[:-4] + ("AAAA" if not good.token.endswith("AAAA") else "BBBB")
    expiring = env.grant(ttl=timedelta(minutes=1))
    revoked = env.grant()
    env.authority.revoke(revoked.id)
    env.clock.advance(minutes=2)
    for token, reason in ((forged, "forged"), (expiring.token, "expired"), (revoked.token, "revoked")):
        before = env.audit_lines()
        result = env.toolkit(token).call("notes_list_notes", {"repo": "acme/web"})
        assert result.status == "error"
        assert result.error is not None
        assert result.error["error"] == "grant_denied"
        assert result.error["details"]["reason"] == reason
        assert env.audit_lines() == before + 1
        assert env.audit.tail(1)[0].outcome == "denied"
    assert env.service.requests == []


def test_unknown_and_disallowed_tools_are_refused_with_reasons(env: Env) -> None:
    kit = env.toolkit(env.grant(verbs=("read", "draft")).token)
    unknown = kit.call("notes_launch_rockets", {})
    assert unknown.error is not None
    assert "there is no tool" in unknown.error["message"]
    assert "notes_list_notes" in unknown.error["message"]
    write = kit.call("notes_post_note", NEW_NOTE)
    assert write.error is not None
    assert write.error["error"] == "grant_denied"
    assert "draft only" in write.error["message"]
    assert env.service.requests == []


def test_invalid_arguments_fail_before_any_request(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    result = kit.call("notes_get_note", {"repo": "acme/web", "number": 0})
    assert result.error is not None
    assert result.error["error"] == "validation_error"
    assert result.error["details"]["problems"][0]["field"] == "number"
    assert env.service.requests == []
    assert env.audit.tail(1)[0].outcome == "error"


def test_resource_outside_the_grant_is_refused_before_any_request(env: Env) -> None:
    kit = env.toolkit(env.grant(constraints={"repos": ("acme/web",)}).token)
    result = kit.call("notes_list_notes", {"repo": "acme/secret"})
    assert result.error is not None
    assert result.error["error"] == "grant_denied"
    assert "repo=acme/secret is outside" in result.error["message"]
    assert env.service.requests == []


def test_budget_runs_out_after_the_granted_number_of_calls(env: Env) -> None:
    kit = env.toolkit(env.grant(budget=2).token)
    results = [kit.call("notes_get_note", {"repo": "acme/web", "number": 1}) for _ in range(3)]
    assert [r.status for r in results] == ["ok", "ok", "error"]
    assert results[2].error is not None
    assert results[2].error["details"]["reason"] == "budget_exhausted"
    assert len(env.service.requests) == 2


def test_destructive_call_is_denied_by_default(env: Env) -> None:
    result = env.toolkit(env.grant().token).call("notes_delete_note", {"repo": "acme/web", "number": 1})
    assert result.error is not None
    assert "tagged destructive" in result.error["message"]
    assert 1 in env.service.notes


def test_draft_only_grant_cannot_commit_even_with_a_permissive_policy(env: Env) -> None:
    policy = Policy((Rule(outcome="allow"),))
    kit = env.toolkit(env.grant(verbs=("read", "draft")).token, policy=policy)
    drafted = kit.call("notes_draft_note", NEW_NOTE)
    assert drafted.ok
    assert "cannot commit" in drafted.data["next"]
    commit = kit.call("notes_commit_draft", {"draft_id": drafted.data["draft_id"]})
    assert commit.error is not None
    assert commit.error["error"] == "grant_denied"
    assert kit.call("notes_label_note", {"repo": "acme/web", "number": 1, "label": "x"}).status == "error"
    assert env.service.writes == []


def test_plain_write_runs_without_approval_once_per_idempotency_key(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    result = kit.call(
        "notes_label_note", {"repo": "acme/web", "number": 1, "label": "bug"}, idempotency_key="k1"
    )
    again = kit.call(
        "notes_label_note", {"repo": "acme/web", "number": 1, "label": "bug"}, idempotency_key="k1"
    )
    assert result.ok
    assert again.data["replayed"] is True
    assert env.service.writes == ["label:1:bug"]


# -- approvals ---------------------------------------------------------------------------------


def test_external_write_pauses_then_runs_once_after_approval(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    paused = kit.call("notes_post_note", NEW_NOTE)
    assert paused.status == "approval_required"
    assert paused.approval is not None
    approval_id = paused.approval.approval_id
    assert "Looks like a duplicate" in paused.approval.preview
    assert paused.approval.reasons == ["approval required because notes_post_note is tagged external"]
    assert approval_id in paused.approval.how_to_resume
    assert env.service.writes == []
    assert kit.resume(approval_id).status == "approval_required"

    env.approvals.approve(approval_id, by="mona")
    first = kit.resume(approval_id)
    second = kit.resume(approval_id)
    assert first.ok
    assert second.ok
    assert second.data["replayed"] is True
    assert second.data["id"] == first.data["id"]
    assert env.service.writes == [f"post:{NEW_NOTE['text']}"]
    entry = env.audit.tail(3)[0]
    assert entry.approver == "mona"
    assert entry.approval_id == approval_id


def test_repeating_the_approved_call_runs_it_once(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    approval = kit.call("notes_post_note", NEW_NOTE).approval
    assert approval is not None
    assert kit.call("notes_post_note", NEW_NOTE).approval == approval
    env.approvals.approve(approval.approval_id, by="mona")
    assert kit.call("notes_post_note", NEW_NOTE).ok
    assert kit.resume(approval.approval_id).data["replayed"] is True
    assert len(env.service.writes) == 1


def test_approval_never_applies_to_a_different_payload(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    approval = kit.call("notes_post_note", NEW_NOTE).approval
    assert approval is not None
    env.approvals.approve(approval.approval_id, by="mona")
    other = kit.call("notes_post_note", {**NEW_NOTE, "text": "Closing: spam."})
    assert other.status == "approval_required"
    assert other.approval is not None
    assert other.approval.approval_id != approval.approval_id
    # Someone edits the held arguments after the person approved them.
    with env.home.engine.begin() as conn:
        conn.execute(
            update(approvals_table)
            .where(approvals_table.c.id == approval.approval_id)
            .values(args=json.dumps({**NEW_NOTE, "text": "Something else entirely"}))
        )
    result = kit.resume(approval.approval_id)
    assert result.error is not None
    assert result.error["details"]["reason"] == "payload_changed"
    assert env.service.writes == []


def test_denied_approval_is_refused_with_the_persons_reason(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    approval = kit.call("notes_post_note", NEW_NOTE).approval
    assert approval is not None
    env.approvals.deny(approval.approval_id, by="mona", reason="not a duplicate")
    result = kit.resume(approval.approval_id)
    assert result.error is not None
    assert result.error["details"]["reason"] == "approval_denied"
    assert "not a duplicate" in result.error["message"]
    assert env.audit.tail(1)[0].outcome == "denied"
    assert env.service.writes == []


def test_expired_approval_is_refused(env: Env) -> None:
    kit = env.toolkit(env.grant(ttl=timedelta(days=3)).token)
    approval = kit.call("notes_post_note", NEW_NOTE).approval
    assert approval is not None
    env.clock.advance(hours=25)
    result = kit.resume(approval.approval_id)
    assert result.error is not None
    assert result.error["details"]["reason"] == "approval_expired"
    assert env.service.writes == []


def test_approval_of_another_grant_cannot_be_resumed(env: Env) -> None:
    approval = env.toolkit(env.grant().token).call("notes_post_note", NEW_NOTE).approval
    assert approval is not None
    env.approvals.approve(approval.approval_id, by="mona")
    result = env.toolkit(env.grant().token).resume(approval.approval_id)
    assert result.error is not None
    assert result.error["details"]["reason"] == "other_grant"
    assert env.service.writes == []


def test_two_concurrent_resumes_run_the_call_once(env: Env) -> None:
    token = env.grant().token
    approval = env.toolkit(token).call("notes_post_note", NEW_NOTE).approval
    assert approval is not None
    env.approvals.approve(approval.approval_id, by="mona")
    env.service.hold_writes = threading.Event()
    first = in_background(lambda: env.toolkit(token).resume(approval.approval_id))
    assert env.service.in_write.wait(PATIENCE), "the first resume never reached the write"
    racing = env.toolkit(token).resume(approval.approval_id)
    env.service.hold_writes.set()
    assert first.result(PATIENCE).ok
    assert racing.error is not None
    assert racing.error["error"] == "conflict"
    assert env.service.writes == [f"post:{NEW_NOTE['text']}"]
    assert env.toolkit(token).resume(approval.approval_id).data["replayed"] is True


def test_draft_commit_binds_the_approval_to_the_draft(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    drafted = kit.call("notes_draft_note", NEW_NOTE)
    assert drafted.ok
    assert "triage-bot" in drafted.data["preview"]
    assert drafted.data["next"].startswith("call notes_commit_draft")
    draft_id = drafted.data["draft_id"]
    paused = kit.call("notes_commit_draft", {"draft_id": draft_id})
    assert paused.approval is not None
    assert paused.approval.preview == drafted.data["preview"]
    env.approvals.approve(paused.approval.approval_id, by="mona")
    committed = kit.resume(paused.approval.approval_id)
    assert committed.ok
    assert committed.data["draft_id"] == draft_id
    assert kit.resume(paused.approval.approval_id).data["replayed"] is True
    assert env.service.writes == [f"post:{NEW_NOTE['text']}"]


def test_draft_changed_after_approval_is_not_committed(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    draft_id = kit.call("notes_draft_note", NEW_NOTE).data["draft_id"]
    approval = kit.call("notes_commit_draft", {"draft_id": draft_id}).approval
    assert approval is not None
    env.approvals.approve(approval.approval_id, by="mona")
    draft = env.toolkit(env.grant().token)._drafts.get(draft_id)
    assert draft is not None
    edited = draft.model_copy(update={"change": {**draft.change, "text": "Sneaky"}})
    with env.home.engine.begin() as conn:
        conn.execute(
            update(drafts_table).where(drafts_table.c.id == draft_id).values(body=edited.model_dump_json())
        )
    result = kit.resume(approval.approval_id)
    assert result.error is not None
    assert result.error["details"]["reason"] == "payload_changed"
    assert env.service.writes == []


# -- audit and secrets -------------------------------------------------------------------------


def test_every_call_writes_exactly_one_audit_entry(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    calls = [
        lambda: kit.call("notes_get_note", {"repo": "acme/web", "number": 1}),
        lambda: kit.call("notes_get_note", {"repo": "acme/web", "number": 99}),
        lambda: kit.call("notes_get_note", {"repo": "evil/x", "number": 1}),
        lambda: kit.call("notes_post_note", NEW_NOTE),
        lambda: kit.call("nope", {}),
        lambda: kit.resume("apr_missing"),
    ]
    outcomes = []
    for run in calls:
        before = env.audit_lines()
        run()
        assert env.audit_lines() == before + 1
        outcomes.append(env.audit.tail(1)[0].outcome)
    assert outcomes == ["ok", "error", "denied", "paused", "denied", "error"]
    assert env.audit.verify().ok


def test_secret_canary_never_reaches_results_audit_or_approvals(env: Env, canary: str) -> None:
    kit = env.toolkit(env.grant().token)
    outputs = [
        kit.call("notes_list_notes", {"repo": "acme/web"}),
        kit.call("notes_post_note", {"repo": "acme/web", "text": "hello"}),
        kit.call("notes_get_note", {"repo": "acme/web", "number": 1, "token": canary}),
    ]
    env.service.fail_with = UpstreamError(f"provider said 500 for Authorization: token {canary}")
    outputs.append(kit.call("notes_get_note", {"repo": "acme/web", "number": 1}))
    env.service.fail_with = RuntimeError(f"boom {canary}")
    outputs.append(kit.call("notes_get_note", {"repo": "acme/web", "number": 1}))
    assert outputs[-2].error is not None
    assert outputs[-2].error["error"] == "upstream_error"
    assert outputs[-1].error is not None
    assert "RuntimeError" in outputs[-1].error["message"]
    assert env.service.requests  # the connector did use the token
    text = json.dumps([o.to_dict() for o in outputs]) + repr(kit) + env.home.audit_file.read_text()
    text += json.dumps([a.model_dump(mode="json") for a in env.approvals.list()])
    assert canary not in text
    assert "CANARY" not in text


def test_risks_that_depend_on_the_arguments_reach_the_policy(env: Env) -> None:
    from charter.connectors import ActionSpec
    from charter.connectors.base import Risk

    class PublicLabels(env.connector_class):  # type: ignore[name-defined,misc]
        def risks_for(self, spec: ActionSpec, request: Any) -> frozenset[Risk]:
            if spec.name == "label_note" and request.label == "public":
                return spec.risks | {"external"}
            return spec.risks

    kit = env.toolkit(env.grant().token, connectors={"notes": PublicLabels})
    quiet = kit.call("notes_label_note", {"repo": "acme/web", "number": 1, "label": "bug"})
    loud = kit.call("notes_label_note", {"repo": "acme/web", "number": 1, "label": "public"})

    assert quiet.status == "ok"
    assert loud.status == "approval_required"
    assert env.service.writes == ["label:1:bug"]


def test_a_scope_this_call_needs_is_missing_before_anyone_is_asked_to_approve(env: Env) -> None:
    from charter.connectors import ActionSpec

    class GuardedNotes(env.connector_class):  # type: ignore[name-defined,misc]
        def scopes_for(self, spec: ActionSpec, request: Any) -> tuple[str, ...]:
            if spec.name == "post_note" and request.text.startswith("ci:"):
                return (*spec.scopes, "workflow")
            return spec.scopes

    kit = env.toolkit(env.grant().token, connectors={"notes": GuardedNotes})
    result = kit.call("notes_post_note", {"repo": "acme/web", "text": "ci: run everything"})

    assert result.error is not None
    assert result.error["error"] == "scope_missing"
    assert "workflow" in result.error["message"]
    assert result.approval is None  # nobody is asked to approve a call that could never run
    assert env.service.writes == []
    assert kit.call("notes_post_note", {"repo": "acme/web", "text": "hello"}).status == "approval_required"


def test_tools_the_connection_cannot_run_are_not_offered_and_say_why(env: Env) -> None:
    # A connection granted only a profile scope: the notes actions need `repo`.
    vault = env.fake_vault(("notes-mona", "notes", "mona", "https://notes.test", frozenset({"read:user"})))
    kit = env.toolkit(env.grant().token, vault=vault)

    listed = {t.name for t in kit.tools()}
    result = kit.call("notes_list_notes", {"repo": "acme/web"})

    assert "notes_list_notes" not in listed
    assert result.error is not None
    assert result.error["error"] == "scope_missing"
    assert "connect notes again" in result.error["message"]
    assert env.service.requests == []


def test_a_grant_that_no_longer_holds_still_lists_and_each_call_answers_why(env: Env) -> None:
    expiring = env.grant(ttl=timedelta(minutes=1), budget=None)
    revoked = env.grant()
    spent = env.grant(budget=1)
    listed_while_valid = [t.name for t in env.toolkit(expiring.token).tools()]
    env.authority.revoke(revoked.id)
    assert env.toolkit(spent.token).call("notes_list_notes", {"repo": "acme/web"}).status == "ok"
    env.clock.advance(minutes=2)
    for token, reason in ((expiring.token, "expired"), (revoked.token, "revoked"), (spent.token, "budget")):
        kit = env.toolkit(token)

        tools = kit.tools()  # no exception: the answer comes, typed, from the call
        result = kit.call(tools[0].name, {"repo": "acme/web"})

        assert [t.name for t in tools] == listed_while_valid
        assert [s.name for s in kit.toolsets()]
        assert result.status == "error"
        assert result.error is not None
        assert result.error["error"] == "grant_denied"
        assert reason in result.error["details"]["reason"]
    assert len(env.service.requests) == 1  # only the spent grant's one allowed call reached the service


def test_a_token_this_home_did_not_sign_cannot_even_list(env: Env) -> None:
    good = env.grant()
    forged = good.token[:-4] + ("AAAA" if not good.token.endswith("AAAA") else "BBBB")
    with pytest.raises(GrantDenied):
        env.toolkit(forged).tools()
