"""The notes connector: one method per action, then the plumbing that talks to the service."""

from __future__ import annotations

from typing import Any

from charter.connectors import Attribution, Connector, DraftPreview, TokenRejected, WriteContext, action
from charter.schemas import (
    NotFound,
    Page,
    Provenance,
    RateLimited,
    ScopeMissing,
    UpstreamError,
    ValidationError,
    WriteResult,
)
from charter_notes.models import ArchiveNote, CreateNote, GetNote, ListNotes, Note
from charter_notes.provider import READ_SCOPE, WRITE_SCOPE
from charter_notes.sandbox import ConnectionDropped, Response, service_at


class NotesConnector(Connector):
    """Notes: list, get, draft, create and archive."""

    name = "notes"
    provider = "notes"

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
        # The key travels with the note, so a retry after a lost answer finds it in the service.
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
        """One request to the service at `base_url`; its errors become Charter's."""
        token = self.credentials.access_token()
        try:
            response = service_at(self.base_url or "").request(method, path, token, body)
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
