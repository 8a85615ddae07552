"""The connector base (`charter.connectors.base`), pinned where mutation testing found it loose.

Each test names the promise it holds: a declaration carries every part of itself into its spec and
a wrong one is refused with a message saying what to fix; the three verbs dispatch by request model;
a draft is bound to the change it previews (payload hash, connection, attribution, native digest);
a write is keyed once per change or draft and claimed while it runs; scope, refresh and rate-limit
handling keep their budgets; `collect` stops where it is told; reach and `weigh` make anything
that reaches outsiders `external`. Declarations are made inside the tests, not at import, because
the class statement is what runs the code under test.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, model_validator
from sqlalchemy import func, select
from test_base import AddNote, FakeCredentials, ListNotes, NativeNotes, Note, Notes, UndeclaredNativeNotes

from charter.agents.drafts import SQLWriteLedger, intents_table
from charter.auth.home import CharterHome
from charter.connectors import (
    Attribution,
    Connector,
    DraftPreview,
    MemoryDraftStore,
    MemoryWriteLedger,
    TokenRejected,
    WriteContext,
    WriteIntent,
    WriteLedger,
    action,
    recipient_field,
    validate_request,
)
from charter.connectors.base import ActionSpec, reach_of_addresses
from charter.schemas import (
    AuthRequired,
    Change,
    ConfigurationError,
    Draft,
    NotFound,
    OutcomeUnknown,
    Page,
    Provenance,
    RateLimited,
    ScopeMissing,
    UpstreamError,
    ValidationError,
    WriteResult,
    payload_hash,
)


def _refusal(make: Any) -> str:
    with pytest.raises(ConfigurationError) as caught:
        make()
    return caught.value.message


# -- declarations ------------------------------------------------------------------------------


class Plain:
    """A request type that is a class but no pydantic model."""

    repo: str = ""


def test_every_part_of_a_declaration_reaches_its_spec() -> None:
    class Journal(Connector):
        name, provider = "journal", "github"

        @action("read", scopes=["repo", "read:org"])
        def list_notes(self, request: ListNotes) -> Page[Note]:
            """List notes,
            two per page.

            Not part of the description."""
            raise NotImplementedError

        @action("draft", scopes=("repo",), commits="add_note", native=True, reaches="person")
        def draft_note(self, change: AddNote, attribution: Attribution | None) -> DraftPreview:
            """Draft a note."""
            raise NotImplementedError

        @action(
            "write", scopes=("repo",), risks=["external", "bulk"], reaches="domain", description="Post it."
        )
        def add_note(self, change: AddNote, ctx: WriteContext) -> WriteResult:
            """Not the description: `description=` wins."""
            raise NotImplementedError

    assert Journal.actions == {
        "list_notes": ActionSpec(
            name="list_notes",
            verb="read",
            request=ListNotes,
            result=Page[Note],
            scopes=("repo", "read:org"),
            risks=frozenset(),
            description="List notes, two per page.",
            commits=None,
            method="list_notes",
            native=False,
            reach=None,
        ),
        "draft_note": ActionSpec(
            name="draft_note",
            verb="draft",
            request=AddNote,
            result=Draft,
            scopes=("repo",),
            risks=frozenset(),
            description="Draft a note.",
            commits="add_note",
            method="draft_note",
            native=True,
            reach="person",
        ),
        "add_note": ActionSpec(
            name="add_note",
            verb="write",
            request=AddNote,
            result=WriteResult,
            scopes=("repo",),
            risks=frozenset({"external", "bulk"}),
            description="Post it.",
            commits=None,
            method="add_note",
            native=False,
            reach="domain",
        ),
    }
    assert type(Journal.actions["list_notes"].scopes) is tuple
    assert Journal.spec("add_note").tool_name("journal") == "journal_add_note"


def test_a_draft_is_not_native_unless_declared_so() -> None:
    class Held(Connector):
        name, provider = "held", "github"

        @action("draft", scopes=("repo",), commits="add_note")
        def draft_note(self, change: AddNote, attribution: Attribution | None) -> DraftPreview:
            """Draft a note."""
            raise NotImplementedError

        @action("write", scopes=("repo",))
        def add_note(self, change: AddNote, ctx: WriteContext) -> WriteResult:
            """Add a note."""
            raise NotImplementedError

    assert (Held.actions["draft_note"].native, Held.actions["draft_note"].reach) == (False, None)


def test_annotated_parameters_still_declare_their_plain_models() -> None:
    class Tagged(Connector):
        name, provider = "tagged", "github"

        @action("read", scopes=("repo",))
        def list_notes(self, request: Annotated[ListNotes, "the listing"]) -> Annotated[Page[Note], "a page"]:
            """List notes."""
            raise NotImplementedError

    assert (Tagged.actions["list_notes"].request, Tagged.actions["list_notes"].result) == (
        ListNotes,
        Page[Note],
    )


def test_a_subclass_keeps_its_parents_actions_and_adds_its_own() -> None:
    class MoreNotes(Notes):
        name = "more_notes"

        @action("read", scopes=("repo",))
        def list_more(self, request: ListNotes) -> Page[Note]:
            """List more notes."""
            raise NotImplementedError

    assert sorted(MoreNotes.actions) == ["add_note", "draft_note", "list_more", "list_notes"]
    assert MoreNotes.actions["add_note"] is Notes.actions["add_note"]
    assert sorted(Notes.actions) == ["add_note", "draft_note", "list_notes"]


def test_a_method_without_a_request_parameter_is_refused() -> None:
    def make() -> None:
        class Bare(Connector):
            name, provider = "bare", "github"

            @action("read", scopes=("repo",))
            def list_notes(self) -> Page[Note]:
                """List notes."""
                raise NotImplementedError

    assert _refusal(make) == "Bare.list_notes must take its request model"


@pytest.mark.parametrize("annotation", ["dataclass", "missing"])
def test_a_first_parameter_that_is_no_pydantic_model_is_refused(annotation: str) -> None:
    def make() -> None:
        class Loose(Connector):
            name, provider = "loose", "github"

            if annotation == "dataclass":

                @action("read", scopes=("repo",))
                def list_notes(self, request: Plain) -> Page[Note]:
                    """List notes."""
                    raise NotImplementedError

            else:

                @action("read", scopes=("repo",))
                def list_notes(self, request) -> Page[Note]:  # type: ignore[no-untyped-def]
                    """List notes."""
                    raise NotImplementedError

    assert _refusal(make) == "Loose.list_notes: first parameter must be a pydantic model"


def test_a_draft_of_a_plain_model_is_refused_and_a_read_of_a_change_is_not() -> None:
    def make() -> None:
        class PlainDraft(Connector):
            name, provider = "plain_draft", "github"

            @action("draft", scopes=("repo",), commits="add_note")
            def draft_note(self, change: ListNotes, attribution: Attribution | None) -> DraftPreview:
                """Draft a note."""
                raise NotImplementedError

            @action("write", scopes=("repo",))
            def add_note(self, change: AddNote, ctx: WriteContext) -> WriteResult:
                """Add a note."""
                raise NotImplementedError

    assert _refusal(make) == "PlainDraft.draft_note: a change model must subclass Change"

    class Preview(Connector):
        name, provider = "preview", "github"

        @action("read", scopes=("repo",))
        def preview_note(self, request: AddNote) -> Note:
            """Show how a note would look."""
            raise NotImplementedError

    assert Preview.actions["preview_note"].request is AddNote


def test_a_declaration_without_a_description_says_the_docstring_is_the_tool_description() -> None:
    def make() -> None:
        class Mute(Connector):
            name, provider = "mute", "github"

            @action("read", scopes=("repo",))
            def list_notes(self, request: ListNotes) -> Page[Note]:
                raise NotImplementedError

    assert _refusal(make) == "Mute.list_notes needs a docstring: it is the tool description"


def test_a_draft_committed_by_no_action_of_the_connector_is_refused() -> None:
    def make() -> None:
        class Orphan(Connector):
            name, provider = "orphan", "github"

            @action("draft", scopes=("repo",), commits="post_note")
            def draft_note(self, change: AddNote, attribution: Attribution | None) -> DraftPreview:
                """Draft a note."""
                raise NotImplementedError

    assert _refusal(make) == "Orphan.draft_note commits 'post_note', which is not an action"


def test_the_refusals_of_action_say_what_to_use_instead() -> None:
    unknown = _refusal(lambda: action("write", scopes=(), risks=("scary", "external", "odd")))
    assert unknown == (
        "unknown risk tags ['odd', 'scary']; use "
        "('external', 'destructive', 'sharing', 'bulk', 'hides', 'rewrites')"
    )
    reach = _refusal(lambda: action("write", scopes=(), reaches="everyone"))  # type: ignore[arg-type]
    assert reach == "unknown reach 'everyone'; use one of ('person', 'domain', 'outsiders', 'public')"
    seen = _refusal(lambda: action("draft", scopes=(), commits="w", reaches="domain"))
    assert seen == "a draft must reach nobody but the person; an action others can see is a write"
    orphan = _refusal(lambda: action("draft", scopes=()))
    assert orphan == "a draft action must name the write action that commits it"


@pytest.mark.parametrize("reaches", ["person", "domain", "outsiders", "public"])
def test_control_every_known_reach_is_accepted_on_a_write(reaches: Any) -> None:
    action("write", scopes=(), reaches=reaches)
    action("read", scopes=(), reaches=reaches)
    action("draft", scopes=(), commits="w", reaches="person")
    action("draft", scopes=(), commits="w")


# -- the three verbs ---------------------------------------------------------------------------


class GetNote(BaseModel):
    number: int


class Appointment(Change):
    title: str
    at: datetime
    to: list[str] = recipient_field("who is invited")


class Desk(Notes):
    """Notes with a second read, an appointment write, and handlers that keep what they were given."""

    name = "desk"
    display_name = "Desk Service"

    def __init__(self, credentials: FakeCredentials | None = None) -> None:
        super().__init__(credentials or FakeCredentials())
        self.given: list[tuple[str, object, object]] = []

    @action("read", scopes=("repo",))
    def get_note(self, request: GetNote) -> Note:
        """Get one note."""
        self.given.append(("get_note", request, None))
        return Note(id=str(request.number), provenance=Provenance(connector="desk", id="n"), text="t")

    @action("draft", scopes=("repo",), commits="invite", reaches="person")
    def draft_invite(self, change: Appointment, attribution: Attribution | None) -> DraftPreview:
        """Draft an invitation."""
        self.given.append(("draft_invite", change, attribution))
        return DraftPreview(preview=f"invite {change.to} to {change.title}", url="https://desk.example/d/1")

    @action("write", scopes=("repo",), reaches="domain")
    def invite(self, change: Appointment, ctx: WriteContext) -> WriteResult:
        """Send an invitation."""
        self.given.append(("invite", change, ctx))
        self.written.append(change.title)
        return WriteResult(action="invite", id=f"i{len(self.written)}", idempotency_key=ctx.idempotency_key)


AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _appointment(title: str = "retro", to: tuple[str, ...] = ("lee@acme.com",)) -> Appointment:
    return Appointment(title=title, at=AT, to=list(to))


def test_each_verb_runs_the_handler_of_its_own_request_model() -> None:
    desk = Desk()
    assert desk.read(GetNote(number=7)).id == "7"
    assert desk.given == [("get_note", GetNote(number=7), None)]
    assert [n.id for n in desk.read(ListNotes(repo="acme/web")).items] == ["0", "1"]
    result = desk.write(_appointment(), idempotency_key="k")
    assert (result.action, result.id, desk.written) == ("invite", "i1", ["retro"])


def test_a_request_no_action_of_that_verb_takes_names_the_ones_it_does() -> None:
    with pytest.raises(ValidationError) as caught:
        Desk().read(AddNote(repo="acme/web", text="x"))
    assert (
        caught.value.message
        == "desk has no read action taking AddNote; its read actions take ListNotes, GetNote"
    )
    with pytest.raises(ValidationError) as caught:
        Desk().write(GetNote(number=1))
    assert (
        caught.value.message
        == "desk has no write action taking GetNote; its write actions take AddNote, Appointment"
    )
    with pytest.raises(ValidationError, match="no draft action taking ListNotes"):
        Desk().draft(ListNotes(repo="acme/web"))


def test_an_unknown_action_name_lists_the_actions_there_are() -> None:
    with pytest.raises(NotFound) as caught:
        Desk.spec("delete_note")
    assert caught.value.message == (
        "desk has no action 'delete_note'; it has add_note, draft_invite, draft_note, get_note, invite, "
        "list_notes"
    )


def test_a_connector_keeps_what_it_is_given_and_waits_real_seconds_by_default() -> None:
    drafts, ledger = MemoryDraftStore(), MemoryWriteLedger()
    plain = Connector.__new__(Notes)
    Connector.__init__(
        plain, FakeCredentials(), base_url="https://notes.example", drafts=drafts, ledger=ledger
    )
    assert (plain.base_url, plain.drafts, plain.ledger) == ("https://notes.example", drafts, ledger)
    assert (plain.sleep, plain.commit_wait) == (time.sleep, time.sleep)
    assert plain.credentials.connection_id == "github-mona-1"
    assert repr(plain) == "<Notes connection='github-mona-1'>"
    assert "tok-1" not in repr(plain)


def test_a_draft_keeps_the_exact_change_its_connection_and_who_drafted_it() -> None:
    desk = Desk()
    change = _appointment(to=("lee@acme.com", "ana@acme.com"))
    bot = Attribution("triage-bot", "grt_1")
    draft = desk.draft(change, attribution=bot)
    payload = {"title": "retro", "at": "2026-12-03T10:00:00Z", "to": ["lee@acme.com", "ana@acme.com"]}
    assert desk.given == [("draft_invite", change, bot)]
    assert draft.model_dump(exclude={"id", "created_at"}) == {
        "connector": "desk",
        "connection": "github-mona-1",
        "action": "invite",
        "change": payload,
        "payload_hash": payload_hash("invite", payload),
        "preview": "invite ['lee@acme.com', 'ana@acme.com'] to retro",
        "location": "store",
        "native_ref": None,
        "native_digest": None,
        "url": "https://desk.example/d/1",
        "agent": "triage-bot",
        "grant_id": "grt_1",
        "committed": False,
    }
    assert desk.drafts.get(draft.id) == draft
    anonymous = desk.draft(change)
    assert (anonymous.agent, anonymous.grant_id, anonymous.payload_hash) == (None, None, draft.payload_hash)


def test_draft_ids_are_drf_and_96_random_bits() -> None:
    ids = {Desk().draft(_appointment()).id for _ in range(20)}
    assert len(ids) == 20
    for draft_id in ids:
        assert draft_id.startswith("drf_")
        assert len(draft_id) == 4 + 16  # 12 bytes, url-safe base64


def test_a_native_draft_says_where_it_lives_and_what_binds_it() -> None:
    draft = NativeNotes(FakeCredentials()).draft(AddNote(repo="acme/web", text="hi"))
    assert (draft.location, draft.native_ref, draft.native_digest) == ("native", "n-1", "sha256:reviewed")
    assert draft.preview == "hi"


def test_an_unbound_native_draft_is_refused_saying_why() -> None:
    unbound = NativeNotes(FakeCredentials())
    unbound.digest = None
    undeclared = UndeclaredNativeNotes(FakeCredentials())
    tail = (
        "so an edit in the service after review could not be caught; Charter did not keep it and it "
        "cannot be sent. The draft handler must return the digest of the whole draft as the service "
        "holds it."
    )
    assert _refusal(lambda: unbound.draft(AddNote(repo="acme/web", text="hi"))) == (
        "connector 'native_notes' made native draft n-1 for draft_native_note, but it came without "
        "native_digest, " + tail
    )
    assert _refusal(lambda: undeclared.draft(AddNote(repo="acme/web", text="hi"))) == (
        "connector 'undeclared_native_notes' made native draft n-1 for draft_native_note, but its "
        "action is not declared native=True, " + tail
    )


def test_committing_a_draft_writes_its_change_under_its_own_key_with_the_draft() -> None:
    desk = Desk()
    bot = Attribution("triage-bot", "grt_1")
    first, second = desk.draft(_appointment("retro")), desk.draft(_appointment("standup"))
    one = desk.write(first.id, attribution=bot)
    two = desk.write(second.id)
    assert desk.written == ["retro", "standup"]
    assert (one.idempotency_key, one.draft_id, one.replayed) == (f"draft:{first.id}", first.id, False)
    assert (two.idempotency_key, two.draft_id) == (f"draft:{second.id}", second.id)
    ctx = desk.given[-2][2]
    assert isinstance(ctx, WriteContext)
    assert (ctx.idempotency_key, ctx.attribution, ctx.draft) == (f"draft:{first.id}", bot, first)
    assert desk.given[-2][1] == _appointment("retro")
    stored = desk.drafts.get(first.id)
    assert stored is not None
    assert stored.committed
    assert desk.write(first.id).replayed
    assert desk.write(first.id, idempotency_key="mine").idempotency_key == "mine"
    assert desk.written == ["retro", "standup", "retro"]


def test_a_draft_unknown_or_made_by_another_connector_is_not_found() -> None:
    notes = Notes(FakeCredentials())
    desk = Desk()
    desk.drafts = notes.drafts
    theirs = notes.draft(AddNote(repo="acme/web", text="hi"))
    for missing in (theirs.id, "drf_nothing"):
        with pytest.raises(NotFound) as caught:
            desk.write(missing)
        assert caught.value.message == f"no desk draft {missing!r}; create one with a draft action"
    assert desk.written == []
    assert notes.written == []


def test_a_write_without_a_key_is_keyed_by_its_connection_and_change() -> None:
    desk = Desk()
    payload = {"title": "retro", "at": "2026-12-03T10:00:00Z", "to": ["lee@acme.com"]}
    result = desk.write(_appointment("retro"))
    assert result.idempotency_key == "auto:github-mona-1:" + payload_hash("invite", payload)
    other = desk.write(_appointment("standup"))
    assert other.idempotency_key != result.idempotency_key
    assert not other.replayed
    assert desk.write(_appointment("retro")).replayed
    assert desk.written == ["retro", "standup"]


def test_a_write_hands_its_handler_the_change_and_the_attribution() -> None:
    desk = Desk()
    bot = Attribution("triage-bot", "grt_1")
    desk.write(_appointment(), idempotency_key="k", attribution=bot)
    name, change, ctx = desk.given[-1]
    assert (name, change) == ("invite", _appointment())
    assert isinstance(ctx, WriteContext)
    assert (ctx.idempotency_key, ctx.attribution, ctx.draft, ctx.attempt) == ("k", bot, None, 1)


class Reentrant(Desk):
    """A write handler during which a second caller tries the same key."""

    name = "reentrant"
    second: list[object]

    @action("write", scopes=("repo",), reaches="domain")
    def invite(self, change: Appointment, ctx: WriteContext) -> WriteResult:
        """Send an invitation."""
        try:
            self.second.append(self.write(change, idempotency_key=ctx.idempotency_key))
        except OutcomeUnknown as exc:
            self.second.append(exc)
        self.written.append(change.title)
        return WriteResult(action="invite", id="i1", idempotency_key=ctx.idempotency_key)


def test_a_key_is_held_while_its_write_runs_and_a_second_caller_sends_nothing() -> None:
    desk = Reentrant()
    desk.second = []
    result = desk.write(_appointment(), idempotency_key="k-held")
    assert desk.written == ["retro"]
    [refusal] = desk.second
    assert isinstance(refusal, OutcomeUnknown)
    assert refusal.details == {"idempotency_key": "k-held", "action": "invite", "retry_after": 5.0}
    assert "another call is writing under the same key right now" in refusal.message
    assert "look in Desk Service for the change invite makes" in refusal.message
    assert not result.replayed


def test_the_claim_of_a_caller_that_died_blocks_the_key_until_it_expires() -> None:
    desk = Desk()
    now = time.time()
    # A caller claimed the key and died before sending anything.
    assert desk.ledger.claim("k-dead", "invite", now=now, until=now + 60) is not None
    with pytest.raises(OutcomeUnknown):
        desk.write(_appointment(), idempotency_key="k-dead")
    assert desk.written == []
    # Control: once its claim has run out, the next caller writes.
    assert desk.ledger.claim("k-gone", "invite", now=now, until=now - 1) is not None
    assert not desk.write(_appointment(), idempotency_key="k-gone").replayed
    assert desk.written == ["retro"]


def _finish_first(ledger: WriteLedger, other_caller: Any) -> None:
    """Widen the race: `other_caller` runs to its end just before this ledger's next claim."""
    claim = ledger.claim

    def racing_claim(key: str, action: str, *, now: float, until: float) -> WriteIntent | None:
        ledger.claim = claim  # type: ignore[method-assign]
        other_caller()
        return claim(key, action, now=now, until=until)

    ledger.claim = racing_claim  # type: ignore[method-assign]


