"""The contract harness for Charter's Notion connector, against the Notion sandbox.

Capabilities play the part of scopes: `credentials(scopes)` sets the integration's capabilities
in the sandbox before issuing its token, so Notion itself refuses what a missing one forbids.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from charter.connectors.base import Connector, Credentials
from charter.connectors.notion import NotionConnector
from charter.contract_tests.harness import Example
from charter.contract_tests.harnesses.sandboxed import SandboxCredentials, SandboxedHarness
from charter.sandboxes.faults import FaultKind, FaultRule

if TYPE_CHECKING:
    from charter.sandboxes.notion import NotionSandbox  # noqa: F401 (named in a base class)

ACCOUNT = "mona@acme.com"
EVERY_CAPABILITY = frozenset(
    {"read_content", "update_content", "insert_content", "read_comments", "insert_comments"}
)
# Notion reads that are POSTs: a fault meant for the committing request must not hit them.
POST_READS = ("/v1/search", "/v1/data_sources/*/query")

# Well-formed, and no page of the sandbox: Notion answers object_not_found.
UNKNOWN_PAGE = "00000000-0000-4000-8000-000000000000"


class NotionCredentials(SandboxCredentials):
    """A sandbox Notion connection whose refresh rotates the pair over HTTP Basic, as the vault does."""

    connection_id = "notion-mona-contract"
    account = ACCOUNT
    provider = "Notion"

    def __repr__(self) -> str:
        return f"<NotionCredentials {self.connection_id} capabilities={sorted(self._claimed)}>"

    def _post_refresh(self, form: dict[str, str]) -> httpx.Response:
        # Notion documents only a JSON body, with the client authenticated by HTTP Basic.
        return httpx.post(self._token_url, json=form, auth=self._client, timeout=10)


@dataclass
class NotionWriteRule(FaultRule):
    """Faults for the next requests that change something: not GETs, nor the reads Notion sends as POST."""

    def matches(self, method: str, path: str) -> bool:
        if method.upper() == "GET" or any(fnmatch.fnmatchcase(path, p) for p in POST_READS):
            return False
        return not path.startswith("/v1/oauth/")


class NotionHarness(SandboxedHarness["NotionSandbox"]):
    """Runs the contract suite on `NotionConnector` against the Notion sandbox."""

    connector_cls: ClassVar[type[Connector]] = NotionConnector
    no_sandbox: ClassVar[str] = "the Notion harness runs against the Notion sandbox only"

    def start(self) -> None:
        from charter.sandboxes.notion import NotionSandbox

        self._serve(NotionSandbox())

    def connector(self, credentials: Credentials) -> Connector:
        connector = super().connector(credentials)
        assert isinstance(connector, NotionConnector)
        connector.clock = connector.wall_clock = self.sandbox.clock.now
        return connector

    def credentials(
        self,
        scopes: Iterable[str] | None = None,
        *,
        claimed: Iterable[str] | None = None,
        canary: str | None = None,
    ) -> Credentials:
        from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        held = frozenset(scopes) if scopes is not None else EVERY_CAPABILITY
        client = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        if canary:
            client = (f"contract-{len(canary)}", f"secret-{canary}")
            self.sandbox.oauth.register_client(*client)
            self._mark_tokens(canary)
        with self.sandbox.lock:
            self.sandbox.oauth.capabilities = held
            issued = self.sandbox.tokens.issue(ACCOUNT, held, client[0])
        return NotionCredentials(
            token_url=f"{self.sandbox.url}/v1/oauth/token",
            client=client,
            tokens=(issued.access_token, issued.refresh_token or ""),
            claimed=frozenset(claimed) if claimed is not None else held,
        )

    # -- examples ----------------------------------------------------------------------------

    def examples(self) -> Mapping[str, Example]:
        from charter.sandboxes.notion import seed_id

        home, notes, projects = seed_id("team-home"), seed_id("meeting-notes"), seed_id("projects")
        row, retro = seed_id("projects/row/1"), seed_id("old-retro")
        page = {
            "parent_id": projects,
            "title": "Contract suite page",
            "properties": {"Status": "In progress"},
        }
        page["markdown"] = "## Agenda\n- one\n- two"
        append = {"page_id": notes, "blocks": [{"type": "paragraph", "text": "Contract suite block."}]}
        comment = {"page_id": home, "text": "Contract suite comment."}
        update = {"page_id": row, "properties": {"Status": "Done", "Points": 13}}
        titled = self._count(lambda: self._titled("Contract suite page"))
        appended = self._count(lambda: self.sandbox.content_text(notes).count("Contract suite block."))
        commented = self._count(lambda: self._comments(home, "Contract suite comment."))
        updated = self._count(lambda: int(self._status(row) == "Done"))
        trashed = self._count(lambda: int(self.sandbox.state.pages[notes].in_trash))
        return {
            "search": Example({"page_size": 2}, invalid=({"page_size": 0},), min_items=5, min_pages=3),
            "get_page": Example(
                {"page_id": home}, invalid=({"page_id": "not-an-id"},), refused=({"page_id": UNKNOWN_PAGE},)
            ),
            "get_page_content": Example(
                {"page_id": home, "max_blocks": 3}, invalid=({"page_id": home, "depth": 9},)
            ),
            "read_page_text": Example({"page_id": home}, invalid=({"page_id": home, "max_chars": 10},)),
            "query_data_source": Example(
                {"data_source_id": seed_id("projects-db"), "page_size": 2},
                invalid=({"data_source_id": projects, "page_size": 101},),
                min_items=4,
                min_pages=2,
            ),
            "list_comments": Example({"page_id": home}, invalid=({"page_id": home, "page_size": 0},)),
            "draft_page": Example(page, invalid=({**page, "title": ""},), observe=titled),
            "create_page": Example(page, invalid=({**page, "parent_id": "x"},), observe=titled),
            "draft_append": Example(append, invalid=({"page_id": notes},), observe=appended),
            "append_blocks": Example(
                append, invalid=({**append, "blocks": [{"type": "table"}]},), observe=appended
            ),
            "draft_property_update": Example(
                update, invalid=({**update, "properties": {}},), observe=updated
            ),
            "update_properties": Example(update, invalid=({"page_id": row},), observe=updated),
            "draft_comment": Example(comment, invalid=({**comment, "text": ""},), observe=commented),
            "add_comment": Example(
                comment,
                invalid=({**comment, "text": ""},),
                refused=({**comment, "page_id": UNKNOWN_PAGE},),
                observe=commented,
            ),
            "trash_page": Example({"page_id": notes}, invalid=({"page_id": ""},), observe=trashed),
            "restore_page": Example(
                {"page_id": retro},
                invalid=({"page_id": 3},),
                observe=self._count(lambda: int(not self.sandbox.state.pages[retro].in_trash)),
            ),
        }

    # -- observation -------------------------------------------------------------------------

    def _titled(self, title: str) -> int:
        from charter.sandboxes.notion.state import plain_title

        return sum(
            plain_title(p.properties) == title and not p.in_trash for p in self.sandbox.state.pages.values()
        )

    def _comments(self, page_id: str, text: str) -> int:
        return sum(
            any(text in t["plain_text"] for t in c.rich_text)
            for c in self.sandbox.state.comments
            if c.parent.get("page_id") == page_id
        )

    def _status(self, page_id: str) -> Any:
        value = self.sandbox.state.pages[page_id].properties["Status"]["status"]
        return value["name"] if value else None

    def visible_state(self) -> Mapping[str, object]:
        with self.sandbox.lock:
            return dict(self.sandbox.dump_state())

    def request_count(self) -> int | None:
        return None if self._sandbox is None else len(self._sandbox.requests)

    def fidelity_problems(self) -> list[str] | None:
        from charter.sandboxes.notion.fidelity import NotionSpec

        return [str(p) for p in NotionSpec.load().check(self.sandbox.requests.entries)]

    def _arm_writes(self, kind: str, n: int, status: int = 503) -> None:
        self.sandbox.faults.arm(NotionWriteRule(kind_of(kind), n, status=status))


def kind_of(kind: str) -> FaultKind:
    if kind not in ("fail", "rate_limit", "drop_before", "drop_after"):
        raise ValueError(f"unknown fault kind {kind!r}")
    return kind  # type: ignore[return-value]


__all__ = ["EVERY_CAPABILITY", "NotionCredentials", "NotionHarness", "NotionWriteRule"]
