"""Telling the person a decision waits: pluggable notifiers that send a link, never the payload.

A notice names the approval, the agent, the tool and the deadline, and carries a link to the
console; it never carries the call's arguments or preview, which may hold what the agent read (and
so secrets, or text written to persuade). Notifiers are listed in `<home>/notifiers.yaml`:

    link: http://localhost:8770/approvals     # where the notice points (`charter console --port 8770`)
    remind_every_minutes: 30                   # again while it waits; 0: never
    webhooks:
      - url: https://chat.example/hooks/charter
        secret_env: CHARTER_WEBHOOK_SECRET     # the HMAC key, from the environment (or `secret:`)
    gmail:                                     # mailed through the person's own Gmail connection
      - connection: gmail-mona-acme-com-1a2b   # its id, from `charter connections list`
        to: mona@acme.com

A webhook's body is signed with HMAC-SHA256 over `<timestamp>.<body>`, sent as
`X-Charter-Signature: sha256=<hex>` with `X-Charter-Timestamp`; receivers check it with
`verify_signature`. A notifier that fails is logged and skipped: it never fails the agent's call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from charter.auth.home import CharterHome
from charter.schemas import ApprovalRequest, ApprovalStatus, ConfigurationError, ValidationError, utcnow

if TYPE_CHECKING:
    # A home that notifies nobody never sends a request: httpx loads with the first webhook.
    import httpx

log = logging.getLogger(__name__)

CONFIG_FILE = "notifiers.yaml"
SIGNATURE_HEADER = "X-Charter-Signature"
TIMESTAMP_HEADER = "X-Charter-Timestamp"
# A signed notice older than this is refused by `verify_signature`: a captured one cannot be replayed later.
SIGNATURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Notice:
    """What a notifier may say about a waiting approval: who asks for what, until when, and where to look."""

    kind: Literal["waiting", "reminder"]
    approval_id: str
    agent: str
    tool: str
    expires_at: datetime
    link: str

    @classmethod
    def of(cls, request: ApprovalRequest, link: str, kind: Literal["waiting", "reminder"]) -> Notice:
        return cls(kind, request.id, request.agent, request.tool, request.expires_at, link)

    def body(self) -> dict[str, str]:
        return {
            "type": f"approval.{self.kind}",
            "approval_id": self.approval_id,
            "agent": self.agent,
            "tool": self.tool,
            "expires_at": self.expires_at.isoformat(),
            "link": self.link,
            "text": f"{self.agent} asks to run {self.tool}; decide in the Charter console: {self.link}",
        }


class Notifier(Protocol):
    """Anything that can tell the person about a notice."""

    def send(self, notice: Notice) -> None: ...


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (seconds since the epoch)."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify_signature(
    secret: bytes, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    """For receivers: True when `signature` is ours over exactly `body` and `timestamp` is recent."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    age = (time.time() if now is None else now) - sent
    if abs(age) > SIGNATURE_TOLERANCE.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookNotifier:
    """POSTs each notice as JSON to a URL (a chat tool's incoming webhook), signed with HMAC-SHA256."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValidationError("a webhook needs a secret to sign with")
        self.url = url
        self._secret = secret
        if client is None:
            import httpx

            client = httpx.Client(timeout=5.0)
        self._client = client
        self._clock = clock

    def __repr__(self) -> str:
        return f"<WebhookNotifier {self.url!r}>"

    def send(self, notice: Notice) -> None:
        body = json.dumps(notice.body(), sort_keys=True).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "content-type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        self._client.post(self.url, content=body, headers=headers).raise_for_status()


class MailConnector(Protocol):
    """What the mail notifier needs of a connector: Gmail's draft and write (`GmailConnector` fits)."""

    def draft(self, change: Any, *, attribution: Any = None) -> Any: ...

    def write(self, change: Any, *, idempotency_key: str | None = None, attribution: Any = None) -> Any: ...


class GmailNotifier:
    """Mails each notice to the person through their own Gmail connection: a draft, then sent once.

    Sent by the person's connection to the person, on their behalf: not an agent's action, so no
    grant is involved, and each notice is sent once (its idempotency key) even if retried.
    """

    def __init__(self, connector: MailConnector, to: str) -> None:
        self._connector = connector
        self.to = to

    def __repr__(self) -> str:
        return f"<GmailNotifier to={self.to!r}>"

    def send(self, notice: Notice) -> None:
        from charter.connectors.gmail.models import NewMessage

        body = notice.body()
        message = NewMessage(
            to=[self.to],
            subject=f"Charter: {notice.agent} waits for your decision ({notice.tool})",
            body=f"{body['text']}\n\nApproval {notice.approval_id}; decide before {body['expires_at']}.",
        )
        draft = self._connector.draft(message)
        stamp = notice.kind if notice.kind == "waiting" else f"{notice.kind}:{int(time.time())}"
        self._connector.write(draft.id, idempotency_key=f"notice:{notice.approval_id}:{stamp}")


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    secret: str | None = None
    secret_env: str | None = None

    def key(self) -> bytes:
        value = os.environ.get(self.secret_env, "") if self.secret_env else (self.secret or "")
        if not value:
            where = f"${self.secret_env}" if self.secret_env else "`secret:`"
            raise ConfigurationError(f"the webhook {self.url} has no secret: set {where}")
        return value.encode()


