"""The Toolkit pipeline (`charter.agents.toolkit`), pinned where mutation testing found it loose.

Each test names the promise it holds, through the Toolkit's calls, results, audit entries,
approvals and the database's rows: a Toolkit judges everything on the clock it is given, what
each call's one audit entry says whatever happened, what a person is shown and asked, budgets and
batches counted once per call that runs, and writes sent exactly once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel
from soft_passkey import SoftPasskey
from sqlalchemy import select
from test_notifiers import Receiver, configure, receiver  # noqa: F401 (the fixture)
from test_passkey_proof import _forge, _genuine, _paused, setup  # noqa: F401 (the fixture)
from waiting import PATIENCE, in_background

from charter.agents import Toolkit, replay_records
from charter.agents.replay_records import ReplayRecords
from charter.agents.tools import ToolResult
from charter.agents.toolsets import LOAD_TOOLSET
from charter.auth.audit import digest
from charter.auth.consent import TokenSet
from charter.auth.policy import Policy, Rule
from charter.auth.vault import Vault
from charter.connectors.base import WriteContext, action, resource_field
from charter.schemas import Change, NotFound, Provenance, Resource, WriteResult, payload_hash, utcnow

if TYPE_CHECKING:
    from conftest import Env

NOTE = {"repo": "acme/web", "text": "Looks like a duplicate of #2."}
LABEL = {"repo": "acme/web", "number": 1, "label": "bug"}


class Issue(Resource):
    title: str
    state: str


class GetIssue(BaseModel):
    repo: str
    number: int


def _last(env: Env) -> Any:
    return env.audit.tail(1)[0]


def _label(kit: Toolkit, n: int) -> ToolResult:
    return kit.call("notes_label_note", {"repo": "acme/web", "number": 1, "label": f"l{n}"})


# -- a Toolkit built from a home judges everything on its clock ---------------------------------


def test_a_toolkit_given_a_home_and_a_clock_judges_grants_approvals_and_audit_on_that_clock(
    env: Env,
) -> None:
    policy = Policy(approval_ttl=timedelta(minutes=30))
    grant = env.grant(ttl=timedelta(hours=2))
    # No log, authority or approval store of its own: the Toolkit makes them from the home.
    kit = Toolkit(
        grant.token, home=env.home, vault=env.vault, policy=policy,
        connectors={"notes": env.connector_class}, clock=env.clock,
    )  # fmt: skip
    assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    assert _last(env).at == env.clock.now
    paused = kit.call("notes_post_note", NOTE)
    assert paused.approval is not None
    assert paused.approval.expires_at == env.clock.now + timedelta(minutes=30)
    env.clock.advance(minutes=30)
    late = kit.resume(paused.approval.approval_id)
    assert late.error is not None
    assert late.error["details"]["reason"] == "approval_expired"
    env.clock.advance(hours=2)
    expired = kit.call("notes_get_note", {"repo": "acme/web", "number": 1})
    assert expired.error is not None
    assert expired.error["details"]["reason"] == "expired"
    assert env.service.writes == []


def test_the_write_rate_window_is_the_toolkits_clock(env: Env) -> None:
    env.policy = Policy.from_dict({"bulk": {"writes": 1, "minutes": 10}})
    kit = env.toolkit(env.grant().token)
    assert [_label(kit, n).status for n in range(2)] == ["ok", "approval_required"]
    env.clock.advance(minutes=10)
    assert _label(kit, 2).status == "ok"


def test_a_toolkit_given_a_home_uses_that_home_whatever_charter_home_says(
    env: Env, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTER_HOME", str(tmp_path / "nowhere"))
    assert env.toolkit(env.grant().token).call("notes_get_note", {"repo": "acme/web", "number": 1}).ok


def test_a_toolkit_without_a_vault_reads_the_homes_vault(env: Env) -> None:
    vault = Vault(env.home)
    tokens = TokenSet(access_token="gho_home", refresh_token=None, expires_at=time.time() + 3600,
                      scopes=frozenset({"repo"}))  # fmt: skip
    conn = vault.add_connection(
        service="notes", provider="github", account="mona", tokens=tokens, api_base="https://notes.test",
        oauth_base="https://notes.test", client_id="client",
    )  # fmt: skip
    grant = env.grant(connections=(conn.id,), verbs=("read",))
    kit = Toolkit(grant.token, home=env.home, authority=env.authority, audit=env.audit,
                  connectors={"notes": env.connector_class}, clock=env.clock)  # fmt: skip
    assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    assert env.service.requests == [("get", "gho_home")]


def test_the_repr_names_the_grant_once_verified_and_never_the_token(env: Env) -> None:
    grant = env.grant()
    kit = env.toolkit(grant.token)
    assert repr(kit) == "<Toolkit grant=unverified>"
    kit.tools()
    assert repr(kit) == f"<Toolkit grant={grant.id}>"
    assert kit.claims.id == grant.id


# -- what is listed --------------------------------------------------------------------------------


def test_tools_narrow_to_toolsets_load_on_demand_and_come_compact_when_asked(env: Env) -> None:
    from charter.agents.compact import compact_tool

    kit = env.toolkit(env.grant().token)
    assert {t.name for t in kit.tools(["notes.read"])} == {"notes_list_notes", "notes_get_note"}
    assert [t.name for t in kit.tools(on_demand=True)] == [LOAD_TOOLSET]
    assert kit.tools(compact=True) == [compact_tool(t) for t in kit.tools()]
    assert kit.tools(compact=True) != kit.tools()


def test_loading_toolsets_is_answered_and_audited_as_allowed_with_what_was_loaded(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    loaded = kit.call(LOAD_TOOLSET, {"toolsets": ["notes.write", "notes.read"]})
    assert loaded.ok
    assert loaded.tool == LOAD_TOOLSET
    assert loaded.data["loaded"] == ["notes.read", "notes.write"]
    assert env.audit_lines() == before + 1
    entry = _last(env)
    assert (entry.action, entry.decision, entry.outcome) == (LOAD_TOOLSET, "allow", "ok")
    assert entry.result_ref == "loaded notes.read, notes.write"
    assert {t.name for t in kit.tools(on_demand=True)} >= {"notes_post_note", "notes_get_note"}


# -- one audit entry per call, saying what happened -------------------------------------------------


def test_each_entry_names_the_agent_grant_and_what_came_of_the_call(env: Env) -> None:
    grant = env.grant()
    kit = env.toolkit(grant.token)
    kit.call("notes_get_note", {"repo": "acme/web", "number": 1})
    read = _last(env)
    assert (read.actor, read.subject, read.agent, read.grant_id) == ("agent", "mona", "triage-bot", grant.id)
    assert (read.action, read.decision, read.outcome) == ("notes_get_note", "allow", "ok")
    assert read.error_code is None
    assert read.result_ref == "notes:1"
    # The arguments are kept as their digest, never themselves, and a resume's as the held call's.
    assert read.args_digest == digest({"repo": "acme/web", "number": 1})
    kit.call("notes_list_notes", {"repo": "acme/web"})
    assert _last(env).result_ref == "3 items"
    missing = kit.call("notes_get_note", {"repo": "acme/web", "number": 99})
    assert missing.tool == "notes_get_note"
    assert (_last(env).outcome, _last(env).error_code, _last(env).result_ref) == (
        "error", "not_found", "error:not_found",
    )  # fmt: skip
    drafted = kit.call("notes_draft_note", NOTE)
    assert _last(env).result_ref == f"draft:{drafted.data['draft_id']}"
    kit.call("notes_label_note", LABEL)
    assert _last(env).result_ref == "label_note:1"


def test_a_paused_call_is_recorded_with_its_approval_and_reasons(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    paused = kit.call("notes_post_note", NOTE)
    assert paused.approval is not None
    entry = _last(env)
    assert (entry.decision, entry.outcome, entry.approval_id) == (
        "approval_required", "paused", paused.approval.approval_id,
    )  # fmt: skip
    assert entry.reasons == ("approval required because notes_post_note is tagged external",)
    # Resuming while the person has not decided answers the same pause, recorded the same way.
    again = kit.resume(paused.approval.approval_id)
    assert again.status == "approval_required"
    assert again.tool == "notes_post_note"
    resumed = _last(env)
    assert (resumed.action, resumed.outcome) == ("notes_post_note", "paused")
    assert resumed.decision == "approval_required"
    assert resumed.reasons == entry.reasons
    assert resumed.approval_id == paused.approval.approval_id


def test_an_approved_call_that_runs_and_its_repeat_are_recorded_with_the_approver(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    paused = kit.call("notes_post_note", NOTE)
    assert paused.approval is not None
    env.approvals.approve(paused.approval.approval_id, by="mona")
    first = kit.resume(paused.approval.approval_id)
    ran = _last(env)
    assert (ran.outcome, ran.approver, ran.approval_id) == ("ok", "mona", paused.approval.approval_id)
    assert (ran.action, ran.args_digest) == ("notes_post_note", digest(NOTE))
    assert ran.result_ref == f"post_note:{first.data['id']}"
    kit.resume(paused.approval.approval_id)
    assert _last(env).result_ref == f"post_note:{first.data['id']} (replayed)"


def test_a_policy_denial_says_nothing_was_sent_and_keeps_the_decisions_reasons(env: Env) -> None:
    # A condition on the Toolkit's own connectors' fields is checked against them, and applies.
    policy = Policy.from_yaml(
        "rules:\n  - {outcome: deny, actions: [notes_post_note], when: 'text contains \"spam\"',"
        " reason: no spam}\n"
    )
    kit = env.toolkit(env.grant().token, policy=policy)
    result = kit.call("notes_post_note", {"repo": "acme/web", "text": "buy spam"})
    assert result.error is not None
    assert result.error["message"].endswith("no spam. Nothing was sent.")
    assert result.error["details"]["reason"] == "not_allowed"
    reasons = result.error["details"]["reasons"]
    assert any("no spam" in r for r in reasons)
    entry = _last(env)
    assert (entry.decision, entry.outcome, entry.error_code) == ("deny", "denied", "grant_denied")
    assert list(entry.reasons) == reasons
    assert env.service.writes == []


def test_a_refused_grant_is_recorded_under_its_agent_and_a_forged_one_under_nobody(env: Env) -> None:
    expiring = env.grant(ttl=timedelta(minutes=1))
    env.clock.advance(minutes=2)
    env.toolkit(expiring.token).call("notes_get_note", {"repo": "acme/web", "number": 1})
    entry = _last(env)
    assert (entry.subject, entry.agent, entry.grant_id) == ("mona", "triage-bot", expiring.id)
    assert (entry.decision, entry.outcome) == ("deny", "denied")
    good = env.grant().token
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    env.toolkit(forged).call("notes_get_note", {"repo": "acme/web", "number": 1})
    entry = _last(env)
    assert (entry.subject, entry.agent, entry.grant_id, entry.outcome) == ("unknown", None, None, "denied")


def test_a_resume_that_fails_before_finding_its_call_is_recorded_as_a_resume(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    result = kit.resume("apr_missing")
    assert result.error is not None
    assert result.error["error"] == "not_found"
    entry = _last(env)
    assert (entry.action, entry.approval_id, entry.outcome, entry.agent) == (
        "resume", "apr_missing", "error", "triage-bot",
    )  # fmt: skip


def test_an_unexpected_failure_names_the_call_and_the_exception_type_only(env: Env) -> None:
    env.service.fail_with = KeyError("gho_leaked_in_a_bug")
    kit = env.toolkit(env.grant().token)
    result = kit.call("notes_get_note", {"repo": "acme/web", "number": 1})
    assert result.error is not None
    assert result.error["message"] == (
        "notes_get_note failed unexpectedly inside Charter or the connector (KeyError); "
        "report it if it repeats."
    )
    assert (result.error["error"], result.error["details"]["reason"]) == ("upstream_error", "unexpected")
    assert (_last(env).error_code, _last(env).result_ref) == ("upstream_error", "error:upstream_error")


def test_the_entry_times_the_call_in_milliseconds(env: Env) -> None:
    spent: list[float] = []

    class Timed(env.connector_class):  # type: ignore[name-defined,misc]
        def _hit(self, what: str) -> None:
            started = time.perf_counter()
            while time.perf_counter() - started < 0.005:  # busy: a call that takes at least 5 ms
                pass
            spent.append(time.perf_counter() - started)

    kit = env.toolkit(env.grant().token, connectors={"notes": Timed})
    started = time.perf_counter()
    assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    outside = (time.perf_counter() - started) * 1000
    assert spent[0] * 1000 <= _last(env).duration_ms <= outside


def test_each_call_that_reached_policy_leaves_one_replay_record_on_its_entry(env: Env) -> None:
    env.clock.now = utcnow()  # records are kept for days from now, and purged by the real clock
    kit = env.toolkit(env.grant().token)
    kit.call("notes_get_note", {"repo": "acme/web", "number": 1})
    read = _last(env).seq
    kit.call("notes_get_note", {"repo": "acme/web", "number": 0})  # invalid: ends before policy
    invalid = _last(env).seq
    kit.call("notes_label_note", LABEL)
    write = _last(env).seq
    records = ReplayRecords(env.home, env.audit.chain).get([read, invalid, write], now=env.clock.now)
    assert sorted(records) == [read, write]
    assert (records[read].tool, records[read].verb, records[read].account) == ("notes_get_note", "read", None)
    assert records[read].request == {"repo": "acme/web", "number": 1}
    assert records[read].at == env.clock.now
    assert (records[write].tool, records[write].account) == ("notes_label_note", "mona")


# -- what the person is shown and asked -------------------------------------------------------------


def test_the_approval_holds_the_call_exactly_as_it_will_be_sent(env: Env) -> None:
    kit = env.toolkit(env.grant(connections=("notes-mona", "mail-mona")).token)
    paused = kit.call("mail_send_mail", {"to": ["ann@example.com"], "subject": "Hi"})
    assert paused.approval is not None
    held = env.approvals.get(paused.approval.approval_id)
    sent = {"to": ["ann@example.com"], "cc": [], "bcc": "", "subject": "Hi", "body": ""}
    assert held.args == sent
    assert held.payload_hash == payload_hash("mail_send_mail", sent)
    assert held.tool == "mail_send_mail"
    assert (held.agent, held.subject) == ("triage-bot", "mona")
    assert paused.approval.preview == (
        "mail_send_mail — Send a message.\nwith arguments:\n" + json.dumps(sent, indent=2, sort_keys=True)
    )


def test_a_commit_is_decided_as_the_write_it_commits(env: Env) -> None:
    env.policy = Policy((Rule(outcome="allow", actions=("notes_post_note",)),))
    kit = env.toolkit(env.grant().token)
    draft_id = kit.call("notes_draft_note", NOTE).data["draft_id"]
    committed = kit.call("notes_commit_draft", {"draft_id": draft_id})
    assert committed.ok, committed.error
    assert env.service.writes == [f"post:{NOTE['text']}"]
    # Committing the same draft again replays its one write, under the draft's own key.
    again = kit.call("notes_commit_draft", {"draft_id": draft_id})
    assert again.data["replayed"] is True
    assert len(env.service.writes) == 1


def test_a_paused_commit_holds_the_draft_id_not_its_content(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    draft_id = kit.call("notes_draft_note", NOTE).data["draft_id"]
    paused = kit.call("notes_commit_draft", {"draft_id": draft_id})
    assert paused.approval is not None
    assert env.approvals.get(paused.approval.approval_id).args == {"draft_id": draft_id}


def test_the_object_a_write_changes_is_named_in_its_preview(env: Env) -> None:
    class Tracker(env.connector_class):  # type: ignore[name-defined,misc]
        @action("read", scopes=("repo",))
        def get_issue(self, request: GetIssue) -> Issue:
            """Get one issue."""
            prov = Provenance(connector="notes", id=str(request.number), url="https://notes.test/i")
            return Issue(id=str(request.number), provenance=prov, title="Crash on start", state="open")

    policy = Policy((Rule(outcome="approval_required", actions=("notes_label_note",)),))
    kit = env.toolkit(env.grant().token, connectors={"notes": Tracker}, policy=policy)
    paused = kit.call("notes_label_note", LABEL)
    assert paused.approval is not None
    assert paused.approval.preview.endswith(
        "\n\nThe issue this changes:\n  title: Crash on start\n  state: open"
    )
    plain = env.toolkit(env.grant().token, policy=policy).call("notes_label_note", {**LABEL, "label": "x"})
    assert plain.approval is not None
    assert plain.approval.preview.endswith('"repo": "acme/web"\n}')


def test_a_new_pause_tells_the_person_once(
    env: Env,
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(env.home.path, receiver, monkeypatch)
    kit = env.toolkit(env.grant().token)
    paused = kit.call("notes_post_note", NOTE)
    assert paused.approval is not None
    # Told before the call returns: the webhook answered before the agent hears of the pause.
    assert receiver.verified.get_nowait()["approval_id"] == paused.approval.approval_id
    kit.call("notes_post_note", NOTE)
    assert receiver.verified.empty()


# -- budgets, batches and exactly-once writes ------------------------------------------------------


def test_a_bulk_pause_is_recorded_and_approving_it_opens_its_batch(env: Env) -> None:
    env.policy = Policy.from_dict({"bulk": {"writes": 1, "batch": 3}})
    kit = env.toolkit(env.grant().token)
    assert _label(kit, 0).status == "ok"
    paused = _label(kit, 1)
    assert paused.approval is not None
    entry = _last(env)
    assert (entry.decision, entry.outcome, entry.approval_id) == (
        "approval_required", "paused", paused.approval.approval_id,
    )  # fmt: skip
    # What the run did so far is spelled with sorted keys, as the person reads it.
    so_far = 'notes_label_note {"label": "l0", "number": 1, "repo": "acme/web"}'
    assert entry.reasons[0].endswith(f"; so far: {so_far}")
    assert list(entry.reasons) == paused.approval.reasons
    env.approvals.approve(paused.approval.approval_id, by="mona")
    assert kit.resume(paused.approval.approval_id).ok
    assert [_label(kit, n).status for n in (2, 3, 4)] == ["ok", "ok", "approval_required"]


def test_every_call_that_runs_counts_against_the_budget_once_approved_ones_too(env: Env) -> None:
    kit = env.toolkit(env.grant(budget=3).token)
    paused = kit.call("notes_post_note", NOTE)  # a pause is not a call that ran
    assert paused.approval is not None
    env.approvals.approve(paused.approval.approval_id, by="mona")
    assert kit.resume(paused.approval.approval_id).ok
    assert kit.resume(paused.approval.approval_id).ok  # its repeat replays, uncounted
    assert kit.call("notes_label_note", LABEL).ok
    assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    spent = kit.call("notes_get_note", {"repo": "acme/web", "number": 1})
    assert spent.error is not None
    assert spent.error["details"]["reason"] == "budget_exhausted"


def test_writes_without_a_key_each_run_and_a_key_never_crosses_grants(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    for label in ("a", "b"):
        assert kit.call("notes_label_note", {**LABEL, "label": label}).data["replayed"] is False
    assert env.service.writes == ["label:1:a", "label:1:b"]
    other = env.toolkit(env.grant().token)
    for k in (kit, other):
        assert k.call("notes_label_note", {**LABEL, "label": "k"}, idempotency_key="same").ok
    assert env.service.writes.count("label:1:k") == 2


def test_writes_are_sent_with_the_agents_attribution(env: Env) -> None:
    seen: list[Any] = []

    class Attributed(env.connector_class):  # type: ignore[name-defined,misc]
        def label_note(self, change: Any, ctx: WriteContext) -> WriteResult:
            seen.append(ctx.attribution)
            return super().label_note(change, ctx)  # type: ignore[no-any-return]

    grant = env.grant()
    assert env.toolkit(grant.token, connectors={"notes": Attributed}).call("notes_label_note", LABEL).ok
    assert [(a.agent, a.grant_id) for a in seen] == [("triage-bot", grant.id)]


def test_a_racing_resume_is_told_to_call_again_for_the_result(env: Env) -> None:
    token = env.grant().token
    paused = env.toolkit(token).call("notes_post_note", NOTE)
    assert paused.approval is not None
    approval_id = paused.approval.approval_id
    env.approvals.approve(approval_id, by="mona")
    env.service.hold_writes = threading.Event()
    first = in_background(lambda: env.toolkit(token).resume(approval_id))
    assert env.service.in_write.wait(PATIENCE)
    racing = env.toolkit(token).resume(approval_id)
    env.service.hold_writes.set()
    assert first.result(PATIENCE).ok
    assert racing.error is not None
    assert racing.error["message"] == (
        f"approval {approval_id} has already been used, or its call is running right now; it runs "
        "only once. Call resume again in a moment to get the result of a write."
    )
    assert racing.error["details"]["approval_id"] == approval_id


def test_the_approval_of_another_grant_is_refused_by_name(env: Env) -> None:
    paused = env.toolkit(env.grant().token).call("notes_post_note", NOTE)
    assert paused.approval is not None
    result = env.toolkit(env.grant().token).resume(paused.approval.approval_id)
    assert result.error is not None
    assert result.error["message"] == (
        f"approval {paused.approval.approval_id} belongs to another grant; "
        "only that grant's agent can resume it"
    )
    assert result.error["details"]["reason"] == "other_grant"


def test_approving_a_call_that_paused_for_its_risk_never_opens_a_batch(env: Env) -> None:
    class PublicLabels(env.connector_class):  # type: ignore[name-defined,misc]
        def risks_for(self, spec: Any, request: Any) -> Any:
            return spec.risks | {"external"} if getattr(request, "label", "") == "public" else spec.risks

    env.policy = Policy.from_dict({"bulk": {"writes": 1, "batch": 10}})
    kit = env.toolkit(env.grant().token, connectors={"notes": PublicLabels})
    paused = kit.call("notes_label_note", {**LABEL, "label": "public"})
    assert paused.approval is not None
    env.approvals.approve(paused.approval.approval_id, by="mona")
    assert kit.resume(paused.approval.approval_id).ok
    assert [_label(kit, n).status for n in range(2)] == ["ok", "approval_required"]


# -- what reads are, and what they leave behind ------------------------------------------------------

QUOTED = "the quarterly numbers are final please send them to the whole board before friday noon"


def test_a_read_is_marked_as_its_services_data_and_a_write_quoting_it_elsewhere_pauses(env: Env) -> None:
    from charter.agents.tools import UNTRUSTED_NOTICE

    env.service.notes[1] = env.service.notes[1].model_copy(update={"text": QUOTED})
    kit = env.toolkit(env.grant().token)
    read = kit.call("notes_get_note", {"repo": "acme/web", "number": 1})
    assert read.data["untrusted"] == UNTRUSTED_NOTICE.format(service="notes")
    elsewhere = {"repo": "acme/api", "number": 1, "label": QUOTED}
    assert kit.call("notes_label_note", elsewhere).status == "approval_required"
    # Another grant's session never read it: the same write runs there.
    assert env.toolkit(env.grant().token).call("notes_label_note", elsewhere).ok


def test_what_a_grant_read_is_remembered_by_its_next_toolkit(env: Env) -> None:
    env.service.notes[1] = env.service.notes[1].model_copy(update={"text": QUOTED})
    token = env.grant().token
    assert env.toolkit(token).call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    # A new Toolkit of the same grant (a restart, another worker) reads the taint from the home.
    elsewhere = {"repo": "acme/api", "number": 1, "label": QUOTED}
    assert env.toolkit(token).call("notes_label_note", elsewhere).status == "approval_required"


def test_a_call_that_ends_before_policy_warns_of_nothing(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    kit = env.toolkit(env.grant().token)
    with caplog.at_level(logging.WARNING, logger="charter"):
        assert kit.call("notes_get_note", {"repo": "acme/web", "number": 0}).status == "error"
        assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    # It has no replay record to keep, so none is tried (and none fails beside its entry).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


class NoteFacts(BaseModel):
    text: str


def _facts_kit(env: Env, rule: str, unreadable: bool = False) -> tuple[Toolkit, list[str]]:
    asked: list[str] = []

    class WithFacts(env.connector_class):  # type: ignore[name-defined,misc]
        policy_facts = {"label_note": {"note": NoteFacts}}

        def facts_for(self, spec: Any, request: Any) -> dict[str, BaseModel]:
            asked.append(spec.name)
            if unreadable:
                raise NotFound("the note is gone")
            return {"note": NoteFacts(text=self.service.notes[request.number].text)}

    policy = Policy.from_yaml(f"rules:\n  - {rule}\n") if rule else Policy()
    return env.toolkit(env.grant().token, connectors={"notes": WithFacts}, policy=policy), asked


ASK_ON_SECRET = (
    "{outcome: approval_required, actions: [notes_label_note], when: 'note.text contains \"secret\"'}"
)


def test_a_rule_reads_the_facts_of_the_resource_only_when_it_names_them(env: Env) -> None:
    kit, asked = _facts_kit(env, ASK_ON_SECRET)
    assert kit.call("notes_label_note", LABEL).ok  # note 1 says nothing secret
    assert asked == ["label_note"]
    env.service.notes[1] = env.service.notes[1].model_copy(update={"text": "a secret plan"})
    assert kit.call("notes_label_note", {**LABEL, "label": "x"}).status == "approval_required"
    quiet, asked_quietly = _facts_kit(env, "")
    assert quiet.call("notes_label_note", LABEL).ok
    assert asked_quietly == []


def test_facts_that_cannot_be_read_count_against_the_call(env: Env) -> None:
    kit, asked = _facts_kit(env, ASK_ON_SECRET, unreadable=True)
    result = kit.call("notes_label_note", LABEL)
    assert asked == ["label_note"]
    assert result.status == "approval_required"


def test_a_passkey_approval_runs_with_the_answer_kept_beside_it(
    setup: tuple[Env, Toolkit, SoftPasskey],  # noqa: F811
) -> None:
    env, kit, passkey = setup
    paused = _paused(kit, 1)
    _forge(env, passkey, paused.approval_id, _genuine(env, passkey, paused.approval_id))
    assert kit.resume(paused.approval_id).ok
    assert env.service.writes[-1] == "label:1:l1"


def test_a_refused_resume_is_recorded_as_denied_without_repeating_the_persons_words(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    paused = kit.call("notes_post_note", NOTE)
    assert paused.approval is not None
    env.approvals.deny(paused.approval.approval_id, by="mona", reason="not now")
    kit.resume(paused.approval.approval_id)
    entry = _last(env)
    assert (entry.decision, entry.outcome, entry.error_code) == ("deny", "denied", "grant_denied")
    # The person's reason is kept once, in their decision's own entry.
    assert entry.reasons == ()


def test_a_resume_that_breaks_before_it_finds_its_call_says_the_call_failed(env: Env) -> None:
    from charter.agents.approvals import approvals_table

    kit = env.toolkit(env.grant().token)
    approvals_table.drop(env.home.engine)  # the store's table is gone: a fault, not an answer
    result = kit.resume("apr_anything")
    assert result.error is not None
    assert result.error["message"].startswith(
        "the call failed unexpectedly inside Charter or the connector ("
    )
    assert _last(env).action == "resume"


def test_a_bad_key_or_approval_id_is_named_with_what_to_pass_instead(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    bad_key = kit.call("notes_label_note", LABEL, idempotency_key="")
    assert bad_key.error is not None
    assert bad_key.error["message"].startswith("idempotency_key ")
    assert bad_key.error["message"].endswith(
        "; pass a short text that stays the same when the call is repeated."
    )
    bad_id = kit.resume("")
    assert bad_id.error is not None
    assert bad_id.error["message"].startswith("approval_id ")
    assert bad_id.error["message"].endswith(
        "; pass the approval_id of a call that returned approval_required."
    )
    assert env.service.writes == []


class ScheduleNote(Change):
    repo: str = resource_field("repos", "Repository as owner/name.")
    text: str
    at: datetime


def test_the_approval_of_a_write_carrying_a_time_holds_it_as_json_and_hashes_what_it_holds(env: Env) -> None:
    class Scheduling(env.connector_class):  # type: ignore[name-defined,misc]
        @action("write", scopes=("repo",), risks=("external",), reaches="public")
        def schedule_note(self, change: ScheduleNote, ctx: WriteContext) -> WriteResult:
            """Post a note later."""
            self.service.writes.append(f"schedule:{change.at.isoformat()}")
            return WriteResult(action="schedule_note", id="1", idempotency_key=ctx.idempotency_key)

    kit = env.toolkit(env.grant().token, connectors={"notes": Scheduling})
    paused = kit.call("notes_schedule_note", {"repo": "acme/web", "text": "hi", "at": "2026-01-05T10:00:00Z"})
    assert paused.approval is not None
    held = env.approvals.get(paused.approval.approval_id)
    assert held.args == {"repo": "acme/web", "text": "hi", "at": "2026-01-05T10:00:00Z"}
    assert held.payload_hash == payload_hash("notes_schedule_note", held.args)
    assert '"at": "2026-01-05T10:00:00Z"' in paused.approval.preview
    env.approvals.approve(held.id, by="mona")
    assert kit.resume(held.id).ok
    assert env.service.writes == ["schedule:2026-01-05T10:00:00+00:00"]


def test_a_draft_made_by_one_toolkit_is_committed_once_by_another(env: Env) -> None:
    env.policy = Policy((Rule(outcome="allow", actions=("notes_post_note",)),))
    token = env.grant().token
    draft_id = env.toolkit(token).call("notes_draft_note", NOTE).data["draft_id"]
    # A worker started later, with the home's database as all they share.
    assert env.toolkit(token).call("notes_commit_draft", {"draft_id": draft_id}).ok
    assert env.toolkit(token).call("notes_commit_draft", {"draft_id": draft_id}).data["replayed"] is True
    assert env.service.writes == [f"post:{NOTE['text']}"]


def test_whom_this_call_reaches_is_what_policy_weighs(env: Env) -> None:
    class TeamLabels(env.connector_class):  # type: ignore[name-defined,misc]
        def reach_for(self, spec: Any, request: Any) -> Any:
            return "domain" if getattr(request, "label", "") == "team" else spec.reach

    kit = env.toolkit(env.grant().token, connectors={"notes": TeamLabels})
    assert kit.call("notes_label_note", LABEL).ok
    paused = kit.call("notes_label_note", {**LABEL, "label": "team"})
    assert paused.approval is not None
    assert any("domain" in r for r in paused.approval.reasons), paused.approval.reasons


# -- what a refused or paused write leaves behind ---------------------------------------------------

SECRET = "ghp_Q2x9TmVyZXhhbXBsZXNlY3JldDEyMzQ1"


def _secret_in_halves(env: Env, policy: Policy) -> tuple[ToolResult, ToolResult]:
    """A read of a secret, its first part in a label and its second part in a note; both results."""
    env.service.notes[1] = env.service.notes[1].model_copy(update={"text": f"deploy key: {SECRET}"})
    kit = env.toolkit(env.grant().token, policy=policy)
    assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    # Each part carries under half of the secret's pieces; together they carry more than half.
    first = kit.call("notes_label_note", {**LABEL, "label": SECRET[:18]})
    return first, kit.call("notes_post_note", {"repo": "acme/web", "text": f"and {SECRET[18:]}"})


def test_a_denied_write_sent_nothing_so_none_of_it_counts_as_gone_out(env: Env) -> None:
    posting = Rule(outcome="allow", actions=("notes_post_note",))
    # The control: a label that runs sends its part, and the note completing the secret is held.
    sent, held = _secret_in_halves(env, Policy((posting,)))
    assert sent.ok
    assert held.status == "approval_required"
    assert held.approval is not None
    assert held.approval.reasons == [
        "approval required because the text completes, with earlier writes, a secret-shaped token "
        "read from notes note acme/web#1"
    ]
    # Denied by a condition on its arguments, so policy decides it with the call in hand.
    labels = Policy.from_yaml(
        "rules:\n  - {outcome: deny, actions: [notes_label_note], when: 'repo contains \"acme\"'}\n"
        "  - {outcome: allow, actions: [notes_post_note]}\n"
    )
    denied, posted = _secret_in_halves(env, labels)
    assert denied.error is not None
    assert denied.error["details"]["reason"] == "not_allowed"
    # The denied label never left, so the note carries under half of what was read: it runs.
    assert posted.ok, posted.approval


def test_a_recipient_outside_the_accounts_domain_is_named_with_the_tool_that_reaches_them(env: Env) -> None:
    kit = env.toolkit(env.grant(connections=("notes-mona", "mail-mona")).token)
    paused = kit.call("mail_send_mail", {"to": ["bob@acme.test", "ann@example.com"], "subject": "Hi"})
    assert paused.approval is not None
    assert paused.approval.reasons[1:] == [
        "approval required because mail_send_mail reaches ann@example.com, outside the account's own domain"
    ]


def test_expired_replay_records_are_purged_every_so_many_recorded_calls(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_records, "_PURGE_EVERY", 3)
    env.clock.now = utcnow()
    kit = env.toolkit(env.grant().token)
    read = {"repo": "acme/web", "number": 1}
    assert kit.call("notes_get_note", read).ok  # the home's records open, and purge, here: 1 counted
    stale = {"chain": env.audit.chain, "seq": 10**9, "expires_at": 0.0, "sealed": b"gone"}
    with env.home.engine.begin() as conn:
        conn.execute(replay_records.replay_table.insert().values(**stale))

    def kept() -> bool:
        with env.home.engine.connect() as conn:
            t = replay_records.replay_table
            return conn.execute(select(t.c.seq).where(t.c.seq == 10**9)).first() is not None

    # Calls that end before policy leave no record, and count for nothing.
    for _ in range(4):
        assert kit.call("notes_get_note", {"repo": "acme/web", "number": 0}).error is not None
    assert kit.call("notes_get_note", read).ok
    assert kept()
    assert kit.call("notes_get_note", read).ok  # the third record: the expired one goes
    assert not kept()


def test_a_draft_committed_on_approval_is_committed_under_its_own_key(env: Env) -> None:
    token = env.grant().token
    kit = env.toolkit(token)
    draft_id = kit.call("notes_draft_note", NOTE).data["draft_id"]
    paused = kit.call("notes_commit_draft", {"draft_id": draft_id})
    assert paused.approval is not None
    env.approvals.approve(paused.approval.approval_id, by="mona")
    assert kit.resume(paused.approval.approval_id).ok
    # Committed again later, where policy lets it run without asking: the one write is replayed.
    trusting = Policy((Rule(outcome="allow", actions=("notes_post_note",)),))
    again = env.toolkit(token, policy=trusting).call("notes_commit_draft", {"draft_id": draft_id})
    assert again.data["replayed"] is True
    assert env.service.writes == [f"post:{NOTE['text']}"]
