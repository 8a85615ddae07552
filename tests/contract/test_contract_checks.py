"""Each contract check fails on a connector that breaks the rule it is about."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from charter.connectors.base import Attribution, Connector, DraftPreview, WriteContext, action
from charter.contract_tests import canary, checks
from charter.contract_tests.declarations import action_problems, connector_problems
from charter.contract_tests.running import read_all
from charter.contract_tests.toolkit_canary import toolkit_exposure
from charter.schemas import (
    AuthRequired,
    NotFound,
    Page,
    ScopeMissing,
    UpstreamError,
    ValidationError,
    WriteResult,
)
from charter_notes import READ_SCOPE, WRITE_SCOPE, NotesConnector
from charter_notes.models import CreateNote, GetNote, ListNotes, Note
from charter_notes.testing import NotesHarness


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Iterator[NotesHarness]:
    """A started notes harness whose connector is the test's `connector` parameter."""
    connector: type[Connector] = request.param
    harness_cls = type("BrokenHarness", (NotesHarness,), {"connector_cls": connector})
    harness = harness_cls()
    harness.start()
    harness.reset()
    yield harness
    harness.stop()


def broken(connector: type[Connector]) -> Any:
    return pytest.mark.parametrize("harness", [connector], indirect=True, ids=[connector.__name__])


class WritesAgainOnRetry(NotesConnector):
    def create_note(self, change: Any, ctx: WriteContext) -> WriteResult:
        created = self.send("POST", "/notes", {"title": change.title, "body": change.body})
        return WriteResult(action="create_note", id=str(created.body["number"]), idempotency_key="")


