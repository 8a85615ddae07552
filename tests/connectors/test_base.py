"""The connector base: declarations, dispatch, scope checks, refresh, rate limits, exactly-once writes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel

from charter.connectors import (
    Attribution,
    Connector,
    DraftPreview,
    TokenRejected,
    WriteContext,
    action,
    constrained_fields,
    resource_field,
    validate_request,
)
from charter.schemas import (
    AuthRequired,
    Change,
    ConfigurationError,
    Page,
    Provenance,
    RateLimited,
    Resource,
    ScopeMissing,
    UpstreamError,
    ValidationError,
    WriteResult,
)


@dataclass
class FakeCredentials:
    scopes: frozenset[str] = frozenset({"repo"})
    token: str = "tok-1"
    refreshes: list[str] = field(default_factory=list)

    connection_id = "github-mona-1"
    account = "mona"

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self.scopes

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str) -> str:
        self.refreshes.append(rejected)
        self.token = f"tok-{len(self.refreshes) + 1}"
        return self.token


class ListNotes(BaseModel):
    repo: str = resource_field("repos", "owner/name")
    cursor: str | None = None


class Note(Resource):
    text: str


class AddNote(Change):
    repo: str = resource_field("repos", "owner/name")
    text: str


class Notes(Connector):
    name = "notes"
    provider = "github"

    def __init__(self, credentials: FakeCredentials) -> None:
        super().__init__(credentials)
        self.calls: list[str] = []
        self.written: list[str] = []
        self.fail_reads: list[Exception] = []
        self.fail_writes: list[Exception] = []
        self.slept_for: list[float] = []
        self.sleep = self.slept_for.append

    @action("read", scopes=("repo",))
    def list_notes(self, request: ListNotes) -> Page[Note]:
        """List notes, two per page."""
        self.calls.append(f"read {request.cursor}")
        if self.fail_reads:
            raise self.fail_reads.pop(0)
        start = int(request.cursor or 0)
        items = [
            Note(id=str(i), provenance=Provenance(connector="notes", id=str(i)), text=f"n{i}")
            for i in range(start, min(start + 2, 5))
        ]
        return Page[Note](items=items, next_cursor=str(start + 2) if start + 2 < 5 else None)

    @action("draft", scopes=("repo",), commits="add_note")
    def draft_note(self, change: AddNote, attribution: Attribution | None) -> DraftPreview:
        """Draft a note."""
        return DraftPreview(preview=f"add note {change.text!r}")

    @action("write", scopes=("repo",), risks=("external",))
    def add_note(self, change: AddNote, ctx: WriteContext) -> WriteResult:
        """Add a note."""
        self.calls.append(f"write attempt {ctx.attempt}")
        if ctx.is_retry and change.text in self.written:
            return WriteResult(action="add_note", id=change.text, idempotency_key=ctx.idempotency_key)
        if self.fail_writes:
            error = self.fail_writes.pop(0)
            if isinstance(error, UpstreamError) and error.details.get("after_commit"):
                self.written.append(change.text)
            raise error
        self.written.append(change.text)
        return WriteResult(action="add_note", id=change.text, idempotency_key=ctx.idempotency_key)


@pytest.fixture
def notes() -> Notes:
    return Notes(FakeCredentials())


def test_actions_take_models_scopes_and_descriptions_from_the_code() -> None:
    spec = Notes.actions["list_notes"]
    assert (spec.verb, spec.request, spec.scopes) == ("read", ListNotes, ("repo",))
    assert spec.description == "List notes, two per page."
    assert Notes.actions["draft_note"].commits == "add_note"
    assert Notes.actions["add_note"].risks == frozenset({"external"})
    assert constrained_fields(AddNote) == {"repo": "repos"}


def test_a_declaration_without_docstring_or_with_a_plain_model_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="docstring"):

        class NoDoc(Connector):
            name, provider = "x", "github"

            @action("read", scopes=())
            def list_notes(self, request: ListNotes) -> Page[Note]:
                raise NotImplementedError

    with pytest.raises(ConfigurationError, match="subclass Change"):

        class PlainChange(Connector):
            name, provider = "x", "github"

            @action("write", scopes=())
            def add(self, change: ListNotes, ctx: WriteContext) -> WriteResult:
                """Add."""
                raise NotImplementedError


def test_unknown_risk_tags_and_orphan_drafts_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown risk"):
        action("write", scopes=(), risks=("scary",))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="must name the write action"):
        action("draft", scopes=())


def test_read_follows_cursors_to_the_end(notes: Notes) -> None:
    assert [n.id for n in notes.collect(ListNotes(repo="acme/web"))] == ["0", "1", "2", "3", "4"]


def test_a_request_of_the_wrong_verb_is_a_validation_error(notes: Notes) -> None:
    with pytest.raises(ValidationError, match="no read action taking AddNote"):
        notes.read(AddNote(repo="acme/web", text="x"))


def test_a_missing_scope_is_refused_before_the_handler_runs() -> None:
    notes = Notes(FakeCredentials(scopes=frozenset({"read:user"})))
    with pytest.raises(ScopeMissing, match="repo"):
        notes.read(ListNotes(repo="acme/web"))
    assert notes.calls == []


def test_an_implied_scope_counts_as_granted() -> None:
    class Public(Connector):
        name, provider = "public", "github"

        @action("read", scopes=("public_repo",))
        def list_notes(self, request: ListNotes) -> Page[Note]:
            """List."""
            return Page[Note](items=[])

    assert Public(FakeCredentials(scopes=frozenset({"repo"}))).read(ListNotes(repo="a/b")).items == []


def test_a_rejected_token_is_refreshed_once_then_the_call_succeeds(notes: Notes) -> None:
    notes.fail_reads = [TokenRejected()]
    assert len(notes.read(ListNotes(repo="acme/web")).items) == 2
    assert notes.credentials.refreshes == ["tok-1"]  # type: ignore[attr-defined]


def test_a_token_rejected_after_refresh_asks_the_person_to_reconnect(notes: Notes) -> None:
    notes.fail_reads = [TokenRejected(), TokenRejected()]
    with pytest.raises(AuthRequired, match="connect github again"):
        notes.read(ListNotes(repo="acme/web"))


def test_rate_limits_wait_as_told_then_give_up_past_the_budget(notes: Notes) -> None:
    notes.fail_reads = [RateLimited("slow down", retry_after=2)]
    notes.read(ListNotes(repo="acme/web"))
    assert notes.slept_for == [2.0]
    notes.fail_reads = [RateLimited("slow down", retry_after=60)]
    with pytest.raises(RateLimited):
        notes.read(ListNotes(repo="acme/web"))


def test_a_write_lost_after_commit_is_not_repeated(notes: Notes) -> None:
    notes.fail_writes = [UpstreamError("connection dropped", after_commit=True)]
    result = notes.write(AddNote(repo="acme/web", text="hello"), idempotency_key="k1")
    assert notes.written == ["hello"]
    assert result.idempotency_key == "k1"
    assert notes.calls == ["write attempt 1", "write attempt 2"]


def test_a_repeated_key_replays_instead_of_writing(notes: Notes) -> None:
    first = notes.write(AddNote(repo="acme/web", text="hello"), idempotency_key="k1")
    again = notes.write(AddNote(repo="acme/web", text="hello"), idempotency_key="k1")
    assert notes.written == ["hello"]
    assert (first.replayed, again.replayed) == (False, True)


def test_a_draft_commits_once_and_is_marked_committed(notes: Notes) -> None:
    draft = notes.draft(AddNote(repo="acme/web", text="hi"), attribution=Attribution("bot", "g1"))
    assert notes.written == []
    assert (draft.action, draft.location, draft.grant_id) == ("add_note", "store", "g1")
    notes.write(draft.id)
    notes.write(draft.id)
    assert notes.written == ["hi"]
    stored = notes.drafts.get(draft.id)
    assert stored is not None
    assert stored.committed


def test_invalid_arguments_name_each_field_and_say_nothing_was_sent() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_request(Notes.actions["add_note"], {"repo": "acme/web", "text": 3, "extra": 1})
    fields = {p["field"] for p in caught.value.details["problems"]}
    assert fields == {"text", "extra"}
    assert "Nothing was sent" in caught.value.message


def test_the_same_change_through_two_connections_is_written_twice() -> None:
    from charter.connectors import MemoryWriteLedger

    ledger = MemoryWriteLedger()
    other = FakeCredentials()
    other.connection_id = "github-hubot-2"  # type: ignore[misc]
    first, second = Notes(FakeCredentials()), Notes(other)
    first.ledger = second.ledger = ledger
    first.write(AddNote(repo="acme/web", text="hello"))
    replay = second.write(AddNote(repo="acme/web", text="hello"))
    assert not replay.replayed
    assert second.written == ["hello"]


class NativeNotes(Connector):
    """Drafts held in the service; `digest` is what its draft handler says binds them."""

    name = "native_notes"
    provider = "github"
    digest: str | None = "sha256:reviewed"

    @action("draft", scopes=("repo",), commits="add_note", native=True, reaches="person")
    def draft_native_note(self, change: AddNote, attribution: Attribution | None) -> DraftPreview:
        """Draft a note the service holds."""
        return DraftPreview(preview=change.text, native_ref="n-1", native_digest=self.digest)

    @action("write", scopes=("repo",), reaches="domain")
    def add_note(self, change: AddNote, ctx: WriteContext) -> WriteResult:
        """Add a note."""
        return WriteResult(action="add_note", id=change.text, idempotency_key=ctx.idempotency_key)


class UndeclaredNativeNotes(NativeNotes):
    """The same draft handler, its action not declared native."""

    name = "undeclared_native_notes"

    @action("draft", scopes=("repo",), commits="add_note", reaches="person")
    def draft_native_note(self, change: AddNote, attribution: Attribution | None) -> DraftPreview:
        """Draft a note the service holds."""
        return DraftPreview(preview=change.text, native_ref="n-1", native_digest=self.digest)


@pytest.mark.parametrize(
    ("cls", "digest"), [(NativeNotes, None), (NativeNotes, ""), (UndeclaredNativeNotes, "sha256:reviewed")]
)
def test_a_native_draft_is_kept_only_bound_to_all_of_it(cls: type[NativeNotes], digest: str | None) -> None:
    # An unbound native draft could be edited in the service after review and still be sent; one
    # the action does not declare native would claim a privacy its declaration never promised.
    notes = cls(FakeCredentials())
    notes.digest = digest
    saved: list[object] = []
    notes.drafts.save = saved.append  # type: ignore[method-assign]
    with pytest.raises(ConfigurationError, match="native draft n-1"):
        notes.draft(AddNote(repo="acme/web", text="hi"))
    assert saved == []


def test_control_a_native_draft_bound_by_its_digest_is_kept() -> None:
    draft = NativeNotes(FakeCredentials()).draft(AddNote(repo="acme/web", text="hi"))
    assert (draft.location, draft.native_ref, draft.native_digest) == ("native", "n-1", "sha256:reviewed")
