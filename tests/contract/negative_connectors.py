"""Negative controls: notes connectors that each do one wrong thing themselves, past the base class.

Each subclasses the shipped example's connector (docs/examples/notes-connector).

Each looks like a plausible bug: the token sent along in a body for the service to "verify", a
token cached on disk, a handler that hides the service's refusal or "fixes" the input. The whole
contract suite must fail on each, in the check about that wrong thing, while passing on
`NotesConnector`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from charter.connectors.base import Attribution, Connector, DraftPreview, WriteContext, action
from charter.schemas import Draft, NotFound, ValidationError, WriteResult
from charter_notes import WRITE_SCOPE, NotesConnector
from charter_notes.models import CreateNote, GetNote, Note
from charter_notes.sandbox import Response
from charter_notes.testing import NotesHarness


class SendsTokenInBody(NotesConnector):
    """Adds the access token to every body it sends, as a debugging aid gone to production."""

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        return super().send(method, path, {**(body or {}), "session": self.credentials.access_token()})


class CachesTokenOnDisk(NotesConnector):
    """Keeps the last access token in a file under the home directory, to "save a refresh"."""

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        cache = Path.home() / ".cache" / "notes-connector"
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "last-token").write_text(self.credentials.access_token())
        return super().send(method, path, body)


class HidesRefusals(NotesConnector):
    """Answers a missing note with an empty one, and retries a refused title as "Untitled"."""

    def get_note(self, request: GetNote) -> Note:
        try:
            return super().get_note(request)
        except NotFound:
            return self.note({"number": request.number, "title": "", "body": "", "archived": False})

    def create_note(self, change: CreateNote, ctx: WriteContext) -> WriteResult:
        try:
            return super().create_note(change, ctx)
        except ValidationError:
            return super().create_note(change.model_copy(update={"title": "Untitled"}), ctx)


class PublishesOnDraft(NotesConnector):
    """Keeps its drafts in the service as "Draft:" notes, as a GitHub draft pull request is kept.

    Everyone who can read the notes sees them; the honest connector holds drafts in Charter's store.
    """

    @action("draft", scopes=(WRITE_SCOPE,), commits="create_note", native=True, reaches="person")
    def draft_note(self, change: CreateNote, attribution: Attribution | None) -> DraftPreview:
        """Draft a note for review, kept in the service until it is committed."""
        if not change.title.strip():
            raise ValidationError("a note needs a title that is not blank")
        kept = self.send("POST", "/notes", {"title": f"Draft: {change.title}", "body": change.body})
        # Bound to what it keeps, as a native draft must be, so only its visibility is wrong.
        digest = hashlib.sha256(json.dumps(kept.body, sort_keys=True).encode()).hexdigest()
        return DraftPreview(
            preview=f"{change.title}\n\n{change.body}",
            native_ref=str(kept.body["number"]),
            native_digest=digest,
        )


class PublishesOnDraftHarness(NotesHarness):
    """Declares the kept drafts as the connector's own native drafts: only others' view catches them."""

    connector_cls = PublishesOnDraft

    def native_draft_keys(self, draft: Draft) -> frozenset[str]:
        return frozenset({f"note/{draft.native_ref}"})


def harness_for(connector: type[Connector]) -> type[NotesHarness]:
    """A notes harness whose connector is `connector`."""
    return type(f"{connector.__name__}Harness", (NotesHarness,), {"connector_cls": connector})


SendsTokenInBodyHarness = harness_for(SendsTokenInBody)
CachesTokenOnDiskHarness = harness_for(CachesTokenOnDisk)
HidesRefusalsHarness = harness_for(HidesRefusals)
