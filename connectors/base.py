"""The connector interface: three verbs, declared actions, and the machinery every service shares.

A connector author subclasses `Connector`, names its provider, and writes one method per action,
decorated with `@action(...)`. The request and result models come from the method's type hints and
the LLM-facing description from its docstring, so nothing is written twice. The base class does
dispatch, validation, scope checks, token refresh on a rejected token, rate-limit waits, retries of
writes under the same idempotency key, and the bookkeeping of drafts. The field markers grants and
policy read (`fields.py`) and the draft and ledger stores (`stores.py`) are re-exported here.
"""

from __future__ import annotations

import inspect
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any, ClassVar, TypeVar, get_type_hints

import pydantic
from pydantic import BaseModel

from charter.auth.providers import get_provider
from charter.connectors.credentials import Credentials, PinnedCredentials, TokenRejected
from charter.connectors.fields import (
    constrained_fields,
    recipient_field,
    recipient_fields,
    resource_field,
)
from charter.connectors.paging import PageTrail
from charter.connectors.stores import (
    DraftStore,
    MemoryDraftStore,
    MemoryWriteLedger,
    WriteIntent,
    WriteLedger,
)
from charter.connectors.writes import WriteAttempts, WriteContext, held_elsewhere
from charter.schemas import (
    AuthRequired,
    Change,
    ConfigurationError,
    Draft,
    NotFound,
    Page,
    RateLimited,
    ScopeMissing,
    ValidationError,
    Verb,
    WriteResult,
    payload_hash,
)
from charter.schemas.types import REACHES, RISKS, Reach, Risk

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Attribution:
    """Who is acting, so writes can say so inside the service itself."""

    agent: str
    grant_id: str

    def line(self) -> str:
        """The visible line appended to text an agent writes (comments, issues, mail)."""
        return f"Posted by agent `{self.agent}` via Charter (grant `{self.grant_id}`)."


@dataclass(frozen=True)
class DraftPreview:
    """What a draft handler returns: the preview a person reads, and a native ref if any.

    A native draft also returns `native_digest`, the digest of all of it as the service holds it,
    so the write can refuse to send a native draft edited after it was reviewed.
    """

    preview: str
    native_ref: str | None = None
    url: str | None = None
    native_digest: str | None = None


def _require_bound(connector: str, spec: ActionSpec, preview: DraftPreview) -> None:
    """A draft held in the service is kept only when declared native and bound to all of it.

    Anyone with the service's compose rights can edit such a draft after the person reviewed it; the
    digest is what lets the write refuse an edited one, so a native draft without it is never kept.
    """
    if spec.native and preview.native_digest:
        return
    why = "its action is not declared native=True" if not spec.native else "it came without native_digest"
    raise ConfigurationError(
        f"connector {connector!r} made native draft {preview.native_ref} for {spec.name}, but {why}, "
        "so an edit in the service after review could not be caught; Charter did not keep it and it "
        "cannot be sent. The draft handler must return the digest of the whole draft as the service "
        "holds it."
    )


@dataclass(frozen=True)
class ActionSpec:
    """An action's declaration: everything a grant, a policy, an LLM and the contract suite read."""

    name: str
    verb: Verb
    request: type[BaseModel]
    result: Any
    scopes: tuple[str, ...]
    risks: frozenset[Risk]
    description: str
    commits: str | None = None
    method: str = ""
    # A draft the service itself holds where nobody else sees it (a Gmail draft), not Charter's store.
    native: bool = False
    # Whom the action reaches at most (`reach_for` narrows it per call); None: not declared.
    reach: Reach | None = None

    def tool_name(self, connector: str) -> str:
        return f"{connector}_{self.name}"


@dataclass
class _Declared:
    verb: Verb
    scopes: tuple[str, ...]
    risks: frozenset[Risk]
    commits: str | None
    description: str | None
    native: bool = False
    reach: Reach | None = None


def action(
    verb: Verb,
    *,
    scopes: tuple[str, ...] | list[str],
    risks: tuple[Risk, ...] | list[Risk] = (),
    commits: str | None = None,
    description: str | None = None,
    native: bool = False,
    reaches: Reach | None = None,
) -> Callable[[F], F]:
    """Declare a connector method as an action.

    `scopes` are the minimal provider scopes it needs; `risks` tag what policy should weigh;
    `reaches` says whom it reaches at most (a draft: `person`, always). A draft action names, in
    `commits`, the write action that commits its drafts, and says `native=True` when its drafts
    live in the service (where only the person sees them) rather than in Charter's store.
    """
    unknown = set(risks) - set(RISKS)
    if unknown:
        raise ConfigurationError(f"unknown risk tags {sorted(unknown)}; use {RISKS}")
    if reaches is not None and reaches not in REACHES:
        raise ConfigurationError(f"unknown reach {reaches!r}; use one of {REACHES}")
    if verb == "draft" and reaches not in (None, "person"):
        raise ConfigurationError(
            "a draft must reach nobody but the person; an action others can see is a write"
        )
    if verb == "draft" and commits is None:
        raise ConfigurationError("a draft action must name the write action that commits it")

    def mark(fn: F) -> F:
        fn.__charter_action__ = _Declared(  # type: ignore[attr-defined]
            verb, tuple(scopes), frozenset(risks), commits, description, native, reaches
        )
        return fn

    return mark


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc or "").split("\n\n")[0].replace("\n", " ").strip()


