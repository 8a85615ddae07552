"""The agent runtime: a grant's actions as tools, and every call through grant, policy, approval, audit.

`Toolkit(grant_token).tools()` lists exactly what the grant allows, grouped into `toolsets()` an
agent can load on demand. `call(name, args)` runs: verify grant → input bounds (any name and any
value are answered, see `charter.agents.intake`) → find the tool → validate arguments → resource
constraints → policy → recipient rules and taint → (pause for approval) → budget → connector →
audit. A paused call returns `approval_required` with an id; after a person
approves, `resume(id)` runs it exactly once. Every call, whatever its outcome, writes exactly one
audit entry. Text a session reads is delimited as untrusted data and remembered as fingerprints.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from time import perf_counter, time
from typing import Any, cast

from pydantic import BaseModel

from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore, refusal
from charter.agents.catalog import Catalog, Entry, VaultLike, within_constraints
from charter.agents.compact import compact_tool
from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
from charter.agents.guards import SessionGuards
from charter.agents.intake import call_arguments, identifier, shown_name, tool_name
from charter.agents.notifiers import announce
from charter.agents.person import refuse_unverified
from charter.agents.preview import call_preview, draft_preview, visible
from charter.agents.rates import BulkGate
from charter.agents.replay_records import ReplayRecord, ReplayRecords, record_of
from charter.agents.taintstore import TaintStore
from charter.agents.targets import describe_target
from charter.agents.tools import (
    Tool,
    ToolResult,
    draft_data,
    paused,
    read_data,
    read_ref,
    write_data,
    write_ref,
)
from charter.agents.toolsets import LOAD_TOOLSET, Toolset, Toolsets, group
from charter.agents.untrusted import Quote
from charter.auth.audit import AuditLog, redact_data
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome, existing_home
from charter.auth.policy import Decision, Policy, combine, decide_all
from charter.auth.policy_check import type_check
from charter.connectors.base import (
    ActionSpec,
    Attribution,
    Connector,
    DraftStore,
    WriteLedger,
    constrained_fields,
    validate_request,
)
from charter.connectors.bulk import paused_gc
from charter.connectors.registry import declared_actions, get_connector
from charter.schemas import (
    ApprovalRequest,
    ApprovalStatus,
    CharterError,
    Conflict,
    GrantClaims,
    GrantDenied,
    Outcome,
    UpstreamError,
    payload_hash,
    utcnow,
)
from charter.schemas import Decision as DecisionOutcome

COMMIT_DRAFT = "commit_draft"
_RESUME_ID = "pass the approval_id of a call that returned approval_required"
_KEY = "pass a short text that stays the same when the call is repeated"


@dataclass
class _Trace:
    """What one call's audit entry will say; filled in as the call proceeds."""

    tool: str
    args: object
    started: float = field(default_factory=perf_counter)
    claims: GrantClaims | None = None
    decision: DecisionOutcome | None = None
    reasons: tuple[str, ...] = ()
    approval_id: str | None = None
    approver: str | None = None
    result_ref: str | None = None
    replay: ReplayRecord | None = None


@dataclass(frozen=True)
class _Work:
    """A call ready to run: the action, its validated request (or draft id) and its idempotency key."""

    entry: Entry
    spec: ActionSpec
    base: str
    request: BaseModel
    target: BaseModel | str
    key: str | None
    payload_hash: str
    # A commit's is its draft's; a direct call's is made only when a person is asked.
    draft_preview: str | None


