"""The Gmail connector: search and read mail, native drafts, exactly-once sends, labels and trash."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from charter.auth.providers.google import (
    GMAIL_COMPOSE,
    GMAIL_LABELS,
    GMAIL_METADATA,
    GMAIL_MODIFY,
    GMAIL_READONLY,
    method_use,
)
from charter.connectors.base import (
    ActionSpec,
    Attribution,
    Connector,
    DraftPreview,
    WriteContext,
    action,
)
from charter.connectors.bulk import paused_gc
from charter.connectors.gmail import digest
from charter.connectors.gmail.cursors import encode_cursor, token_of
from charter.connectors.gmail.markers import charter_headers, write_message_id
from charter.connectors.gmail.mime import (
    Outgoing,
    build_raw,
    headers_of,
    reply_references,
    reply_subject,
)
from charter.connectors.gmail.models import (
    GetMessage,
    GetMessages,
    GetThread,
    Label,
    ListLabels,
    Message,
    MessageBatch,
    MessageSummary,
    MessageSync,
    ModifyLabels,
    NewMessage,
    ReplyMessage,
    SearchMessages,
    SendDraft,
    SyncMessages,
    Thread,
    TrashMessage,
)
from charter.connectors.gmail.preview import draft_preview
from charter.connectors.gmail.responses import (
    SUMMARY_HEADERS,
    WEB,
    history_provenance,
    label_from,
    message_from,
    summary_from,
    thread_from,
)
from charter.connectors.gmail.sync import HistoryReader
from charter.connectors.google import BatchFailure, GoogleService
from charter.connectors.google.service import requests_by_id
from charter.schemas import Conflict, NotFound, Page, ValidationError, WriteResult
from charter.schemas.types import JsonValue

READ = (GMAIL_READONLY,)
LABELS = (GMAIL_LABELS,)
COMPOSE = (GMAIL_COMPOSE,)
# A reply reads the headers of the message it answers (Message-ID, References, Subject): metadata.
COMPOSE_REPLY = (GMAIL_COMPOSE, GMAIL_METADATA)
MODIFY = (GMAIL_MODIFY,)
REPLY_HEADERS = ("Subject", "Message-ID", "References")

_M = "gmail.users."
# The discovery methods each action calls; tags name uses a narrower scope cannot serve
# (a snippet or body is message content; `q` is a search). The contract suite proves each
# action's scopes sufficient and minimal for these.
METHODS: dict[str, tuple[str, ...]] = {
    "search_messages": (method_use(_M + "messages.list", "query"), method_use(_M + "messages.get", "body")),
    "get_message": (method_use(_M + "messages.get", "body"),),
    "get_messages": (method_use(_M + "messages.get", "body"),),
    "get_thread": (method_use(_M + "threads.get", "body"),),
    "list_labels": (_M + "labels.list",),
    "sync_messages": (_M + "history.list", method_use(_M + "messages.get", "body"), _M + "getProfile"),
    "draft_message": (_M + "drafts.create",),
    "draft_reply": (_M + "messages.get", _M + "drafts.create"),
    "send_draft": (_M + "drafts.get", _M + "drafts.list", _M + "drafts.create", _M + "drafts.send"),
    "modify_labels": (_M + "labels.list", _M + "messages.modify"),
    "trash_message": (_M + "messages.trash",),
}


class GmailConnector(Connector):
    """Gmail: search and read mail, draft new messages and replies, send, label and trash."""

    name = "gmail"
    provider = "google"
    display_name: ClassVar[str] = "Gmail"
    methods: ClassVar[dict[str, tuple[str, ...]]] = METHODS

    @cached_property
    def google(self) -> GoogleService:
        """The Gmail v1 client for this connection, built on first use."""
        return GoogleService(
            self.credentials,
            "gmail",
            "v1",
            base_url=self.base_url,
            sleep=lambda seconds: self.sleep(seconds),
            max_wait=self.max_rate_limit_wait,
            timeout=self.request_timeout,
        )

    @cached_property
    def users(self) -> Any:
        """The client library's `users` resource (building one costs a walk of the discovery tree)."""
        return self.google.service.users()

    # -- read ------------------------------------------------------------------------------

    @action("read", scopes=READ)
    def search_messages(self, request: SearchMessages) -> Page[MessageSummary | Message]:
        """Search mail with Gmail's query syntax; returns sender, recipients, subject, date and snippet."""
        params: dict[str, Any] = {
            "userId": "me",
            "maxResults": request.page_size,
            "includeSpamTrash": request.include_spam_trash,
        }
        optional = {"q": request.query or None, "labelIds": request.label_ids or None}
        params |= {k: v for k, v in optional.items() if v is not None} | self._page_token(request)
        data = self._run("a Gmail search", self.users.messages().list(**params))
        ids = [str(m["id"]) for m in data.get("messages") or []]
        token = data.get("nextPageToken")
        items = self.whole(ids)[0] if request.bodies else self.summaries(ids)
        return Page[MessageSummary | Message](
            items=items, next_cursor=encode_cursor(request, str(token)) if token else None
        )

    @action("read", scopes=READ)
    def get_message(self, request: GetMessage) -> Message:
        """Read one message: headers, plain-text and HTML bodies, and the list of attachments."""
        call = self.users.messages().get(userId="me", id=request.message_id, format="full")
        return message_from(self._run(f"message {request.message_id}", call))

    @action("read", scopes=READ)
    def get_messages(self, request: GetMessages) -> MessageBatch:
        """Read many messages by id in one call: headers, bodies, attachment lists; gone ids in `missing`."""
        found, missing = self.whole(list(dict.fromkeys(request.message_ids)))
        return MessageBatch(items=found, missing=missing)

    @action("read", scopes=READ)
    def get_thread(self, request: GetThread) -> Thread:
        """Read a whole conversation, oldest message first, each with headers and bodies."""
        call = self.users.threads().get(userId="me", id=request.thread_id, format="full")
        return thread_from(self._run(f"thread {request.thread_id}", call))

    @action("read", scopes=LABELS)
    def list_labels(self, request: ListLabels) -> Page[Label]:
        """List the mailbox's labels (INBOX, UNREAD, and those the person made) with their ids."""
        data = self._run("your Gmail labels", self.users.labels().list(userId="me"))
        return Page[Label](items=[label_from(d) for d in data.get("labels") or []])

    @action("read", scopes=READ)
    def sync_messages(self, request: SyncMessages) -> MessageSync:
        """What changed since the last sync: new messages, deletions, label changes; one request if none."""
        start = token_of(request)
        if start is None:
            return self._baseline(request, full_sync_required=False)
        try:
            changes = HistoryReader(self, request.label_id).read(start)
        except NotFound:
            # Gmail keeps history for about a week; older starting points are gone (404).
            return self._baseline(request, full_sync_required=True)
        return MessageSync(
            id=changes.history_id,
            provenance=history_provenance(changes.history_id),
            added=self.summaries(changes.added),
            deleted=changes.deleted,
            label_changes=changes.label_changes,
            cursor=encode_cursor(request, changes.history_id),
        )

    # -- draft -----------------------------------------------------------------------------

    @action("draft", scopes=COMPOSE, commits="send_draft", native=True, reaches="person")
    def draft_message(self, change: NewMessage, attribution: Attribution | None) -> DraftPreview:
        """Write a new message as a Gmail draft for review; nothing is sent until the draft is written."""
        mail = self._outgoing(SendDraft.model_validate(change.model_dump()), attribution, None)
        return self._save_draft(mail, None, "New message")

    @action("draft", scopes=COMPOSE_REPLY, commits="send_draft", native=True, reaches="person")
    def draft_reply(self, change: ReplyMessage, attribution: Attribution | None) -> DraftPreview:
        """Write a reply in a message's thread as a Gmail draft (Re: subject, In-Reply-To, References)."""
        original = self._original(change.message_id)
        mail = self._outgoing(SendDraft.model_validate(change.model_dump()), attribution, original)
        return self._save_draft(mail, original["threadId"], f"Reply to message {change.message_id}")

    # -- write -----------------------------------------------------------------------------

    @action("write", scopes=COMPOSE, risks=("external",), reaches="outsiders")
    def send_draft(self, change: SendDraft, ctx: WriteContext) -> WriteResult:
        """Send a message, or a reviewed Gmail draft exactly as previewed; a header names the agent."""
        if ctx.draft is None and change.message_id:
            raise ValidationError(
                "a reply is sent by drafting it with draft_reply and writing that draft; nothing was sent."
            )
        draft_id = ctx.draft.native_ref if ctx.draft is not None else self._direct_draft(change, ctx)
        if draft_id is None or not self._still_to_send(draft_id, change, ctx):
            return self._sent_result({"id": f"draft:{draft_id}"}, change, ctx, lost=True)
        # Gmail deletes a draft it sends: after this note, a missing draft means it went out.
        ctx.checkpoint(f"sending:{draft_id}")
        sent = self._run(
            f"Gmail draft {draft_id}", self.users.drafts().send(userId="me", body={"id": draft_id})
        )
        return self._sent_result(sent, change, ctx)

    def _direct_draft(self, change: SendDraft, ctx: WriteContext) -> str:
        """The Gmail draft a direct send goes through: made now, or the one a lost attempt left.

        Its Message-ID derives from the idempotency key, so any later call (another process, a
        fresh Toolkit) finds it in Gmail instead of drafting and sending a second message.
        """
        if ctx.progress and ctx.progress.startswith("sending:"):
            return ctx.progress.removeprefix("sending:")
        creds = self.credentials
        message_id = write_message_id(creds.connection_id, ctx.idempotency_key, creds.account)
        if ctx.is_retry:
            call = self.users.drafts().list(userId="me", q=f"rfc822msgid:{message_id.strip('<>')}")
            found = self._run("your Gmail drafts", call).get("drafts") or []
            if found:
                return str(found[0]["id"])
        mail = self._outgoing(change, ctx.attribution, None, message_id=message_id)
        call = self.users.drafts().create(userId="me", body=self._draft_body(mail, None))
        return str(self._run("a new Gmail draft", call)["id"])

    def where_to_look(self, spec: ActionSpec, key: str) -> str:
        """Mail sent directly carries a Message-ID derived from the key."""
        if spec.name != "send_draft":
            return super().where_to_look(spec, key)
        message_id = write_message_id(self.credentials.connection_id, key, self.credentials.account)
        return f"search Gmail (Sent and Drafts) for rfc822msgid:{message_id.strip('<>')}"

    @action("write", scopes=MODIFY, risks=("hides",), reaches="person")
    def modify_labels(self, change: ModifyLabels, ctx: WriteContext) -> WriteResult:
        """Add or remove labels of a message by id or name (archive: remove INBOX; read: remove UNREAD)."""
        add, remove = self._label_ids(change.add), self._label_ids(change.remove)
        body = {"addLabelIds": add, "removeLabelIds": remove}
        call = self.users.messages().modify(userId="me", id=change.message_id, body=body)
        data = self._run(f"message {change.message_id}", call)
        changed = [f"+{label}" for label in add] + [f"-{label}" for label in remove]
        return WriteResult(
            action="modify_labels",
            id=str(data.get("id") or change.message_id),
            url=f"{WEB}{data.get('threadId') or change.message_id}",
            idempotency_key=ctx.idempotency_key,
            summary=f"labels of message {change.message_id}: {' '.join(changed)}",
        )

    @action("write", scopes=MODIFY, risks=("destructive", "hides"), reaches="person")
    def trash_message(self, change: TrashMessage, ctx: WriteContext) -> WriteResult:
        """Move a message to the Trash; Gmail deletes it for good after 30 days."""
        call = self.users.messages().trash(userId="me", id=change.message_id)
        data = self._run(f"message {change.message_id}", call)
        return WriteResult(
            action="trash_message",
            id=str(data.get("id") or change.message_id),
            idempotency_key=ctx.idempotency_key,
            summary=f"moved message {change.message_id} to the Trash",
        )

    # -- plumbing --------------------------------------------------------------------------

    def whole(self, ids: list[str]) -> tuple[list[Message], list[str]]:
        """Messages by id with format=full, batched; and the ids Gmail no longer has."""
        found: list[JsonValue] = []
        missing: list[str] = []
        for message_id, result in zip(ids, self._gets(ids, format="full"), strict=True):
            if isinstance(result, BatchFailure):
                if not isinstance(result.error, NotFound):
                    raise result.error
                missing.append(message_id)
            else:
                found.append(result)
        with paused_gc():
            return [message_from(d) for d in found], missing

    def _gets(self, ids: list[str], **params: Any) -> list[JsonValue]:
        """messages.get of each id with `params`, in batches of 100."""
        messages = self.users.messages()
        calls = requests_by_id(lambda i: messages.get(userId="me", id=i, **params), ids)
        return self.google.batch(calls, "messages of the mailbox")

    def summaries(self, ids: list[str], headers: tuple[str, ...] = SUMMARY_HEADERS) -> list[MessageSummary]:
        """Summaries of messages by id: one batch request per 100, messages deleted meanwhile left out."""
        found = self.metadata(ids, headers)
        with paused_gc():
            return [summary_from(data) for data in found]

    def metadata(self, ids: list[str], headers: tuple[str, ...]) -> list[JsonValue]:
        """messages.get with format=metadata for each id, batched; skips messages that are gone."""
        out: list[JsonValue] = []
        for result in self._gets(ids, format="metadata", metadataHeaders=list(headers)):
            if isinstance(result, BatchFailure):
                if isinstance(result.error, NotFound):
                    continue
                raise result.error
            out.append(result)
        return out

    def _run(self, subject: str, call: Any) -> JsonValue:
        return dict(self.google.execute(call, subject) or {})

    @staticmethod
    def _page_token(request: SearchMessages) -> dict[str, str]:
        token = token_of(request)
        return {"pageToken": token} if token else {}

    def _baseline(self, request: SyncMessages, *, full_sync_required: bool) -> MessageSync:
        profile = self._run("your Gmail profile", self.users.getProfile(userId="me"))
        history_id = str(profile["historyId"])
        return MessageSync(
            id=history_id,
            provenance=history_provenance(history_id),
            cursor=encode_cursor(request, history_id),
            full_sync_required=full_sync_required,
        )

    def _original(self, message_id: str) -> JsonValue:
        """The headers of a message being answered, and its thread."""
        call = self.users.messages().get(
            userId="me", id=message_id, format="metadata", metadataHeaders=list(REPLY_HEADERS)
        )
        return self._run(f"message {message_id}", call)

    def _outgoing(
        self,
        change: SendDraft,
        attribution: Attribution | None,
        original: JsonValue | None,
        *,
        message_id: str | None = None,
    ) -> Outgoing:
        subject, in_reply_to, references = change.subject or "", "", ""
        if original is not None:
            headers = headers_of(original.get("payload"))
            subject = change.subject or reply_subject(headers.get("subject", ""))
            in_reply_to = headers.get("message-id", "")
            references = reply_references(headers.get("references", ""), in_reply_to)
        return Outgoing(
            sender=self.credentials.account,
            to=change.to,
            cc=change.cc,
            bcc=change.bcc,
            subject=subject,
            text=change.body,
            html=change.html,
            in_reply_to=in_reply_to,
            references=references,
            extra_headers=charter_headers(attribution) | ({"Message-ID": message_id} if message_id else {}),
        )

    @staticmethod
    def _draft_body(mail: Outgoing, thread_id: str | None, raw: str | None = None) -> JsonValue:
        message: dict[str, str] = {"raw": raw or build_raw(mail)}
        if thread_id:
            message["threadId"] = thread_id
        return {"message": message}

    def _save_draft(self, mail: Outgoing, thread_id: str | None, heading: str) -> DraftPreview:
        raw = build_raw(mail)
        call = self.users.drafts().create(userId="me", body=self._draft_body(mail, thread_id, raw))
        data = self._run("a new Gmail draft", call)
        message_id = (data.get("message") or {}).get("id")
        return DraftPreview(
            preview=draft_preview(heading, str(data["id"]), mail),
            native_ref=str(data["id"]),
            url=f"https://mail.google.com/mail/u/0/#drafts?compose={message_id}" if message_id else None,
            native_digest=digest.message_digest(raw),
        )

    def _still_to_send(self, draft_id: str, change: SendDraft, ctx: WriteContext) -> bool:
        """Whether the Gmail draft still waits to be sent, unchanged since it was reviewed.

        Gmail deletes a draft when it sends it. On a retry, a missing draft means the earlier
        attempt sent it and only its answer was lost, so it must not be sent again.
        """
        try:
            call = self.users.drafts().get(userId="me", id=draft_id, format="raw")
            current = self._run(f"Gmail draft {draft_id}", call)
        except NotFound:
            if ctx.is_retry:
                return False
            raise Conflict(
                f"Gmail draft {draft_id} was deleted or sent in Gmail after it was reviewed; nothing was "
                "sent. Draft the message again to send it."
            ) from None
        if ctx.draft is not None:
            self._check_unchanged(
                draft_id, ctx.draft.native_digest, (current.get("message") or {}).get("raw")
            )
        return True

    @staticmethod
    def _check_unchanged(draft_id: str, reviewed: str | None, raw: object) -> None:
        # What is sent must be what the person reviewed: the whole message, every header and part.
        # An edit of the Gmail draft afterwards (by anyone holding the compose scope) must not
        # ride on the earlier approval.
        if reviewed is None:
            raise Conflict(
                f"Gmail draft {draft_id} was made before Charter bound drafts to their whole message, "
                "so what it holds now cannot be checked; nothing was sent. Draft the message again."
            )
        if not isinstance(raw, str) or digest.message_digest(raw) != reviewed:
            raise Conflict(
                f"Gmail draft {draft_id} was changed after it was reviewed (its headers, text, HTML or "
                "attachments differ from what was approved); nothing was sent. Draft the message again "
                "and have the new version reviewed."
            )

    def _sent_result(
        self, sent: JsonValue, change: SendDraft, ctx: WriteContext, *, lost: bool = False
    ) -> WriteResult:
        count = len(change.to) + len(change.cc) + len(change.bcc)
        whom = f"{count} recipient{'s' if count != 1 else ''}"
        summary = (
            f"sent to {whom} (the answer to the first attempt was lost; Gmail had already sent the draft)"
            if lost
            else f"sent message {sent['id']} to {whom}"
        )
        thread = sent.get("threadId")
        return WriteResult(
            action="send_draft",
            id=str(sent["id"]),
            url=f"{WEB}{thread}" if thread else None,
            idempotency_key=ctx.idempotency_key,
            summary=summary,
        )

    def _label_ids(self, names: list[str]) -> list[str]:
        if not names:
            return []
        known = [
            label_from(d)
            for d in self._run("your Gmail labels", self.users.labels().list(userId="me")).get("labels") or []
        ]
        by_id = {label.id: label.id for label in known}
        by_name = {label.name.lower(): label.id for label in known}
        out: list[str] = []
        for name in names:
            found = by_id.get(name) or by_name.get(name.lower())
            if found is None:
                raise ValidationError(
                    f"there is no Gmail label {name!r}; use one of: "
                    + ", ".join(sorted(label.name for label in known))
                    + ". Nothing was changed."
                )
            out.append(found)
        return out
