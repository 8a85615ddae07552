"""The contract harness for Charter's Gmail connector, against the Google sandbox.

The sandbox serves Gmail v1 and Google's OAuth server on loopback and is driven through its Python
API: tokens with exactly the scopes a check asks for, inspection of the mailbox and of what was
sent, faults. `discovery_api` and `api_methods` let the suite prove each action's scopes
sufficient and minimal from the discovery document shipped with google-api-python-client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from charter.auth.providers.google import GMAIL_COMPOSE, GMAIL_LABELS, GMAIL_MODIFY, GMAIL_READONLY
from charter.connectors.base import Connector
from charter.connectors.gmail import GmailConnector
from charter.contract_tests.harness import Example
from charter.contract_tests.harnesses.google import GoogleCredentials, GoogleHarness
from charter.schemas import Draft

if TYPE_CHECKING:
    from charter.sandboxes import Exchange

EVERY_SCOPE = frozenset({GMAIL_READONLY, GMAIL_LABELS, GMAIL_COMPOSE, GMAIL_MODIFY})


class SandboxCredentials(GoogleCredentials):
    """A sandbox Gmail connection: Google tokens from the sandbox, refreshed at its token endpoint."""

    connection_id = "gmail-mona-contract"


class GmailHarness(GoogleHarness):
    """Runs the contract suite on `GmailConnector` against the Google sandbox."""

    connector_cls: ClassVar[type[Connector]] = GmailConnector
    discovery_api: ClassVar[tuple[str, str]] = ("gmail", "v1")
    methods: ClassVar[Mapping[str, Sequence[str]]] = GmailConnector.methods
    credentials_cls: ClassVar[type[GoogleCredentials]] = SandboxCredentials
    every_scope: ClassVar[frozenset[str]] = EVERY_SCOPE
    no_sandbox: ClassVar[str] = "the Gmail harness runs against the Google sandbox only"

    # -- examples ----------------------------------------------------------------------------

    def examples(self) -> Mapping[str, Example]:
        return {**self._read_examples(), **self._write_examples()}

    def _read_examples(self) -> dict[str, Example]:
        message = self._message(lambda m: "INBOX" in m.label_ids)
        return {
            "search_messages": Example(
                {"page_size": 25}, invalid=({"page_size": 0},), min_items=50, min_pages=2
            ),
            "get_message": Example(
                {"message_id": message.id},
                invalid=({"message_id": "not an id!"},),
                refused=({"message_id": "18c0ffee00000000"},),
            ),
            "get_messages": Example(
                {"message_ids": [message.id]}, invalid=({"message_ids": []}, {"message_ids": ["not an id!"]})
            ),
            "get_thread": Example({"thread_id": message.thread_id}, invalid=({"thread_id": ""},)),
            "list_labels": Example({}, invalid=({"unexpected": True},)),
            "sync_messages": Example({}, invalid=({"cursor": "x" * 501},)),
        }

    def _write_examples(self) -> dict[str, Example]:
        subject, direct_subject = "Contract suite message", "Contract suite direct send"
        new: dict[str, object] = {"to": ["dana@partner.example"], "subject": subject, "body": "Hello."}
        direct = {**new, "subject": direct_subject}
        original = self._message(lambda m: "INBOX" in m.label_ids and "@acme.com" not in m.header("From"))
        reply = {"message_id": original.id, "to": ["dana@partner.example"], "body": "Thanks, noted."}
        target = self._message(lambda m: "INBOX" in m.label_ids and "TRASH" not in m.label_ids)
        partners = self._label_id("Partners")
        unlabelled = self._message(lambda m: partners not in m.label_ids and "INBOX" in m.label_ids)
        return {
            "draft_message": Example(new, invalid=({**new, "to": []},), observe=self._sent_with(subject)),
            "draft_reply": Example(
                reply,
                invalid=({**reply, "message_id": "no such id!"},),
                observe=self._count(lambda: sum(s.thread_id == original.thread_id for s in self._sent())),
            ),
            "send_draft": Example(
                direct,
                invalid=({**direct, "to": ["not an address"]},),
                observe=self._sent_with(direct_subject),
            ),
            "modify_labels": Example(
                {"message_id": unlabelled.id, "add": ["Partners"]},
                invalid=({"message_id": unlabelled.id},),
                observe=self._count(lambda: int(partners in self._labels_of(unlabelled.id))),
            ),
            "trash_message": Example(
                {"message_id": target.id},
                invalid=({"message_id": ""},),
                observe=self._count(lambda: int("TRASH" in self._labels_of(target.id))),
            ),
        }

    # -- observation -------------------------------------------------------------------------

    def _message(self, wanted: Callable[[Any], bool]) -> Any:
        with self.sandbox.lock:
            found = [m for m in self.sandbox.state.gmail.messages.values() if wanted(m)]
        return sorted(found, key=lambda m: m.internal_date)[-1]

    def _label_id(self, name: str) -> str:
        with self.sandbox.lock:
            label = self.sandbox.state.gmail.label_by_name(name)
        assert label is not None, f"the sandbox's seed has no label {name!r}"
        return str(label.id)

    def _labels_of(self, message_id: str) -> list[str]:
        return list(self.sandbox.state.gmail.messages[message_id].label_ids)

    def _sent(self) -> list[Any]:
        return list(self.sandbox.state.gmail.sent)

    def _sent_with(self, subject: str) -> Callable[[], int]:
        return self._count(lambda: sum(s.subject == subject for s in self._sent()))

    def visible_state(self) -> Mapping[str, object]:
        # Others see only mail that left the mailbox; the owner's labels are kept too, so a draft
        # that touched them would show.
        state: dict[str, object] = {}
        with self.sandbox.lock:
            box = self.sandbox.state.gmail
            for sent in box.sent:
                state[f"sent:{sent.message_id}"] = (sent.recipients, sent.subject)
            for message in box.messages.values():
                state[f"message:{message.id}"] = tuple(message.label_ids)
        return state

    def seen_by_others(self) -> Mapping[str, object]:
        # Another person sees only mail that left the mailbox: the owner's labels and drafts are theirs.
        return {k: v for k, v in self.visible_state().items() if k.startswith("sent:")}

    def native_draft_keys(self, draft: Draft) -> frozenset[str]:
        with self.sandbox.lock:
            stored = self.sandbox.state.gmail.drafts.get(draft.native_ref or "")
        return frozenset({f"message:{stored.message_id}"}) if stored is not None else frozenset()

    def fidelity_problems(self) -> list[str] | None:
        return exchange_problems(self.sandbox.requests.entries)


def exchange_problems(exchanges: Iterable[Exchange]) -> list[str]:
    """Responses (batch parts included) that differ from the discovery document's schema."""
    from charter.sandboxes.google.discovery import match, validate_response

    problems: list[str] = []
    for exchange in exchanges:
        if exchange.status is None:
            continue
        answers = (
            batch_parts(exchange)
            if exchange.path.startswith("/batch")
            else [(exchange.method, exchange.path, exchange.status, exchange.json())]
        )
        for method, path, status, body in answers:
            found = match(method, path)
            if found is None:
                continue
            for problem in validate_response(found[0].id, body, status):
                problems.append(f"{method} {path} ({found[0].id}): {problem}")
    return problems


def batch_parts(exchange: Exchange) -> list[tuple[str, str, int, object]]:
    """(method, path, status, body) of each call of a recorded batch, matched by Content-ID."""
    import json

    requests = _parts(exchange.request_headers, exchange.request_body)
    answers = _parts(exchange.response_headers, exchange.response_body)
    out: list[tuple[str, str, int, object]] = []
    for content_id, request in requests.items():
        answer = answers.get(f"response-{content_id}")
        if answer is None:
            continue
        method, target = request.split(" ", 2)[:2]
        status_line, _, rest = answer.partition("\n")
        body = rest.split("\r\n\r\n", 1)[-1] if "\r\n\r\n" in rest else rest.split("\n\n", 1)[-1]
        try:
            parsed: object = json.loads(body) if body.strip() else None
        except ValueError:
            parsed = body
        out.append((method, urlsplit(target).path, int(status_line.split(" ")[1]), parsed))
    return out


def _parts(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts: dict[str, str] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        content_id = str(part.get("Content-ID") or "").strip("<> ")
        payload = part.get_payload(decode=True)
        parts[content_id] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return parts


__all__ = ["GmailHarness", "SandboxCredentials", "batch_parts", "exchange_problems"]
