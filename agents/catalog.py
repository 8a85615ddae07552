"""A grant's catalog: every action of its connections as a tool, which of them it allows, and why not.

Tools are named `{service}_{action}`; when one grant names two connections of the same service,
the account is added (`github_mona_list_issues`). Grants and policy always speak of the
`{service}_{action}` name. A grant that may write also gets `{service}_commit_draft`.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol

from charter.agents.tools import COMMIT_DRAFT_DESCRIPTION, COMMIT_DRAFT_SCHEMA, Tool
from charter.agents.toolschema import WRITE_OUTPUT_SCHEMA, input_schema, output_schema
from charter.auth.policy import Policy, check_constraints, check_grant
from charter.auth.providers import get_provider
from charter.auth.vocabulary import Vocabulary
from charter.connectors.base import (
    ActionSpec,
    Connector,
    Credentials,
    DraftStore,
    WriteLedger,
    constrained_fields,
)
from charter.schemas import (
    Draft,
    GrantClaims,
    GrantDenied,
    NotFound,
    Page,
    ScopeMissing,
    ValidationError,
    payload_hash,
)

COMMIT_DRAFT = "commit_draft"


class ConnectionInfo(Protocol):
    """What the Toolkit reads of a vault connection."""

    @property
    def id(self) -> str: ...

    @property
    def service(self) -> str: ...

    @property
    def account(self) -> str: ...

    @property
    def api_base(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...


class VaultLike(Protocol):
    """The part of `charter.auth.vault.Vault` the Toolkit uses."""

    def get(self, connection_id: str) -> ConnectionInfo: ...

    def credentials(self, connection_id: str) -> Credentials: ...


@dataclass(frozen=True)
class Entry:
    """One tool of the catalog, whether the grant and policy allow it, and why not.

    The `Tool` (with its JSON schemas) is built when first read: a call needs only its own.
    """

    name: str
    action: str
    risks: tuple[str, ...]
    base: str  # `{service}_{action}`: the name grants and policy speak of
    spec: ActionSpec | None  # None for the commit-draft tool
    allowed: bool
    refusal: tuple[str, ...] = ()
    scope_missing: bool = False
    build: Callable[[], Tool] = field(kw_only=True, compare=False, repr=False)

    @cached_property
    def tool(self) -> Tool:
        return self.build()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "account"


class Catalog:
    """The tools of one grant and the connectors that run them; built once per Toolkit."""

    def __init__(
        self,
        claims: GrantClaims,
        *,
        vault: VaultLike,
        policy: Policy,
        resolve: Callable[[str], type[Connector]],
        drafts: DraftStore,
        ledger: WriteLedger,
    ) -> None:
        self._vault = vault
        self._policy = policy
        self._resolve = resolve
        self._drafts = drafts
        self._ledger = ledger
        self._lock = threading.Lock()
        self._connectors: dict[str, Connector] = {}
        self._grant_id = claims.id
        self.entries = self._build(claims)

    def allowed(self) -> list[Tool]:
        return [e.tool for e in self.entries.values() if e.allowed]

    def entry(self, name: str) -> Entry:
        """The allowed tool called `name`, or `GrantDenied` saying why it cannot be called."""
        entry = self.entries.get(name)
        if entry is None:
            names = sorted(e.name for e in self.entries.values() if e.allowed)
            hint = (
                f"this grant's tools are: {', '.join(names[:30])}" if names else "this grant allows no tools"
            )
            raise GrantDenied(f"there is no tool {name!r}; {hint}.", reason="unknown_tool")
        if entry.scope_missing:
            raise ScopeMissing(f"{'; '.join(entry.refusal)}. Nothing was sent.")
        if not entry.allowed:
            raise GrantDenied(f"{'; '.join(entry.refusal)}. Nothing was sent.", reason="not_allowed")
        return entry

    def commit_tool_for(self, entry: Entry) -> str | None:
        """The tool that commits drafts made by `entry`, if this grant may use it."""
        name = entry.name.removesuffix(entry.action) + COMMIT_DRAFT
        commit = self.entries.get(name)
        return name if commit is not None and commit.allowed else None

    def connector(self, connection_id: str) -> Connector:
        """The connector for a connection, made once with its vault credentials."""
        with self._lock:
            connector = self._connectors.get(connection_id)
            if connector is None:
                conn = self._vault.get(connection_id)
                connector = self._resolve(conn.service)(
                    self._vault.credentials(connection_id),
                    base_url=conn.api_base,
                    drafts=self._drafts,
                    ledger=self._ledger,
                )
                self._connectors[connection_id] = connector
            return connector

    def load_draft(self, entry: Entry, args: Mapping[str, Any]) -> tuple[Draft, ActionSpec]:
        """The draft a commit names, checked: same connection, a write action, unchanged since preview."""
        draft_id = args.get("draft_id")
        if not isinstance(draft_id, str) or set(args) != {"draft_id"}:
            raise ValidationError(
                f"invalid arguments for {entry.tool.name}: pass exactly {{'draft_id': '<id>'}}. "
                "Nothing was sent."
            )
        draft = self._drafts.get(draft_id)
        if draft is None or draft.connection != entry.tool.connection:
            raise NotFound(
                f"no draft {draft_id!r} for {entry.tool.name}; create one with a draft action first"
            )
        if draft.grant_id != self._grant_id:
            # A draft is reviewed as the work of the agent that made it; another grant must not adopt it.
            raise GrantDenied(
                f"draft {draft_id} was not made under this grant; "
                "only the agent that drafted it can commit it",
                reason="other_grant",
            )
        spec = self._resolve(entry.tool.service).actions.get(draft.action)
        if spec is None or spec.verb != "write":
            raise NotFound(
                f"draft {draft_id!r} commits {draft.action!r}, which this connector does not offer"
            )
        if payload_hash(draft.action, draft.change) != draft.payload_hash:
            raise GrantDenied(
                f"draft {draft_id} changed after it was previewed, so it was not committed; make a new draft",
                reason="payload_changed",
            )
        return draft, spec

    # -- building ------------------------------------------------------------------------------

    def _build(self, claims: GrantClaims) -> dict[str, Entry]:
        connections = [self._vault.get(cid) for cid in claims.connections]
        per_service = Counter(c.service for c in connections)
        entries: dict[str, Entry] = {}
        for conn in connections:
            cls = self._resolve(conn.service)
            prefix = (
                conn.service if per_service[conn.service] == 1 else f"{conn.service}_{_slug(conn.account)}"
            )
            actions = [self._entry_for(claims, conn, prefix, cls, spec) for spec in cls.actions.values()]
            entries.update((e.name, e) for e in actions)
            commit = _commit_entry(claims, conn, prefix, actions)
            if commit is not None:
                entries[commit.name] = commit
        unread = _unread_constraints(claims, [self._resolve(c.service) for c in connections])
        if unread:
            # A limit no connector reads would be ignored, leaving the agent unrestricted (a grant
            # with a typo, issued before names were checked): such a grant allows nothing.
            reason = (
                f"denied because grant {claims.id} limits {', '.join(unread)}, which none of its "
                "services reads; ask the person for a new grant"
            )
            entries = {n: replace(e, allowed=False, refusal=(reason,)) for n, e in entries.items()}
        return entries

    def _entry_for(
        self, claims: GrantClaims, conn: ConnectionInfo, prefix: str, cls: type[Connector], spec: ActionSpec
    ) -> Entry:
        base = f"{conn.service}_{spec.name}"
        decision = check_grant(claims, base, spec)
        if decision.outcome != "deny":
            decision = self._policy.decide(claims, base, spec)
        name, risks = f"{prefix}_{spec.name}", tuple(sorted(spec.risks))

        def build() -> Tool:
            return Tool(
                name=name,
                description=spec.description,
                input_schema=input_schema(spec.request),
                verb=spec.verb,
                risks=risks,
                service=conn.service,
                connection=conn.id,
                action=spec.name,
                output_schema=output_schema(spec.verb, spec.result),
                open_world=spec.verb != "draft" or spec.native,
            )

        head = (name, spec.name, risks, base, spec)
        if decision.outcome == "deny":
            return Entry(*head, False, decision.reasons, build=build)
        # A tool the connection's token cannot run is not offered: the agent would only meet a refusal.
        missing = get_provider(cls.provider).missing_scopes(conn.scopes, spec.scopes)
        if missing:
            reason = (
                f"{name} needs the {cls.provider} scope(s) {', '.join(sorted(missing))}, which "
                f"connection {conn.id} was not granted; the person can connect {conn.service} again "
                f"enabling {spec.name}"
            )
            return Entry(*head, False, (reason,), scope_missing=True, build=build)
        return Entry(*head, True, build=build)


def _unread_constraints(claims: GrantClaims, classes: list[type[Connector]]) -> list[str]:
    """The grant's constraint keys that no action of its connectors reads."""
    read = {key for terms in Vocabulary.of(classes).services.values() for key in terms.constraints}
    return sorted(k for k in claims.constraints if k not in read)