class Connector:
    """Base of every connector. Subclasses set `name`, `provider` and declare actions."""

    name: ClassVar[str]
    provider: ClassVar[str]
    display_name: ClassVar[str] = ""
    actions: ClassVar[dict[str, ActionSpec]]
    max_rate_limit_wait: ClassVar[float] = 30.0
    write_attempts: int = 3
    # Seconds to wait for each answer; lowered in tests to make the service answer too late.
    request_timeout: float = 30.0
    # How long after a request went unanswered the service may still act on it: until then a look
    # for its effect proves nothing. 0 where a write's id derives from its key (a late commit and a
    # resend collide instead of duplicating). Instances may lower these (tests do).
    commit_window: float = 0.0
    max_commit_wait: float = 15.0
    # How long one caller holds a write's intent; a caller that dies holding it blocks the key so long.
    write_claim_seconds: float = 120.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.actions = dict(getattr(cls, "actions", {}))
        for attr, fn in list(vars(cls).items()):
            declared: _Declared | None = getattr(fn, "__charter_action__", None)
            if declared is not None:
                cls.actions[attr] = _spec_from(cls, attr, fn, declared)
        for spec in cls.actions.values():
            if spec.commits and spec.commits not in cls.actions:
                raise ConfigurationError(
                    f"{cls.__name__}.{spec.name} commits {spec.commits!r}, which is not an action"
                )

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        drafts: DraftStore | None = None,
        ledger: WriteLedger | None = None,
    ) -> None:
        # Every request of one call sends the same token, so a 401 names the token it rejected.
        self._pinned = PinnedCredentials(credentials)
        self.credentials: Credentials = self._pinned
        self.base_url = base_url
        self.drafts: DraftStore = drafts or MemoryDraftStore()
        self.ledger: WriteLedger = ledger or MemoryWriteLedger()
        # How rate-limit waits pass; tests swap in a sandbox clock's `advance` to skip real seconds.
        self.sleep: Callable[[float], None] = time.sleep
        # Waits for a service to settle after an unanswered write: real seconds, even in tests.
        self.commit_wait: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        return f"<{type(self).__name__} connection={self.credentials.connection_id!r}>"

    # -- the three verbs -------------------------------------------------------------------

    def read(self, request: BaseModel) -> Any:
        """Run the read action whose request model is `type(request)`. No side effects."""
        spec = self._spec_for(request, "read")
        return self._call(spec, request, lambda: getattr(self, spec.method)(request))

    def draft(self, change: BaseModel, *, attribution: Attribution | None = None) -> Draft:
        """Prepare `change` without any effect others can see; returns the draft to review."""
        spec = self._spec_for(change, "draft")
        preview: DraftPreview = self._call(
            spec, change, lambda: getattr(self, spec.method)(change, attribution)
        )
        assert spec.commits is not None
        if preview.native_ref is not None:
            _require_bound(self.name, spec, preview)
        payload = change.model_dump(mode="json")
        draft = Draft(
            id="drf_" + secrets.token_urlsafe(12),
            connector=self.name,
            connection=self.credentials.connection_id,
            action=spec.commits,
            change=payload,
            payload_hash=payload_hash(spec.commits, payload),
            preview=preview.preview,
            location="native" if preview.native_ref else "store",
            native_ref=preview.native_ref,
            native_digest=preview.native_digest,
            url=preview.url,
            agent=attribution.agent if attribution else None,
            grant_id=attribution.grant_id if attribution else None,
        )
        self.drafts.save(draft)
        return draft

    def write(
        self,
        change: BaseModel | str,
        *,
        idempotency_key: str | None = None,
        attribution: Attribution | None = None,
    ) -> WriteResult:
        """Commit a change, or a draft by id, exactly once per idempotency key."""
        draft: Draft | None = None
        if isinstance(change, str):
            draft = self._load_draft(change)
            spec = self.actions[draft.action]
            change = spec.request.model_validate(draft.change)
            key = idempotency_key or f"draft:{draft.id}"
        else:
            spec = self._spec_for(change, "write")
            # The same change through another connection is another write, never a replay.
            key = idempotency_key or (
                f"auto:{self.credentials.connection_id}:"
                + payload_hash(spec.name, change.model_dump(mode="json"))
            )
        done = self.ledger.get(key)
        if done is not None:
            return done.model_copy(update={"replayed": True})
        now = time.time()
        intent = self.ledger.claim(key, spec.name, now=now, until=now + self.write_claim_seconds)
        if intent is None:
            return held_elsewhere(self, spec, key)
        done = self.ledger.get(key)
        if done is not None:
            # Committed and recorded by another caller between our first look and our claim.
            self.ledger.release(key, nothing_sent=True)
            return done.model_copy(update={"replayed": True})
        result = WriteAttempts(self, spec, change, intent, attribution, draft).commit()
        self.ledger.put(key, result)
        if draft is not None:
            self.drafts.mark_committed(draft.id)
        return result

    # -- helpers for subclasses ------------------------------------------------------------

    # Facts of the resource a call acts on that policy conditions may read, per action name, e.g.
    # {"comment": {"issue": Issue}} lets a rule say `issue.labels contains "triage"`.
    policy_facts: ClassVar[dict[str, dict[str, type[BaseModel]]]] = {}

    def facts_for(self, spec: ActionSpec, request: BaseModel) -> dict[str, BaseModel]:
        """The `policy_facts` of this call, read from the service (the issue a comment goes on)."""
        return {}

    def risks_for(self, spec: ActionSpec, request: BaseModel) -> frozenset[Risk]:
        """The risks of this particular call; override when they depend on the arguments.

        E.g. an invitation is `external` only when an attendee is outside the account's domain.
        """
        return spec.risks

    def reach_for(self, spec: ActionSpec, request: BaseModel) -> Reach | None:
        """Whom this particular call reaches; override when more than the arguments decide.

        By default a write with recipient fields (to, cc, attendees, …) reaches whom they name:
        mail to colleagues reaches the domain, mail to anyone else outsiders. Connectors override
        it where the service decides (a comment on a public repository reaches the public).
        """
        fields = recipient_fields(type(request))
        if spec.verb != "write" or spec.reach is None or not fields:
            return spec.reach
        named = [a for f in fields for a in _addresses(getattr(request, f, None))]
        return reach_of_addresses(named, self.credentials.account)

    def weigh(self, spec: ActionSpec, request: BaseModel) -> tuple[frozenset[Risk], Reach | None]:
        """The risks and reach of this call as policy weighs them.

        Reaching outsiders or the public is what `external` means to taint and recipient checks.
        """
        reach = self.reach_for(spec, request)
        risks = self.risks_for(spec, request)
        return (risks | {"external"} if reach in ("outsiders", "public") else risks), reach

    def scopes_for(self, spec: ActionSpec, request: BaseModel) -> tuple[str, ...]:
        """The scopes this particular call needs; override when they depend on the arguments.

        E.g. GitHub asks for `workflow` besides `repo` to change a file under `.github/workflows/`.
        """
        return spec.scopes

    def check_scopes(self, spec: ActionSpec, request: BaseModel) -> None:
        """Refuse before any request when the connection lacks a scope this call needs."""
        needed = self.scopes_for(spec, request)
        missing = get_provider(self.provider).missing_scopes(self.credentials.granted_scopes, needed)
        if missing:
            # Name every scope to ask for: reconnecting with the defaults may not include a scope
            # that only some calls need (GitHub's `workflow`).
            raise ScopeMissing(
                f"{spec.name} needs the {self.provider} scope(s) {', '.join(sorted(missing))} for this "
                f"call, which this connection was not granted; connect {self.provider} again asking "
                f"for {', '.join(needed)}.",
                missing=sorted(missing),
            )

    def collect(self, request: BaseModel, *, limit: int | None = None) -> Iterator[Any]:
        """Every item of a paginated read, following cursors to the end."""
        seen = 0
        trail = PageTrail(self.display_name or self.name, type(request).__name__)
        while True:
            page = self.read(request)
            if not isinstance(page, Page):
                raise ConfigurationError(f"{type(request).__name__} is not a paginated read")
            for item in page.items:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            cursor = trail.follow(page.next_cursor)
            if cursor is None:
                return
            request = request.model_copy(update={"cursor": cursor})

    # -- machinery -------------------------------------------------------------------------

    @classmethod
    def spec(cls, name: str) -> ActionSpec:
        try:
            return cls.actions[name]
        except KeyError:
            raise NotFound(
                f"{cls.name} has no action {name!r}; it has {', '.join(sorted(cls.actions))}"
            ) from None

    @classmethod
    def _spec_for(cls, request: BaseModel, verb: Verb) -> ActionSpec:
        for spec in cls.actions.values():
            if spec.verb == verb and type(request) is spec.request:
                return spec
        raise ValidationError(
            f"{cls.name} has no {verb} action taking {type(request).__name__}; "
            f"its {verb} actions take "
            + ", ".join(s.request.__name__ for s in cls.actions.values() if s.verb == verb)
        )

    def _load_draft(self, draft_id: str) -> Draft:
        draft = self.drafts.get(draft_id)
        if draft is None or draft.connector != self.name:
            raise NotFound(f"no {self.name} draft {draft_id!r}; create one with a draft action")
        return draft

    def where_to_look(self, spec: ActionSpec, key: str) -> str:
        """Where a person finds out whether a write of `spec` happened; connectors say it precisely."""
        return f"look in {self.display_name or self.name} for the change {spec.name} makes"

    def _call(self, spec: ActionSpec, request: BaseModel, run: Callable[[], Any]) -> Any:
        self.check_scopes(spec, request)
        with self._pinned.pinned():
            return self._run_pinned(run)

    def _run_pinned(self, run: Callable[[], Any]) -> Any:
        refreshed = False
        waited = 0.0
        while True:
            try:
                return run()
            except TokenRejected:
                if refreshed:
                    raise AuthRequired(
                        f"{self.provider} rejected the token even after a refresh; "
                        f"connect {self.provider} again (connection "
                        f"{self.credentials.connection_id})."
                    ) from None
                self._pinned.refresh_rejected()
                refreshed = True
            except RateLimited as exc:
                wait = float(exc.details.get("retry_after") or 1.0)
                if waited + wait > self.max_rate_limit_wait:
                    raise
                self.sleep(wait)
                waited += wait