def _race(ledger: WriteLedger) -> None:
    mine, theirs = Desk(), Desk()
    mine.ledger = theirs.ledger = ledger
    _finish_first(ledger, lambda: theirs.write(_appointment(), idempotency_key="k-race"))
    result = mine.write(_appointment(), idempotency_key="k-race")
    assert (mine.written, theirs.written) == ([], ["retro"])
    assert (result.replayed, result.id) == (True, "i1")


def test_a_write_finished_by_another_caller_just_before_the_claim_is_replayed_not_repeated() -> None:
    ledger = MemoryWriteLedger()
    _race(ledger)
    # The claim taken to find that out is given up: the key is free for the next caller.
    assert ledger.claim("k-race", "invite", now=time.time(), until=time.time() + 1) is not None


def test_a_replay_found_after_the_claim_leaves_no_intent_in_the_database(home: CharterHome) -> None:
    ledger = SQLWriteLedger(home)
    _race(ledger)
    with home.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(intents_table)).scalar_one() == 0


# -- scopes, refresh, rate limits --------------------------------------------------------------


class Workflows(Notes):
    """A write that needs `workflow` besides `repo` only for notes under `.github/`."""

    name = "workflows"

    def scopes_for(self, spec: ActionSpec, request: BaseModel) -> tuple[str, ...]:
        if isinstance(request, AddNote | ListNotes) and request.repo.startswith(".github/"):
            return (*spec.scopes, "workflow")
        return spec.scopes