class GmailConfig(BaseModel):
    """One mail notifier: the Gmail connection that sends, and the address it sends to."""

    model_config = ConfigDict(extra="forbid")

    connection: str = Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")
    to: str = Field(pattern=r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")

    def notifier(self, home: CharterHome) -> GmailNotifier:
        """The notifier, its connector made from the home's vault; a connection that cannot send refused."""
        from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
        from charter.auth.vault import Vault
        from charter.connectors.gmail import GmailConnector
        from charter.schemas import NotFound

        vault = Vault(home)
        try:
            conn = vault.get(self.connection)
        except NotFound:
            raise ConfigurationError(
                f"{CONFIG_FILE}: the gmail notifier names connection {self.connection!r}, which this "
                "home does not have; use an id from `charter connections list`"
            ) from None
        if conn.service != "gmail" or conn.status != "active":
            raise ConfigurationError(
                f"{CONFIG_FILE}: the gmail notifier needs an active Gmail connection, but "
                f"{self.connection!r} is a {conn.status} {conn.service} connection"
            )
        connector = GmailConnector(
            vault.credentials(conn.id),
            base_url=conn.api_base,
            drafts=SQLDraftStore(home),
            ledger=SQLWriteLedger(home),  # each notice is sent once, whichever process retries it
        )
        return GmailNotifier(connector, self.to)


class NotifierConfig(BaseModel):
    """`<home>/notifiers.yaml`."""

    model_config = ConfigDict(extra="forbid")

    link: str = "run `charter console`"
    remind_every_minutes: int = Field(default=0, ge=0)
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    gmail: list[GmailConfig] = Field(default_factory=list)

    @classmethod
    def for_home(cls, home: CharterHome) -> NotifierConfig:
        path = Path(home.path) / CONFIG_FILE
        if not path.exists():
            return cls()
        try:
            return cls.model_validate(yaml.safe_load(path.read_text()) or {})
        except PydanticValidationError as exc:
            # Where and what, never the value: an entry may hold a webhook secret.
            where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            raise ConfigurationError(f"{path} is not valid ({where}); fix it or remove it") from None
        except (yaml.YAMLError, ValueError) as exc:
            raise ConfigurationError(
                f"{path} is not valid ({type(exc).__name__}); fix it or remove it"
            ) from None

    def notifiers(self, home: CharterHome) -> list[Notifier]:
        """The configured notifiers; mail ones send through a connection in `home`'s vault."""
        webhooks: list[Notifier] = [WebhookNotifier(w.url, w.key()) for w in self.webhooks]
        return webhooks + [g.notifier(home) for g in self.gmail]


def tell(notifiers: Sequence[Notifier], notice: Notice) -> int:
    """Send `notice` through each notifier; returns how many succeeded. Failures are logged, never raised."""
    sent = 0
    for notifier in notifiers:
        try:
            notifier.send(notice)
            sent += 1
        except Exception as exc:  # a notifier must never fail the call that paused
            log.warning("notifier %r failed: %s", notifier, type(exc).__name__)
    return sent


def announce(home: CharterHome, request: ApprovalRequest) -> int:
    """Tell the home's notifiers that `request` waits (called when an approval is created)."""
    try:
        config = NotifierConfig.for_home(home)
        notifiers = config.notifiers(home)
    except ConfigurationError as exc:
        log.warning("notifiers not used: %s", exc.message)
        return 0
    return tell(notifiers, Notice.of(request, config.link, "waiting")) if notifiers else 0


def due_reminders(
    requests: Sequence[ApprovalRequest],
    every: timedelta,
    last: dict[str, datetime],
    now: datetime | None = None,
) -> list[ApprovalRequest]:
    """The pending requests to remind the person of now: waiting `every` since asked or last reminded."""
    if every <= timedelta(0):
        return []
    moment = now or utcnow()
    return [
        r
        for r in requests
        if r.status is ApprovalStatus.PENDING and moment - last.get(r.id, r.created_at) >= every
    ]


__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "GmailConfig",
    "GmailNotifier",
    "Notice",
    "Notifier",
    "NotifierConfig",
    "WebhookNotifier",
    "announce",
    "due_reminders",
    "sign",
    "tell",
    "verify_signature",
]