class RemembersOnlyInMemory(NotesConnector):
    """Finds a lost write on an in-call retry by what this instance remembers, not in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: dict[str, int] = {}

    def create_note(self, change: Any, ctx: WriteContext) -> WriteResult:
        if ctx.is_retry and ctx.idempotency_key in self.sent:
            return WriteResult(
                action="create_note", id=str(self.sent[ctx.idempotency_key]), idempotency_key=""
            )
        self.sent[ctx.idempotency_key] = len(self.send("GET", "/notes", {"per_page": 100}).body) + 1
        created = self.send("POST", "/notes", {"title": change.title, "body": change.body})
        return WriteResult(action="create_note", id=str(created.body["number"]), idempotency_key="")


class DraftCreatesTheNote(NotesConnector):
    def draft_note(self, change: Any, attribution: Attribution | None) -> DraftPreview:
        self.send("POST", "/notes", {"title": change.title})
        return DraftPreview(preview=change.title)


class AsksForTooMuch(NotesConnector):
    @action("read", scopes=(READ_SCOPE, WRITE_SCOPE))
    def get_note(self, request: GetNote) -> Note:
        """Get one note by number."""
        return self.note(self.send("GET", f"/notes/{request.number}").body)


class ArchiveAsRead(GetNote):
    pass


class LooseGetNote(BaseModel):
    number: int


class AsksForTooLittle(NotesConnector):
    @action("read", scopes=(READ_SCOPE,))
    def archive_note(self, request: ArchiveAsRead) -> Note:  # type: ignore[override]
        """Archive a note, declared as if it were a read."""
        return self.note(self.send("POST", f"/notes/{request.number}/archive").body)


class HidesScopeErrors(NotesConnector):
    def check(self, response: Any) -> Any:
        if response.status == 403:
            raise NotFound("no such note")
        return super().check(response)


class PaginationLoops(NotesConnector):
    def list_notes(self, request: ListNotes) -> Page[Note]:
        page = super().list_notes(request.model_copy(update={"cursor": None}))
        return page.model_copy(update={"next_cursor": "2"})


class PaginationStopsEarly(NotesConnector):
    def list_notes(self, request: ListNotes) -> Page[Note]:
        return super().list_notes(request).model_copy(update={"next_cursor": None})


class PagesOverlap(NotesConnector):
    def list_notes(self, request: ListNotes) -> Page[Note]:
        page = super().list_notes(request)
        if request.cursor:
            first = super().list_notes(request.model_copy(update={"cursor": None}))
            page = page.model_copy(update={"items": first.items[-1:] + page.items})
        return page


class RereadDiffers(NotesConnector):
    reads = 0

    def get_note(self, request: GetNote) -> Note:
        self.reads += 1
        note = super().get_note(request)
        return note.model_copy(update={"title": f"{note.title} ({self.reads})"})


class ValidatesAfterSending(NotesConnector):
    @action("read", scopes=(READ_SCOPE,))
    def get_note(self, request: LooseGetNote) -> Note:  # type: ignore[override]
        """Get one note by number."""
        self.send("GET", "/notes")
        if request.number < 1:
            raise ValidationError("number must be positive")
        return self.note(self.send("GET", f"/notes/{request.number}").body)


class NeverRefreshes(NotesConnector):
    def check(self, response: Any) -> Any:
        if response.status == 401:
            raise AuthRequired("connect notes again")
        return super().check(response)


class RefreshFailsAsUpstream(NotesConnector):
    def check(self, response: Any) -> Any:
        if response.status == 401:
            raise UpstreamError("notes failed")
        return super().check(response)


class RetriesAtOnce(NotesConnector):
    def check(self, response: Any) -> Any:
        if response.status == 429:
            return self.send("GET", "/notes", {"per_page": 10})
        return super().check(response)


class LogsTheToken(NotesConnector):
    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        logging.getLogger("notes").debug("%s %s token=%s", method, path, self.credentials.access_token())
        return super().send(method, path, body)


class ErrorShowsTheToken(NotesConnector):
    def check(self, response: Any) -> Any:
        if response.status == 403:
            raise ScopeMissing(f"token {self.credentials.access_token()} lacks a scope")
        return super().check(response)


@broken(WritesAgainOnRetry)
def test_a_write_repeated_after_a_lost_response_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="visible 2 times"):
        checks.check_commits_exactly_once(harness, "create_note", "drop-after-commit")


@broken(WritesAgainOnRetry)
def test_a_write_resent_by_a_later_caller_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match=r"later caller .* visible 2 times"):
        checks.check_lost_answer_is_found_by_a_later_caller(harness, "create_note")


@broken(RemembersOnlyInMemory)
def test_a_connector_that_reconciles_only_from_memory_is_caught(harness: NotesHarness) -> None:
    # The in-call variant cannot tell: the same instance retries and remembers.
    checks.check_commits_exactly_once(harness, "create_note", "drop-after-commit")
    harness.reset()
    with pytest.raises(AssertionError, match=r"later caller .* visible 2 times"):
        checks.check_lost_answer_is_found_by_a_later_caller(harness, "create_note")


@broken(DraftCreatesTheNote)
def test_a_draft_with_a_visible_side_effect_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="changed what others see"):
        checks.check_draft_is_invisible(harness, "draft_note")


@broken(AsksForTooMuch)
def test_a_scope_the_provider_does_not_need_is_caught(harness: NotesHarness) -> None:
    checks.check_provider_needs_scope(harness, "get_note", READ_SCOPE)
    with pytest.raises(AssertionError, match="not needed"):
        checks.check_provider_needs_scope(harness, "get_note", WRITE_SCOPE)


@broken(AsksForTooLittle)
def test_declared_scopes_that_do_not_suffice_are_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="failed with only its declared scopes"):
        checks.check_declared_scopes_suffice(harness, "archive_note")


@broken(HidesScopeErrors)
def test_a_provider_scope_refusal_reported_as_another_error_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="failed with not_found, not scope_missing"):
        checks.check_provider_needs_scope(harness, "get_note", READ_SCOPE)


@broken(NotesConnector)
def test_a_missing_scope_is_refused_without_a_request(harness: NotesHarness) -> None:
    before = harness.request_count()
    checks.check_missing_scope_refused_before_sending(harness, "create_note", WRITE_SCOPE)
    assert harness.request_count() == before


@pytest.mark.parametrize(
    ("harness", "problem"),
    [
        (PaginationLoops, "came back twice"),
        (PaginationStopsEarly, "page"),
        (PagesOverlap, "more than one page"),
    ],
    indirect=["harness"],
    ids=["loops", "stops-early", "overlaps"],
)
def test_broken_pagination_is_caught(harness: NotesHarness, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        checks.check_pagination_reaches_the_end(harness, "list_notes")


@broken(RereadDiffers)
def test_a_repeated_read_that_differs_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="different results"):
        checks.check_repeated_read_is_identical(harness, "get_note")


@broken(ValidatesAfterSending)
def test_invalid_input_that_reaches_the_service_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="sent 1 request"):
        checks.check_invalid_input_sends_nothing(harness, "get_note")


@broken(NeverRefreshes)
def test_an_expired_token_that_is_not_refreshed_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AuthRequired):
        checks.check_expired_token_refreshes_once(harness, "read")


@broken(RefreshFailsAsUpstream)
def test_a_revoked_token_reported_as_another_error_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="upstream_error, not auth_required"):
        checks.check_revoked_token_needs_reconnect(harness)


@broken(RetriesAtOnce)
def test_a_retry_before_retry_after_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match="before"):
        checks.check_retry_after_is_honoured(harness)


@broken(LogsTheToken)
def test_a_token_in_a_debug_log_is_caught(harness: NotesHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AssertionError, match="leaked into: logs"):
        canary.check_canary_never_leaks(harness, lambda: caplog.text)


@broken(ErrorShowsTheToken)
def test_a_token_in_an_error_message_is_caught(harness: NotesHarness) -> None:
    with pytest.raises(AssertionError, match=r"provider refuses\) \(str\)"):
        canary.check_canary_never_leaks(harness, lambda: "")


@broken(NotesConnector)
def test_the_canary_run_covers_successes_and_failures(harness: NotesHarness) -> None:
    exposure = canary.canary_exposure(harness)
    places = " ".join(where for where, _ in exposure.seen)
    for expected in ("(succeeds)", "(invalid)", "(provider refuses)", "(revoked)", "(upstream fails)"):
        assert expected in places


class TitleShowsTheToken(NotesConnector):
    def note(self, raw: dict[str, Any]) -> Note:
        return super().note({**raw, "title": f"{raw['title']} {self.credentials.access_token()}"})


@broken(NotesConnector)
def test_the_canary_also_runs_through_the_toolkit_and_its_audit_log(harness: NotesHarness) -> None:
    exposure = canary.Exposure()
    assert toolkit_exposure(harness, exposure, canary.CANARY)
    places = " ".join(where for where, _ in exposure.seen)
    for expected in ("(valid tool output)", "(invalid tool output)", "(resumed tool output)", "audit log"):
        assert expected in places
    assert '"seq"' in dict(exposure.seen)["audit log"]
    assert exposure.leaks(canary.CANARY) == []


@broken(TitleShowsTheToken)
def test_a_token_in_tool_output_is_caught(harness: NotesHarness) -> None:
    exposure = canary.Exposure()
    toolkit_exposure(harness, exposure, canary.CANARY)
    assert "notes_get_note (valid tool output)" in exposure.leaks(canary.CANARY)


def test_every_page_of_a_read_is_collected() -> None:
    harness = NotesHarness()
    harness.start()
    harness.reset()
    connector = harness.connector(harness.credentials())
    pages = read_all(connector, connector.actions["list_notes"], {"per_page": 10})
    assert [len(p.items) for p in pages if isinstance(p, Page)] == [10, 10, 5]


def test_declaration_problems_are_named() -> None:
    class Sloppy(NotesConnector):
        @action("read", scopes=())
        def list_everything(self, request: ListNotes) -> Page[Note]:
            """List everything there is, and then some more words about it, far beyond what a tool
            description should ever say, which goes on and on to pad the line well past the limit of
            two hundred characters that the suite enforces for descriptions an LLM has to read."""
            raise NotImplementedError

        @action("draft", scopes=(WRITE_SCOPE,), commits="get_note")
        def draft_wrong(self, change: CreateNote, attribution: Attribution | None) -> DraftPreview:
            """Draft something that commits a read."""
            raise NotImplementedError

    listing = " ".join(action_problems(Sloppy, Sloppy.actions["list_everything"]))
    assert "declares no scope" in listing
    assert "keep it under 200" in listing
    assert "is a read action, not a write" in " ".join(action_problems(Sloppy, Sloppy.actions["draft_wrong"]))
    assert action_problems(NotesConnector, NotesConnector.actions["draft_note"]) == []


def test_two_actions_one_request_model_is_a_problem() -> None:
    class Ambiguous(NotesConnector):
        @action("read", scopes=(READ_SCOPE,))
        def get_note_again(self, request: GetNote) -> Note:
            """Get one note by number, again."""
            raise NotImplementedError

    assert any("get_note, get_note_again" in p for p in connector_problems(Ambiguous))
    assert connector_problems(NotesConnector) == []