def test_a_missing_scope_names_every_scope_to_ask_for() -> None:
    with pytest.raises(ScopeMissing) as caught:
        Workflows(FakeCredentials(scopes=frozenset({"read:user"}))).write(
            AddNote(repo=".github/ci", text="x"), idempotency_key="k"
        )
    assert caught.value.message == (
        "add_note needs the github scope(s) repo, workflow for this call, which this connection was "
        "not granted; connect github again asking for repo, workflow."
    )
    assert caught.value.details == {"missing": ["repo", "workflow"]}


def test_the_scopes_a_call_needs_are_decided_by_its_arguments() -> None:
    workflows = Workflows(FakeCredentials())
    with pytest.raises(ScopeMissing) as caught:
        workflows.read(ListNotes(repo=".github/ci"))
    assert caught.value.details == {"missing": ["workflow"]}
    with pytest.raises(ScopeMissing):
        workflows.write(AddNote(repo=".github/ci", text="x"), idempotency_key="k")
    with pytest.raises(ScopeMissing):
        workflows.draft(AddNote(repo=".github/ci", text="x"))
    assert workflows.calls == []
    assert workflows.written == []
    assert len(workflows.read(ListNotes(repo="acme/web")).items) == 2


def test_a_second_rejection_after_the_refresh_names_the_connection_to_reconnect() -> None:
    notes = Notes(FakeCredentials())
    notes.fail_reads = [TokenRejected(), TokenRejected(), TokenRejected()]
    with pytest.raises(AuthRequired) as caught:
        notes.read(ListNotes(repo="acme/web"))
    assert caught.value.message == (
        "github rejected the token even after a refresh; connect github again (connection github-mona-1)."
    )
    assert notes.credentials.refreshes == ["tok-1"]  # type: ignore[attr-defined]
    assert len(notes.calls) == 2


