"""Gmail v1 drafts and sending: drafts.create / get / list / update / delete / send, messages.send.

A draft's message joins the thread named by `threadId` only when it really replies into it (see
`Mailbox.thread_for`). Sending stamps a `Message-ID` and `Date` when the client left them out, keeps
`Bcc` in the sender's copy as Gmail does, and records who the message reached in `Mailbox.sent`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

from charter.sandboxes.google import paging
from charter.sandboxes.google.api import ApiResponse, Call, handles
from charter.sandboxes.google.errors import bad_request, not_found
from charter.sandboxes.google.gmail.messages import DEFAULT_PAGE, MAX_PAGE, mailbox
from charter.sandboxes.google.gmail.mime import from_b64url, parse_raw
from charter.sandboxes.google.gmail.render import draft_json, ids_json, parse_format
from charter.sandboxes.google.gmail.search import search
from charter.sandboxes.google.gmail.state import Draft, Mailbox, SentMail, StoredMessage
from charter.schemas.types import JsonObject


def _raw_of(body: JsonObject, what: str) -> tuple[bytes, str | None]:
    """(raw bytes, threadId) from a `Message` resource in a request body."""
    resource = body.get("message") if what == "draft" else body
    if not isinstance(resource, dict) or not isinstance(resource.get("raw"), str):
        raise bad_request(
            f"Invalid {what}: the message needs a base64url 'raw' field", reason="invalidArgument"
        )
    try:
        raw = from_b64url(resource["raw"])
    except ValueError:
        raise bad_request("Invalid value for ByteString: raw", reason="invalidArgument") from None
    thread = resource.get("threadId")
    return raw, thread if isinstance(thread, str) else None


def _store(box: Mailbox, call: Call, raw: bytes, thread_id: str | None, labels: list[str]) -> StoredMessage:
    now_ms = int(call.sandbox.clock.now() * 1000)
    thread = box.thread_for(thread_id, parse_raw(raw, "probe"))
    return box.add_message(raw, labels, internal_date=now_ms, thread_id=thread)


def _draft(box: Mailbox, ident: str) -> Draft:
    found = box.drafts.get(ident)
    if found is None:
        raise not_found()
    return found


@handles("gmail.users.drafts.create")
def create_draft(call: Call) -> ApiResponse:
    """drafts.create: a new draft (a reply stays in its thread when its headers say so)."""
    box = mailbox(call)
    raw, thread_id = _raw_of(call.json(), "draft")
    msg = _store(box, call, raw, thread_id, ["DRAFT"])
    draft = Draft(box.new_draft_id(), msg.id)
    box.drafts[draft.id] = draft
    return ApiResponse(draft_json(box, draft))


@handles("gmail.users.drafts.get")
def get_draft(call: Call) -> ApiResponse:
    """drafts.get in the asked format."""
    box = mailbox(call)
    return ApiResponse(draft_json(box, _draft(box, call.params["id"]), parse_format(call.arg("format"))))


@handles("gmail.users.drafts.list")
def list_drafts(call: Call) -> ApiResponse:
    """drafts.list, newest first."""
    box = mailbox(call)
    q = call.arg("q") or ""
    found = search(box, q, ["DRAFT"], call.flag("includeSpamTrash"), int(call.sandbox.clock.now() * 1000))
    drafts = [(d, m) for m in found if (d := box.draft_for_message(m.id)) is not None]
    query = paging.fingerprint("drafts", q)
    offset = int(paging.decode(t, query)["o"]) if (t := call.arg("pageToken")) else 0
    size = call.page_size(DEFAULT_PAGE, MAX_PAGE)
    page = drafts[offset : offset + size]
    body: JsonObject = {}
    if page:
        body["drafts"] = [{"id": d.id, "message": ids_json(m)} for d, m in page]
    if offset + size < len(drafts):
        body["nextPageToken"] = paging.encode({"q": query, "o": offset + size})
    body["resultSizeEstimate"] = len(drafts)
    return ApiResponse(body)


@handles("gmail.users.drafts.update")
def update_draft(call: Call) -> ApiResponse:
    """drafts.update: the draft keeps its id and gets a new message."""
    box = mailbox(call)
    draft = _draft(box, call.params["id"])
    raw, thread_id = _raw_of(call.json(), "draft")
    old = box.messages[draft.message_id]
    msg = _store(box, call, raw, thread_id or old.thread_id, ["DRAFT"])
    box.delete(old)
    draft.message_id = msg.id
    return ApiResponse(draft_json(box, draft))


@handles("gmail.users.drafts.delete")
def delete_draft(call: Call) -> ApiResponse:
    """drafts.delete."""
    box = mailbox(call)
    draft = _draft(box, call.params["id"])
    box.delete(box.messages[draft.message_id])
    del box.drafts[draft.id]
    return ApiResponse(None, status=204)


@handles("gmail.users.drafts.send")
def send_draft(call: Call) -> ApiResponse:
    """drafts.send: the draft's message leaves the mailbox; the draft is gone."""
    box = mailbox(call)
    body = call.json()
    ident = body.get("id")
    if not isinstance(ident, str) or not ident:
        raise bad_request("Invalid draft", reason="invalidArgument")
    draft = _draft(box, ident)
    if isinstance(body.get("message"), dict) and body["message"].get("raw"):
        update = Call(
            call.sandbox,
            call.method,
            {**call.params, "id": ident},
            call.query,
            call.headers,
            call.body,
            call.token,
        )
        update_draft(update)
    msg = box.messages[draft.message_id]
    sent = _send(box, call, msg, "drafts.send")
    del box.drafts[draft.id]
    return ApiResponse(ids_json(sent, labels=True))


@handles("gmail.users.messages.send")
def send_message(call: Call) -> ApiResponse:
    """messages.send: send a raw message directly."""
    box = mailbox(call)
    raw, thread_id = _raw_of(call.json(), "message")
    msg = _store(box, call, raw, thread_id, [])
    return ApiResponse(ids_json(_send(box, call, msg, "messages.send"), labels=True))


def _finished(raw: bytes, sender: str, now: float) -> bytes:
    """The message as it leaves: From, Date and Message-ID filled in when missing."""
    parsed = BytesParser(policy=policy.SMTP).parsebytes(raw)
    if not parsed.get("From"):
        parsed["From"] = sender
    if not parsed.get("Date"):
        parsed["Date"] = format_datetime(datetime.fromtimestamp(now, tz=UTC))
    if not parsed.get("Message-ID"):
        parsed["Message-ID"] = make_msgid(domain="mail.gmail.com")
    return parsed.as_bytes()


def _send(box: Mailbox, call: Call, msg: StoredMessage, via: str) -> StoredMessage:
    parsed = msg.parsed
    to, cc, bcc = parsed.addresses("To"), parsed.addresses("Cc"), parsed.addresses("Bcc")
    if not (to or cc or bcc):
        raise bad_request("Recipient address required", reason="invalidArgument")
    msg.raw = _finished(msg.raw, box.email, call.sandbox.clock.now())
    msg._parsed = None
    box.modify(msg, ["SENT"], ["DRAFT"])
    box.sent.append(
        SentMail(
            message_id=msg.id,
            thread_id=msg.thread_id,
            sender=box.email,
            to=tuple(to),
            cc=tuple(cc),
            bcc=tuple(bcc),
            subject=msg.header("Subject"),
            raw=msg.raw,
            via=via,
        )
    )
    return msg
