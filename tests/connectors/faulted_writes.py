"""Real connectors on the sandboxes for the exactly-once tests: writes, faults aimed at them, and effects.

Every connector is built fresh with a fresh ledger object on the same Charter home, the way a new
Toolkit (or another worker) would meet a write an earlier one started. Effects are counted in the
sandboxes' own state by the marks each connector leaves (GitHub's hidden marker, the Message-ID a
direct Gmail send carries, Calendar's key-derived event id).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from charter.agents.drafts import SQLWriteLedger
from charter.auth.home import CharterHome
from charter.connectors import Connector, WriteLedger
from charter.connectors.calendar import CalendarConnector
from charter.connectors.calendar.markers import event_id_for, write_digest, written_by
from charter.connectors.github import GitHubConnector
from charter.connectors.github.markers import carries
from charter.connectors.gmail import GmailConnector
from charter.connectors.gmail.markers import write_message_id
from charter.contract_tests.harnesses.calendar import EVERY_SCOPE as CALENDAR_SCOPES
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE as GMAIL_SCOPES
from charter.sandboxes.faults import FaultRule
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import Change, OutcomeUnknown, UpstreamError, WriteResult

Kind = Literal["issue", "comment", "mail", "event"]
KINDS: tuple[Kind, ...] = ("issue", "comment", "mail", "event")
Fault = Literal["5xx", "drop_before", "drop_after", "stall_before", "stall_after"]
FAULTS: tuple[Fault, ...] = ("5xx", "drop_before", "drop_after", "stall_before", "stall_after")
# Faults after which the service has committed while the client never heard so.
AFTER_COMMIT: frozenset[Fault] = frozenset({"drop_after", "stall_before", "stall_after"})
ACCOUNT = "mona@acme.com"
REPO, ISSUE = "acme/web", 3
# The POST each kind's commit goes through (the Gmail pattern covers drafts.create and drafts.send).
COMMIT_PATHS: dict[Kind, str] = {
    "issue": f"/repos/{REPO}/issues",
    "comment": f"/repos/{REPO}/issues/{ISSUE}/comments",
    "mail": "/gmail/v1/users/me/drafts*",
    "event": "/calendar/v3/calendars/primary/events",
}
CONNECTION: dict[Kind, str] = {
    "issue": "github-mona-1",
    "comment": "github-mona-1",
    "mail": "gmail-mona-1",
    "event": "calendar-mona-1",
}


@dataclass
class StaticCredentials:
    """A connection whose token the sandbox issued; these tests never need it refreshed."""

    connection_id: str
    account: str
    scopes: frozenset[str]
    token: str

    def __repr__(self) -> str:
        return f"<StaticCredentials {self.connection_id}>"

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self.scopes

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str) -> str:
        return self.token


@dataclass(frozen=True)
class Timing:
    """Client timeouts, how long a stall holds a request, and the commit windows the connectors wait."""

    github_timeout: float = 1.0  # PyGithub takes whole seconds
    github_stall: float = 1.4
    github_window: float = 2.0
    google_timeout: float = 0.8
    google_stall: float = 1.4


class WriteWorld:
    """The sandboxes, one Charter home, and what each kind of write needs."""

    def __init__(
        self,
        home: CharterHome,
        github: GitHubSandbox,
        google: GoogleSandbox,
        *,
        timing: Timing = Timing(),
        ledger: Callable[[], WriteLedger] | None = None,
    ) -> None:
        self.home, self.github, self.google, self.timing = home, github, google, timing
        self.new_ledger = ledger or (lambda: SQLWriteLedger(home))
        self._github_token = github.oauth.issue_token("mona", ["repo"]).access_token
        self._gmail_token = google.oauth.issue_token(ACCOUNT, GMAIL_SCOPES)[0]
        self._calendar_token = google.oauth.issue_token(ACCOUNT, CALENDAR_SCOPES)[0]
        self._start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    def connector(self, kind: Kind) -> Connector:
        """A fresh connector with a fresh ledger object over the shared home, as a new Toolkit builds."""
        connector: Connector
        t = self.timing
        if kind in ("issue", "comment"):
            creds = StaticCredentials(CONNECTION[kind], "mona", frozenset({"repo"}), self._github_token)
            connector = GitHubConnector(creds, base_url=self.github.url, ledger=self.new_ledger())
            connector.request_timeout, connector.commit_window = t.github_timeout, t.github_window
        elif kind == "mail":
            creds = StaticCredentials(CONNECTION[kind], ACCOUNT, GMAIL_SCOPES, self._gmail_token)
            connector = GmailConnector(creds, base_url=self.google.url, ledger=self.new_ledger())
            connector.request_timeout = t.google_timeout
        else:
            creds = StaticCredentials(CONNECTION[kind], ACCOUNT, CALENDAR_SCOPES, self._calendar_token)
            connector = CalendarConnector(creds, base_url=self.google.url, ledger=self.new_ledger())
            connector.request_timeout = t.google_timeout
        connector.sleep = (
            self.github.clock.advance if kind in ("issue", "comment") else self.google.clock.advance
        )
        return connector

    def change(self, kind: Kind, n: int) -> Change:
        """The n-th write of a kind, as a validated request model."""
        connector_cls = type(self.connector(kind))
        action = {
            "issue": "create_issue",
            "comment": "comment",
            "mail": "send_draft",
            "event": "create_event",
        }
        spec = connector_cls.actions[action[kind]]
        start = self._start + timedelta(minutes=30 * n)
        args: dict[str, object] = {
            "issue": {"repo": REPO, "title": f"Faulted issue {n}", "body": f"Body {n}."},
            "comment": {"repo": REPO, "number": ISSUE, "body": f"Faulted comment {n}."},
            "mail": {"to": ["lee@acme.com"], "subject": f"Faulted mail {n}", "body": f"Mail {n}."},
            "event": {
                "title": f"Faulted event {n}",
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=20)).isoformat(),
            },
        }[kind]
        change = spec.request.model_validate(args)
        assert isinstance(change, Change)
        return change

    def arm(self, kind: Kind, fault: Fault, *, last_step: bool = False) -> None:
        """Aim `fault` at the next commit request of `kind` (with `last_step`, a mail's send itself)."""
        sandbox = self.github if kind in ("issue", "comment") else self.google
        stall = self.timing.github_stall if kind in ("issue", "comment") else self.timing.google_stall
        path = "/gmail/v1/users/me/drafts/send" if last_step and kind == "mail" else COMMIT_PATHS[kind]
        rule = {
            "5xx": FaultRule("fail", 1, "POST", path, status=502),
            "drop_before": FaultRule("drop_before", 1, "POST", path),
            "drop_after": FaultRule("drop_after", 1, "POST", path),
            "stall_before": FaultRule("stall_before", 1, "POST", path, seconds=stall),
            "stall_after": FaultRule("stall_after", 1, "POST", path, seconds=stall),
        }[fault]
        sandbox.faults.arm(rule)

    def count(self, kind: Kind, key: str) -> int:
        """How many times the write under `key` is visible in the service."""
        if kind == "issue":
            with self.github.lock:
                return sum(carries(i.body, key) for i in self.github.state.issues(REPO))
        if kind == "comment":
            with self.github.lock:
                return sum(carries(c.body, key) for c in self.github.state.comments(REPO, ISSUE))
        if kind == "mail":
            wanted = write_message_id(CONNECTION["mail"], key, ACCOUNT)
            with self.google.lock:
                return sum(m.header("Message-ID") == wanted for m in self.google.state.gmail.sent)
        digest = write_digest(CONNECTION["event"], key)
        with self.google.lock:
            events = self.google.state.calendar.events("primary")
            return sum(written_by(e, digest) for e in events)

    def leftover_drafts(self) -> int:
        """Gmail drafts of direct sends still waiting: a draft created after its caller gave up."""
        with self.google.lock:
            box = self.google.state.gmail
            return sum(
                1
                for d in box.drafts.values()
                if d.message_id in box.messages
                and box.messages[d.message_id].header("Message-ID").startswith("<charter.")
            )

    def event_id(self, key: str) -> str:
        return event_id_for(CONNECTION["event"], key)


def settle(world: WriteWorld, kind: Kind, change: Change, key: str, *, rounds: int = 6) -> WriteResult | None:
    """Call the write as an agent would until it has an answer: same key, a fresh connector each time."""
    for _ in range(rounds):
        try:
            return world.connector(kind).write(change, idempotency_key=key)
        except OutcomeUnknown as exc:
            time.sleep(min(float(exc.details.get("retry_after") or 1.0), 3.0))
        except UpstreamError:
            continue
    return None


__all__ = [
    "AFTER_COMMIT",
    "FAULTS",
    "KINDS",
    "Fault",
    "Kind",
    "StaticCredentials",
    "Timing",
    "WriteWorld",
    "settle",
]