def _spec_from(cls: type, attr: str, fn: Callable[..., Any], declared: _Declared) -> ActionSpec:
    hints = get_type_hints(fn, include_extras=False)
    params = [p for p in inspect.signature(fn).parameters if p != "self"]
    if not params:
        raise ConfigurationError(f"{cls.__name__}.{attr} must take its request model")
    request = hints.get(params[0])
    if not (isinstance(request, type) and issubclass(request, BaseModel)):
        raise ConfigurationError(f"{cls.__name__}.{attr}: first parameter must be a pydantic model")
    if declared.verb in ("draft", "write") and not issubclass(request, Change):
        raise ConfigurationError(f"{cls.__name__}.{attr}: a change model must subclass Change")
    description = declared.description or _first_line(fn.__doc__)
    if not description:
        raise ConfigurationError(f"{cls.__name__}.{attr} needs a docstring: it is the tool description")
    result = {"read": hints.get("return"), "draft": Draft, "write": WriteResult}[declared.verb]
    return ActionSpec(
        name=attr,
        verb=declared.verb,
        request=request,
        result=result,
        scopes=declared.scopes,
        risks=declared.risks,
        description=description,
        commits=declared.commits,
        method=attr,
        native=declared.native,
        reach=declared.reach,
    )


def reach_of_addresses(addresses: Iterable[str], account: str | None) -> Reach:
    """Whom mail or an invitation to `addresses` reaches, seen from the account `account`.

    Nobody but the account itself: the person; all in its domain: the domain; else outsiders
    (every address is outside when the account's domain is unknown).
    """
    own = _one_address(account or "")
    home = own.rpartition("@")[2] if "@" in own else ""
    reach: Reach = "person"
    for raw in addresses:
        address = _one_address(raw)
        if own and address == own:
            continue
        # Fail closed: a value naming no address, or several, is "" and has no domain to match.
        if not home or address.rpartition("@")[2] != home:
            return "outsiders"
        reach = "domain"
    return reach


def _one_address(raw: str) -> str:
    """The one address `raw` names, lower-cased; "" when it names none or more than one."""
    found = [address for _, address in getaddresses([raw])]
    return found[0].strip().lower() if len(found) == 1 else ""


def _addresses(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    return []


def validate_request(spec: ActionSpec, args: dict[str, Any]) -> BaseModel:
    """Arguments from an agent → the action's request model, or a `ValidationError` saying why."""
    try:
        return spec.request.model_validate(args)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
        )
        raise ValidationError(
            f"invalid arguments for {spec.name}: {problems}. Nothing was sent; fix them and call again.",
            problems=[
                {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
            ],
        ) from None


__all__ = [
    "REACHES",
    "RISKS",
    "ActionSpec",
    "Attribution",
    "Connector",
    "Credentials",
    "DraftPreview",
    "DraftStore",
    "MemoryDraftStore",
    "MemoryWriteLedger",
    "Reach",
    "Risk",
    "TokenRejected",
    "WriteContext",
    "WriteIntent",
    "WriteLedger",
    "action",
    "constrained_fields",
    "reach_of_addresses",
    "recipient_field",
    "recipient_fields",
    "resource_field",
    "validate_request",
]
