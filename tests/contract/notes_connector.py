"""A correct connector over the in-memory notes service, and the harness that runs the suite on it."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from notes_service import READ_SCOPE, WRITE_SCOPE, ConnectionDropped, NotesService, Response
from pydantic import BaseModel, ConfigDict, Field

from charter.connectors.base import Attribution, Connector, DraftPreview, TokenRejected, WriteContext, action
from charter.contract_tests import ContractHarness, Example
from charter.schemas import (
    AuthRequired,
    Change,
    NotFound,
    Page,
    Provenance,
    RateLimited,
    Resource,
    ScopeMissing,
    UpstreamError,
    ValidationError,
    WriteResult,
)

SERVICES: dict[str, NotesService] = {}
_ids = itertools.count(1)


class ListNotes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_page: int = Field(10, ge=1, le=100)
    cursor: str | None = None


class GetNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(gt=0)


class Note(Resource):
    number: int
    title: str
    body: str
    archived: bool


class CreateNote(Change):
    title: str = Field(min_length=1, max_length=100)
    body: str = ""


class ArchiveNote(Change):
    number: int = Field(gt=0)


class NotesConnector(Connector):
    """Notes: list, get, draft, create and archive."""

    name = "notes"
    provider = "github"

    @action("read", scopes=(READ_SCOPE,))
    def list_notes(self, request: ListNotes) -> Page[Note]:
        """List the notes that are not archived, oldest first."""
        page = int(request.cursor or 1)
        response = self.send("GET", "/notes", {"page": page, "per_page": request.per_page})
        following = response.headers.get("X-Next-Page") or None
        return Page[Note](items=[self.note(n) for n in response.body], next_cursor=following)

    @action("read", scopes=(READ_SCOPE,))
    def get_note(self, request: GetNote) -> Note:
        """Get one note by number."""
        return self.note(self.send("GET", f"/notes/{request.number}").body)

    @action("draft", scopes=(WRITE_SCOPE,), commits="create_note", reaches="person")
    def draft_note(self, change: CreateNote, attribution: Attribution | None) -> DraftPreview:
        """Draft a note for review; nothing is created until it is committed."""
        return DraftPreview(preview=f"{change.title}\n\n{change.body}")

    @action("write", scopes=(WRITE_SCOPE,), reaches="domain")
    def create_note(self, change: CreateNote, ctx: WriteContext) -> WriteResult:
        """Create a note."""
        marker = f"<!-- write={ctx.idempotency_key} -->"
        if ctx.is_retry:
            for note in self.send("GET", "/notes", {"per_page": 100}).body:
                if marker in note["body"]:
                    return WriteResult(action="create_note", id=str(note["number"]), idempotency_key="")
        created = self.send("POST", "/notes", {"title": change.title, "body": f"{change.body}\n{marker}"})
        return WriteResult(action="create_note", id=str(created.body["number"]), idempotency_key="")

    @action("write", scopes=(WRITE_SCOPE,), risks=("destructive",), reaches="domain")
    def archive_note(self, change: ArchiveNote, ctx: WriteContext) -> WriteResult:
        """Archive a note so it no longer appears in lists."""
        self.send("POST", f"/notes/{change.number}/archive")
        return WriteResult(action="archive_note", id=str(change.number), idempotency_key="")

    # -- plumbing ----------------------------------------------------------------------------

    def note(self, raw: dict[str, Any]) -> Note:
        provenance = Provenance(connector="notes", id=str(raw["number"]), author="mona")
        return Note(id=str(raw["number"]), provenance=provenance, **raw)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        service = SERVICES[self.base_url or ""]
        try:
            response = service.request(method, path, self.credentials.access_token(), body)
        except ConnectionDropped:
            raise UpstreamError("the notes service closed the connection; try again") from None
        return self.check(response)

    def check(self, response: Response) -> Response:
        status = response.status
        if status == 401:
            raise TokenRejected
        if status == 403:
            scope = response.headers.get("X-Needed-Scope", "")
            raise ScopeMissing(f"notes needs the scope {scope}; connect notes again", missing=[scope])
        if status == 404:
            raise NotFound("no such note")
        if status == 422:
            raise ValidationError(str(response.body["message"]))
        if status == 429:
            raise RateLimited("slow down", retry_after=float(response.headers["Retry-After"]))
        if status >= 500:
            raise UpstreamError(f"notes answered {status}; try again later")
        return response


class NotesCredentials:
    """A notes connection for tests; refresh rotates through the service."""

    def __init__(self, service: NotesService, access: str, refresh: str, claimed: frozenset[str]) -> None:
        self.service, self._access, self._refresh, self._claimed = service, access, refresh, claimed

    connection_id = "notes-mona"
    account = "mona"

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self._claimed

    def access_token(self) -> str:
        return self._access

    def refresh(self, rejected: str) -> str:
        pair = self.service.refresh(self._refresh)
        if pair is None:
            raise AuthRequired("notes refused the refresh token; connect notes again")
        self._access, self._refresh = pair
        return self._access

    def __repr__(self) -> str:
        return f"<NotesCredentials {self.connection_id}>"


class NotesHarness(ContractHarness):
    """The contract harness for the notes connector."""

    connector_cls: ClassVar[type[Connector]] = NotesConnector
    live_env = ("CHARTER_LIVE_NOTES_TOKEN",)
    retry_after = 0.05

    def start(self) -> None:
        self.service = NotesService()
        self.base_url = f"notes://{next(_ids)}"
        SERVICES[self.base_url] = self.service

    def reset(self) -> None:
        self.service.reset()

    def stop(self) -> None:
        SERVICES.pop(self.base_url or "", None)

    def credentials(
        self,
        scopes: Iterable[str] | None = None,
        *,
        claimed: Iterable[str] | None = None,
        canary: str | None = None,
    ) -> NotesCredentials:
        held = frozenset(scopes if scopes is not None else (READ_SCOPE, WRITE_SCOPE))
        access, refresh = self.service.issue(held, canary or "")
        return NotesCredentials(self.service, access, refresh, frozenset(claimed) if claimed else held)

    def examples(self) -> Mapping[str, Example]:
        def titled(title: str) -> int:
            return sum(1 for n in self.service.notes.values() if n["title"] == title)

        return {
            "list_notes": Example({"per_page": 10}, invalid=({"per_page": 0},), min_items=25, min_pages=3),
            "get_note": Example({"number": 3}, invalid=({"number": -1},), refused=({"number": 999},)),
            "draft_note": Example(
                {"title": "Drafted"},
                invalid=({"title": ""},),
                refused=({"title": "   "},),
                observe=lambda: titled("Drafted"),
            ),
            "create_note": Example(
                {"title": "Written"},
                invalid=({"title": ""},),
                refused=({"title": " \t "},),
                observe=lambda: titled("Written"),
            ),
            "archive_note": Example(
                {"number": 3},
                refused=({"number": 999},),
                observe=lambda: int(self.service.notes[3]["archived"]),
            ),
        }

    def visible_state(self) -> Mapping[str, object]:
        return {f"note/{n}": dict(note) for n, note in self.service.notes.items()}

    def request_count(self) -> int:
        return self.service.requests

    def watch_secret(self, secret: str) -> None:
        self.service.received.clear()

    def secret_sightings(self, secret: str) -> list[str]:
        # The token travels as the service's credential argument; anywhere else it is a leak.
        return [
            f"{where} of {method} {path}"
            for method, path, body in self.service.received
            for where, text in (("path", path), ("body", body))
            if secret in text
        ]

    def fail_next(self, n: int, status: int) -> None:
        self.service.faults.fail += [status] * n

    def drop_next(self, n: int, *, after_commit: bool = True) -> None:
        self.service.faults.drop += [after_commit] * n

    def rate_limit_next(self, retry_after: float) -> None:
        self.service.faults.rate_limit = retry_after

    def early_retries(self) -> int:
        return self.service.faults.early_retries

    def faults_pending(self) -> int:
        return self.service.faults.pending()

    def expire_tokens(self) -> None:
        self.service.expire_all()

    def revoke_tokens(self) -> None:
        self.service.revoke_all()