class Toolkit:
    """The actions one grant allows, as tools an agent framework can call."""

    def __init__(
        self,
        grant_token: str,
        *,
        home: CharterHome | None = None,
        vault: VaultLike | None = None,
        authority: GrantAuthority | None = None,
        policy: Policy | None = None,
        audit: AuditLog | None = None,
        approvals: ApprovalStore | None = None,
        drafts: DraftStore | None = None,
        ledger: WriteLedger | None = None,
        connectors: Mapping[str, type[Connector]] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        # Never a new home: one made here could not know the grant, and would say so misleadingly.
        self.home = home or existing_home()
        self._token = grant_token
        self._audit = audit or AuditLog(self.home, clock=clock)
        self._authority = authority or GrantAuthority(self.home, clock=clock, audit=self._audit)
        self._policy = policy or Policy.for_home(self.home)
        if self._policy.conditional:
            # A condition on a field an action lacks is refused now, not found as a silent non-match.
            type_check(self._policy, declared_actions(connectors))
        self._clock = clock
        self._replay: ReplayRecords | None = None
        self._approvals = approvals or ApprovalStore(
            self.home, clock=clock, audit=self._audit, approved_ttl=self._policy.approved_ttl
        )
        self._drafts = drafts or SQLDraftStore(self.home)
        self._ledger = ledger or SQLWriteLedger(self.home)
        self._vault = vault or _default_vault(self.home)
        self._connector_classes = connectors
        self._lock = threading.Lock()
        self._decoded: GrantClaims | None = None
        self._built: Catalog | None = None
        self._guards = SessionGuards(self._policy, TaintStore(self.home))
        self._bulk = BulkGate(self.home, self._policy.bulk, clock=lambda: clock().timestamp())
        self._toolsets = Toolsets()

    def __repr__(self) -> str:
        grant = self._decoded.id if self._decoded else "unverified"
        return f"<Toolkit grant={grant}>"

    # -- public --------------------------------------------------------------------------------

    @property
    def claims(self) -> GrantClaims:
        """The grant's claims, verified now (raises `GrantDenied` if it is no longer valid)."""
        return self._claims()

    def tools(
        self, toolsets: Sequence[str] | None = None, *, on_demand: bool = False, compact: bool = False
    ) -> list[Tool]:
        """The tools this grant allows (`<service>_commit_draft` included when it may write).

        `toolsets` narrows the list to those toolsets (`github.read`, ...). With `on_demand`, the
        list is the `charter_load_toolset` meta tool plus the toolsets loaded so far (and `toolsets`);
        the agent loads more by calling it. Loading changes what is listed, never what is allowed.
        With `compact`, each tool is in its compact form (`charter.agents.compact`): short
        descriptions, lean input schemas, no output schemas.

        A grant that expired, was revoked or spent its budget still lists its tools, and each call
        answers `grant_denied` with the reason, as `call` does for any refusal; only a token this
        home did not sign raises `GrantDenied` here.
        """
        listed = self._toolsets.view(self._catalog().allowed(), toolsets, on_demand)
        return [compact_tool(t) for t in listed] if compact else listed

    def toolsets(self) -> list[Toolset]:
        """The grant's tools grouped per service and verb, e.g. `github.read`, `gmail.write`."""
        return group(self._catalog().allowed())

    def call(
        self, name: str, args: Mapping[str, Any] | None = None, *, idempotency_key: str | None = None
    ) -> ToolResult:
        """Run one tool call through grant, policy, approval, connector and audit.

        `args` is a mapping of JSON values, or the JSON text of one as model APIs send it. Any other
        input, whatever its type or size, ends as a `validation_error` result and one audit entry.
        """
        trace = _Trace(shown_name(name), None)
        return self._finish(trace, lambda: self._intake(trace, name, args, idempotency_key))

    def resume(self, approval_id: str) -> ToolResult:
        """Run a call a person approved, exactly once; a repeat returns the first result."""
        trace = _Trace("", None)
        trace.approval_id = shown_name(approval_id)
        return self._finish(trace, lambda: self._resume(trace, approval_id))

    # -- the call pipeline ---------------------------------------------------------------------

    def _intake(self, trace: _Trace, name: object, args: object, idempotency_key: object) -> ToolResult:
        # The grant first, so even a refused input is recorded under the agent that sent it.
        claims = trace.claims = self._claims()
        tool = tool_name(name)
        trace.args = call_arguments(args)
        key = None if idempotency_key is None else identifier(idempotency_key, "idempotency_key", _KEY)
        if tool == LOAD_TOOLSET:
            return self._load(trace)
        return self._call(trace, claims, key)

    def _load(self, trace: _Trace) -> ToolResult:
        data = self._toolsets.load_call(self._catalog().allowed(), cast(dict[str, Any], trace.args))
        trace.decision, trace.result_ref = "allow", f"loaded {', '.join(data['loaded'])}"
        return ToolResult(status="ok", tool=trace.tool, data=data)

    def _call(self, trace: _Trace, claims: GrantClaims, idempotency_key: str | None) -> ToolResult:
        entry = self._catalog().entry(trace.tool)
        args = cast(dict[str, Any], trace.args)
        # Namespaced by grant, so one agent's key can never replay another grant's write.
        key = f"agent:{claims.id}:{idempotency_key}" if idempotency_key else None
        work = self._prepare(entry, args, key)
        decision = self._decide(trace, claims, work)
        if decision.outcome == "approval_required":
            return self._pause(trace, claims, work)
        what = f"{work.base} {json.dumps(_json(work.request), sort_keys=True)}"
        bulk = self._bulk.check(claims, work.base, work.spec.verb, what)
        if bulk is not None:
            trace.decision, trace.reasons = "approval_required", bulk
            return self._pause(trace, claims, work, batch=True)
        self._authority.consume(claims.id)
        return self._run(trace, claims, work)

    def _resume(self, trace: _Trace, approval_id: object) -> ToolResult:
        claims = trace.claims = self._claims()
        approval_id = identifier(approval_id, "approval_id", _RESUME_ID)
        approval = self._approvals.get(approval_id)
        trace.tool, trace.args = approval.tool, approval.args
        if approval.grant_id != claims.id:
            raise GrantDenied(
                f"approval {approval.id} belongs to another grant; only that grant's agent can resume it",
                reason="other_grant",
            )
        entry = self._catalog().entry(approval.tool)
        if approval.status is ApprovalStatus.PENDING:
            trace.decision, trace.reasons = "approval_required", tuple(approval.reasons)
            return paused(trace.tool, approval)
        if approval.status is not ApprovalStatus.APPROVED:
            trace.decision = "deny"
            raise refusal(approval, approval.payload_hash)
        work = self._prepare(entry, approval.args, None)
        self._decide(trace, claims, work)
        return self._run_approved(trace, claims, work, approval)

    def _prepare(self, entry: Entry, args: dict[str, Any], key: str | None) -> _Work:
        """Validate the arguments before anything is sent; for a commit, load and check the draft."""
        if entry.spec is None:
            draft, spec = self._catalog().load_draft(entry, args)
            request = validate_request(spec, draft.change)
            return _Work(
                entry, spec, f"{entry.tool.service}_{draft.action}", request, draft.id,
                f"draft:{draft.id}", draft.payload_hash, draft_preview(draft.preview).text(),
            )  # fmt: skip
        request = validate_request(entry.spec, args)
        return _Work(
            entry, entry.spec, entry.base, request, request, key,
            payload_hash(entry.tool.name, _json(request)), None,
        )  # fmt: skip

    def _decide(self, trace: _Trace, claims: GrantClaims, work: _Work) -> Decision:
        fields = constrained_fields(type(work.request))
        connector = self._catalog().connector(work.entry.tool.connection)
        # Some scopes and risks depend on the arguments (GitHub guards workflow files with a scope of
        # their own; an invitation outside the domain is external). A missing scope fails here, not
        # after a person has approved a call that could never run.
        connector.check_scopes(work.spec, work.request)
        risks, reach = connector.weigh(work.spec, work.request)
        spec = replace(work.spec, risks=risks, reach=reach)
        now, facts = self._clock(), self._facts(connector, work)
        decision = decide_all(self._policy, claims, work.base, spec, work.request, fields, now, facts)
        account = None
        if decision.outcome != "deny" and spec.verb == "write":
            account = self._vault.get(work.entry.tool.connection).account
            guarded = self._guards.check(work.base, spec, work.request, account, claims.id)
            decision = combine(decision, guarded)
        trace.replay = record_of(work.base, spec, work.request, claims, account, now, facts)
        trace.decision, trace.reasons = decision.outcome, decision.reasons
        if decision.outcome == "deny":
            raise GrantDenied(
                f"{decision.explain()}. Nothing was sent.",
                reason="not_allowed",
                reasons=list(decision.reasons),
            )
        return decision

    def _facts(self, connector: Connector, work: _Work) -> dict[str, BaseModel]:
        """What conditions may read of the resource acted on; none read, none fetched."""
        declared = connector.policy_facts.get(work.spec.name, {})
        named = {n for rule in self._policy.rules for c in rule.when for n in c.names}
        if not named & declared.keys():
            # No rule reads these facts: no extra request to the service.
            return {}
        try:
            return connector.facts_for(work.spec, work.request)
        except CharterError:
            # Unread facts make a condition naming them count against the call (deny and approval
            # rules apply, waivers do not); the call itself goes on to meet the same error or not.
            return {}

    def _pause(self, trace: _Trace, claims: GrantClaims, work: _Work, batch: bool = False) -> ToolResult:
        tool = work.entry.tool.name
        open_request = self._approvals.find_open(claims.id, tool, work.payload_hash)
        if open_request is not None and open_request.status is ApprovalStatus.APPROVED:
            # The person already approved exactly this payload: the repeated call is the resume.
            return self._run_approved(trace, claims, work, open_request)
        approval = open_request or self._approvals.create(
            grant_id=claims.id,
            agent=claims.agent,
            subject=claims.subject,
            tool=tool,
            args=cast(dict[str, Any], trace.args) if work.entry.spec is None else _json(work.request),
            preview=self._described(work),
            reasons=trace.reasons,
            ttl=self._policy.approval_ttl,
            payload_hash=work.payload_hash,
        )
        if open_request is None:
            announce(self.home, approval)  # a link to the person's notifiers, never the payload
        trace.approval_id = approval.id
        if batch:
            self._bulk.held(approval.id, claims, work.base, self._policy.approval_ttl.total_seconds())
        return paused(tool, approval)

    def _described(self, work: _Work) -> str:
        """The preview, with the object a direct write changes named as a person knows it."""
        if work.draft_preview is not None:
            return work.draft_preview
        # Never redacted: the person approves the real value that will be sent (the audit redacts).
        preview = call_preview(work.entry.tool.name, work.entry.tool.description, _json(work.request)).text()
        connector = self._catalog().connector(work.entry.tool.connection)
        lines = describe_target(connector, work.request)
        return f"{preview}\n\n{visible(chr(10).join(lines))[0]}" if lines else preview

    def _run_approved(
        self, trace: _Trace, claims: GrantClaims, work: _Work, approval: ApprovalRequest
    ) -> ToolResult:
        trace.approval_id, trace.approver = approval.id, approval.decided_by
        # A protected approval given without the passkey, or with an answer that does not verify for it.
        refuse_unverified(self.home, approval, self._approvals.passkey_answer(approval.id))
        # A draft commits under its own key; a direct write under one derived from the approval.
        key = work.key if work.entry.spec is None else f"approval:{approval.id}"
        work = replace(work, key=key)
        try:
            self._approvals.consume(approval.id, work.payload_hash)
        except ApprovalAlreadyUsed:
            done = self._ledger.get(key) if key and work.spec.verb == "write" else None
            if done is None and key and work.spec.verb == "write" and self._ledger.in_doubt(key, now=time()):
                # The approved call was sent and its answer lost: the connector looks for it in the
                # service under the same key, and finds it or answers outcome_unknown; never resends blind.
                return self._run(trace, claims, work)
            if done is None:
                raise Conflict(
                    f"approval {approval.id} has already been used, or its call is running right now; "
                    "it runs only once. Call resume again in a moment to get the result of a write.",
                    approval_id=approval.id,
                ) from None
            replayed = done.model_copy(update={"replayed": True})
            trace.result_ref = write_ref(replayed)
            return ToolResult(status="ok", tool=trace.tool, data=write_data(replayed))
        self._authority.consume(claims.id)
        self._bulk.approved(approval.id)
        return self._run(trace, claims, work)

    def _run(self, trace: _Trace, claims: GrantClaims, work: _Work) -> ToolResult:
        connector = self._catalog().connector(work.entry.tool.connection)
        attribution = Attribution(agent=claims.agent, grant_id=claims.id)
        if work.spec.verb == "read":
            result = within_constraints(claims, connector.read(work.request))
            trace.result_ref = read_ref(result)
            quotes: list[Quote] = []
            with paused_gc():
                data: Any = read_data(result, work.entry.tool.service, quotes)
            self._guards.record_read(quotes, claims.id)
        elif work.spec.verb == "draft":
            draft = connector.draft(work.request, attribution=attribution)
            trace.result_ref = f"draft:{draft.id}"
            data = draft_data(draft, self._catalog().commit_tool_for(work.entry))
        else:
            written = connector.write(work.target, idempotency_key=work.key, attribution=attribution)
            trace.result_ref = write_ref(written)
            data = write_data(written)
        return ToolResult(status="ok", tool=trace.tool, data=data)

    # -- ending a call: one audit entry whatever happened ----------------------------------------

    def _finish(self, trace: _Trace, run: Callable[[], ToolResult]) -> ToolResult:
        try:
            result = run()
        except CharterError as exc:
            result = self._failure(trace, exc)
        except Exception as exc:
            # A connector bug must not crash the agent's loop, nor leak its text (it may hold a token).
            failure = UpstreamError(
                f"{trace.tool or 'the call'} failed unexpectedly inside Charter or the connector "
                f"({type(exc).__name__}); report it if it repeats.",
                reason="unexpected",
            )
            result = self._failure(trace, failure)
        self._record(trace, result)
        return result

    def _failure(self, trace: _Trace, exc: CharterError) -> ToolResult:
        if isinstance(exc, GrantDenied) and trace.decision != "deny":
            trace.decision, trace.reasons = "deny", (exc.message,)
        trace.result_ref = f"error:{exc.code}"
        return ToolResult(status="error", tool=trace.tool, error=redact_data(exc.to_dict()))

    def _record(self, trace: _Trace, result: ToolResult) -> None:
        claims = trace.claims or self._decoded
        outcome: Outcome
        if result.status == "ok":
            outcome = "ok"
        elif result.status == "approval_required":
            outcome = "paused"
        else:
            outcome = "denied" if trace.decision == "deny" else "error"
        replay = None if trace.replay is None else self._replays().attachment(trace.replay)
        self._audit.record(
            actor="agent",
            subject=claims.subject if claims else "unknown",
            action=trace.tool or "resume",
            outcome=outcome,
            agent=claims.agent if claims else None,
            grant_id=claims.id if claims else None,
            args=trace.args,
            decision=trace.decision,
            reasons=trace.reasons,
            approval_id=trace.approval_id,
            approver=trace.approver,
            error_code=(result.error or {}).get("error"),
            result_ref=trace.result_ref,
            duration_ms=(perf_counter() - trace.started) * 1000,
            attach=replay,
        )
        if replay is not None:
            self._replays().committed()

    def _replays(self) -> ReplayRecords:
        if self._replay is None:
            self._replay = ReplayRecords(self.home, self._audit.chain)
        return self._replay

    # -- grant, catalog, connectors, drafts ----------------------------------------------------

    def _claims(self) -> GrantClaims:
        # The signature is checked once; revocation, expiry and budget on every call.
        claims = self._signed()
        self._authority.check(claims)
        return claims

    def _signed(self) -> GrantClaims:
        """The grant's claims once its signature is checked: what it names, not whether it still holds."""
        if self._decoded is None:
            self._decoded = self._authority.decode(self._token)
        return self._decoded

    def _catalog(self) -> Catalog:
        with self._lock:
            if self._built is None:
                # Listing needs what the grant names; every call checks that it still holds.
                self._built = Catalog(
                    self._signed(),
                    vault=self._vault,
                    policy=self._policy,
                    resolve=self._connector_class,
                    drafts=self._drafts,
                    ledger=self._ledger,
                )
            return self._built

    def _connector_class(self, service: str) -> type[Connector]:
        if self._connector_classes is not None and service in self._connector_classes:
            return self._connector_classes[service]
        return get_connector(service)


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _default_vault(home: CharterHome) -> VaultLike:
    # Imported when needed: the vault pulls in the OAuth clients, which a caller with its own vault skips.
    from charter.auth.vault import Vault

    return Vault(home)


__all__ = ["Toolkit"]