def _commit_entry(
    claims: GrantClaims, conn: ConnectionInfo, prefix: str, actions: list[Entry]
) -> Entry | None:
    """The commit-draft tool, when the grant may commit what this service's drafts commit."""
    by_name = {e.action: e for e in actions}
    targets = {e.spec.commits for e in actions if e.spec is not None and e.spec.commits}
    allowed = [by_name[t] for t in sorted(targets) if t in by_name and by_name[t].allowed]
    if "write" not in claims.verbs or not allowed:
        return None
    tool = Tool(
        name=f"{prefix}_{COMMIT_DRAFT}",
        description=COMMIT_DRAFT_DESCRIPTION,
        input_schema=COMMIT_DRAFT_SCHEMA,
        verb="write",
        risks=tuple(sorted({r for e in allowed for r in e.risks})),
        service=conn.service,
        connection=conn.id,
        action=COMMIT_DRAFT,
        output_schema=WRITE_OUTPUT_SCHEMA,
    )
    return Entry(
        tool.name, COMMIT_DRAFT, tool.risks, f"{conn.service}_{COMMIT_DRAFT}", None, True, build=lambda: tool
    )


def within_constraints(claims: GrantClaims, result: Any) -> Any:
    """Drop listed items the grant's constraints exclude (a listing with no repo argument, say)."""
    if not claims.constraints or not isinstance(result, Page) or not result.items:
        return result
    fields = constrained_fields(type(result.items[0]))
    if not fields:
        return result
    kept = [item for item in result.items if check_constraints(claims, item, fields).outcome == "allow"]
    return result.model_copy(update={"items": kept})


__all__ = ["COMMIT_DRAFT", "Catalog", "ConnectionInfo", "Entry", "VaultLike", "within_constraints"]