def test_a_rate_limit_without_retry_after_waits_one_second() -> None:
    notes = Notes(FakeCredentials())
    notes.fail_reads = [RateLimited("slow down")]
    notes.read(ListNotes(repo="acme/web"))
    assert notes.slept_for == [1.0]


def test_the_rate_limit_budget_counts_every_wait_of_one_call_and_includes_its_end() -> None:
    notes = Notes(FakeCredentials())
    notes.fail_reads = [RateLimited("slow", retry_after=30)]
    notes.read(ListNotes(repo="acme/web"))
    assert notes.slept_for == [30.0]
    notes.slept_for.clear()
    notes.fail_reads = [RateLimited("slow", retry_after=w) for w in (10, 10, 15)]
    with pytest.raises(RateLimited):
        notes.read(ListNotes(repo="acme/web"))
    assert notes.slept_for == [10.0, 10.0]
    notes.slept_for.clear()
    notes.fail_reads = [RateLimited("slow", retry_after=w) for w in (10, 10, 10)]
    assert len(notes.read(ListNotes(repo="acme/web")).items) == 2
    assert notes.slept_for == [10.0, 10.0, 10.0]


# -- collect -----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_collect_stops_at_its_limit_without_reading_further(limit: int) -> None:
    notes = Notes(FakeCredentials())
    assert [n.id for n in notes.collect(ListNotes(repo="acme/web"), limit=limit)] == [
        str(i) for i in range(limit)
    ]
    assert notes.calls == ["read None", "read 2", "read 4"][: (limit + 1) // 2]


def test_collect_of_a_read_that_is_not_paginated_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        list(Desk().collect(GetNote(number=1)))
    assert caught.value.message == "GetNote is not a paginated read"


class Looping(Notes):
    """A service that hands back its first cursor again."""

    name = "looping"

    @action("read", scopes=("repo",))
    def list_notes(self, request: ListNotes) -> Page[Note]:
        """List notes."""
        self.calls.append(f"read {request.cursor}")
        item = Note(id=request.cursor or "0", provenance=Provenance(connector="looping", id="n"), text="t")
        return Page[Note](items=[item], next_cursor="b" if request.cursor == "a" else "a")


@pytest.mark.parametrize(("display_name", "service"), [("", "looping"), ("Loop Service", "Loop Service")])
def test_a_listing_that_repeats_a_cursor_is_stopped_naming_the_service(
    display_name: str, service: str
) -> None:
    looping = Looping(FakeCredentials())
    looping.display_name = display_name
    with pytest.raises(UpstreamError) as caught:
        list(looping.collect(ListNotes(repo="acme/web")))
    assert caught.value.message == (
        f"{service} sent the same page cursor twice while listing ListNotes; "
        "stopped instead of reading it again. Try again later."
    )
    assert looping.calls == ["read None", "read a", "read b"]
    assert (
        looping.where_to_look(looping.actions["add_note"], "k")
        == f"look in {service} for the change add_note makes"
    )


# -- reach and weigh ---------------------------------------------------------------------------


class Mail(Change):
    to: list[str] = recipient_field("recipients")
    cc: str | None = recipient_field("one more recipient", default=None)
    body: str = ""


class Post(Change):
    text: str
    public: bool = False


class Mailer(Connector):
    """Mail reaches whom it names; a post reaches the public when it says so (decided by the service)."""

    name, provider = "mailer", "github"

    @action("draft", scopes=("repo",), commits="send", reaches="person")
    def draft_mail(self, change: Mail, attribution: Attribution | None) -> DraftPreview:
        """Draft mail."""
        return DraftPreview(preview=change.body)

    @action("write", scopes=("repo",), risks=("bulk",), reaches="outsiders")
    def send(self, change: Mail, ctx: WriteContext) -> WriteResult:
        """Send mail."""
        raise NotImplementedError

    @action("write", scopes=("repo",), reaches="public")
    def post(self, change: Post, ctx: WriteContext) -> WriteResult:
        """Post a note."""
        raise NotImplementedError

    def reach_for(self, spec: ActionSpec, request: BaseModel) -> Any:
        if isinstance(request, Post):
            return "public" if request.public else "domain"
        return super().reach_for(spec, request)

    def risks_for(self, spec: ActionSpec, request: BaseModel) -> Any:
        if isinstance(request, Mail) and len(request.to) > 2:
            return spec.risks | {"sharing"}
        return spec.risks


class Account(FakeCredentials):
    account = "mona@acme.com"


@pytest.mark.parametrize(
    ("to", "cc", "reach", "risks"),
    [
        (["mona@acme.com"], None, "person", {"bulk"}),
        (["lee@acme.com"], "MONA@acme.com", "domain", {"bulk"}),
        (["lee@acme.com"], "eve@evil.example", "outsiders", {"bulk", "external"}),
        (["lee@acme.com", "ana@acme.com", "kai@acme.com"], None, "domain", {"bulk", "sharing"}),
        (["a@acme.co", "b@acme.com", "c@acme.com"], None, "outsiders", {"bulk", "sharing", "external"}),
    ],
)
def test_weigh_makes_a_call_reaching_outsiders_external_and_keeps_its_own_risks(
    to: list[str], cc: str | None, reach: str, risks: set[str]
) -> None:
    mailer = Mailer(Account())
    spec = mailer.spec("send")
    assert mailer.weigh(spec, Mail(to=to, cc=cc)) == (frozenset(risks), reach)


def test_weigh_asks_the_connector_when_the_service_decides_the_reach() -> None:
    mailer = Mailer(Account())
    post = mailer.spec("post")
    assert mailer.weigh(post, Post(text="hi", public=True)) == (frozenset({"external"}), "public")
    assert mailer.weigh(post, Post(text="hi")) == (frozenset(), "domain")
    # A draft reaches the person whatever it names; a read declares no reach.
    assert mailer.weigh(mailer.spec("draft_mail"), Mail(to=["eve@evil.example"])) == (frozenset(), "person")


def test_a_write_without_recipient_fields_reaches_what_it_declares() -> None:
    native = NativeNotes(FakeCredentials())
    assert native.weigh(native.spec("add_note"), AddNote(repo="acme/web", text="x")) == (
        frozenset(),
        "domain",
    )
    # A write that declares no reach is not given one by its recipients: the contract suite flags it.
    undeclared = Mailer(Account())
    spec = ActionSpec("send", "write", Mail, WriteResult, (), frozenset(), "Send.")
    assert undeclared.reach_for(spec, Mail(to=["eve@evil.example"])) is None


def test_reach_of_addresses_reads_every_address_after_the_accounts_own() -> None:
    assert reach_of_addresses(["mona@acme.com", "eve@evil.example"], "mona@acme.com") == "outsiders"
    assert reach_of_addresses(["Mona <MONA@acme.com>", "lee@acme.com"], " Mona@Acme.com ") == "domain"
    assert reach_of_addresses([], "mona@acme.com") == "person"


def test_an_account_without_a_domain_makes_every_other_address_outside() -> None:
    assert reach_of_addresses(["lee@mona"], "mona") == "outsiders"
    assert reach_of_addresses(["lee@acme.com"], None) == "outsiders"
    assert reach_of_addresses(["mona"], "mona") == "person"


def test_an_address_is_split_at_its_last_at_sign() -> None:
    # A quoted local part may hold an "@"; the domain is what follows the last one.
    assert reach_of_addresses(['"eve@evil.example"@acme.com'], "mona@acme.com") == "domain"
    assert reach_of_addresses(['"lee@acme.com"@evil.example'], "mona@acme.com") == "outsiders"
    assert reach_of_addresses(["lee@acme.com"], '"m@home"@acme.com') == "domain"


@pytest.mark.parametrize(
    "value",
    [
        "eve@evil.example, lee@acme.com",
        "eve@evil.example;lee@acme.com",
        "eve@evil.example lee@acme.com",
        "lee@acme.com\nBcc: eve@evil.example",
        '"lee@acme.com" <eve@evil.example>',
        " ",
        "<>",
        "",
    ],
)
def test_a_value_naming_no_address_or_several_reaches_outsiders(value: str) -> None:
    # A connector author's field without a pattern may carry any of these; the base fails closed.
    assert reach_of_addresses([value], "mona@acme.com") == "outsiders"
    assert reach_of_addresses([value], None) == "outsiders"


def test_one_address_with_a_display_name_or_comment_is_that_address() -> None:
    # Controls: the same spellings naming one address in the domain are judged by that address.
    assert reach_of_addresses(['"eve@evil.example" <lee@acme.com>'], "mona@acme.com") == "domain"
    assert reach_of_addresses(["lee@acme.com (eve@evil.example)"], "mona@acme.com") == "domain"
    assert reach_of_addresses(["Mona <mona@acme.com>"], "mona@acme.com") == "person"


# -- validation of requests --------------------------------------------------------------------


class Window(Change):
    start: int
    end: int
    guests: list[dict[str, int]] = []

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("end before start")
        return self


def test_invalid_arguments_are_spelled_out_field_by_field() -> None:
    spec = ActionSpec("book", "write", Window, WriteResult, (), frozenset(), "Book.")
    with pytest.raises(ValidationError) as caught:
        validate_request(spec, {"start": "x", "end": 1, "guests": [{"n": "y"}]})
    assert caught.value.message == (
        "invalid arguments for book: start: Input should be a valid integer, unable to parse string "
        "as an integer; guests.0.n: Input should be a valid integer, unable to parse string as an "
        "integer. Nothing was sent; fix them and call again."
    )
    assert caught.value.details == {
        "problems": [
            {
                "field": "start",
                "problem": "Input should be a valid integer, unable to parse string as an integer",
            },
            {
                "field": "guests.0.n",
                "problem": "Input should be a valid integer, unable to parse string as an integer",
            },
        ]
    }


def test_a_problem_of_the_arguments_as_a_whole_is_named_as_such() -> None:
    spec = ActionSpec("book", "write", Window, WriteResult, (), frozenset(), "Book.")
    with pytest.raises(ValidationError) as caught:
        validate_request(spec, {"start": 2, "end": 1})
    assert caught.value.message == (
        "invalid arguments for book: arguments: Value error, end before start. Nothing was sent; fix "
        "them and call again."
    )
    assert caught.value.details == {"problems": [{"field": "", "problem": "Value error, end before start"}]}
    assert validate_request(spec, {"start": 1, "end": 2}) == Window(start=1, end=2)
