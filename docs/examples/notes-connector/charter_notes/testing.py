"""The notes connector's contract harness: how the standard suite drives it against its sandbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from charter.connectors import Connector
from charter.contract_tests import ContractHarness, Example
from charter.schemas import AuthRequired
from charter_notes.connector import NotesConnector
from charter_notes.provider import READ_SCOPE, WRITE_SCOPE
from charter_notes.sandbox import NotesService, serve, unserve


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
        self.base_url = serve(self.service)

    def reset(self) -> None:
        self.service.reset()

    def stop(self) -> None:
        unserve(self.base_url or "")

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
