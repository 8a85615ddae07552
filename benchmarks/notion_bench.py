"""The Notion benchmarks: a 2,000-block page and a 1,000-row query, within Notion's 3 requests/s.

Every contender runs against the sandbox with its rate limit on (3 requests/s, a burst of 3) and
paces itself to it, so none is refused. Waiting is done on the sandbox's clock rather than for
real; the time reported is the real time plus the time waited, i.e. what the read would take
against Notion's limit. The floor is hand-written httpx at page_size 100; the naive pattern lists
at 100 too but then fetches every block or row on its own (N+1), as generated tools do.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from notion_client import Client

from benchmarks.figures import Figure, Report, against_baseline
from benchmarks.rig import Sample
from charter.agents import Toolkit
from charter.auth.consent import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.notion import NotionConnector, QueryDataSource
from charter.connectors.notion.client import RateBudget, _budgets
from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, NOTION_VERSION, NotionSandbox
from charter.sandboxes.notion.seed import seed_id
from charter.sandboxes.notion.state import Database, DataSource, Page, rich_text
from charter.schemas.types import JsonObject

PAGE = "6. Notion: a {blocks}-block page, {latency:g} ms latency, 3 requests/s"
QUERY = "7. Notion: querying {rows} rows, {latency:g} ms latency, 3 requests/s"
FLOOR = "floor: httpx, page_size 100, paced to 3/s"
CHARTER_BLOCKS = "Charter Toolkit: notion_get_page_content"
CHARTER_TEXT = "Charter Toolkit: notion_read_page_text"
CHARTER_QUERY = "Charter Toolkit: notion_query_data_source"
CONNECTOR_QUERY = "Charter connector alone: query_data_source"
NAIVE_BLOCKS = "naive: list + blocks.retrieve each"
NAIVE_ROWS = "naive: query + pages.retrieve each"
CAPABILITIES = frozenset({"read_content", "read_comments"})
Send = Callable[..., JsonObject]


class NotionRig:
    """The Notion sandbox with a big page and a big data source, and mona's connection to it."""

    def __init__(self, blocks: int, rows: int) -> None:
        self.sandbox = NotionSandbox()
        self.blocks, self.rows = blocks, rows
        self._dir = tempfile.TemporaryDirectory(prefix="charter-bench-notion-")
        self.home = CharterHome(Path(self._dir.name) / "home")
        self.vault = Vault(self.home, keys=KeySet.parse(generate_key(), source="benchmark"))
        self.page_id = self.source_id = self.connection_id = self.grant_token = self.token = ""
        self.waited = 0.0

    def __repr__(self) -> str:
        return f"<NotionRig {self.sandbox!r}>"

    def __enter__(self) -> Self:
        self.sandbox.start()
        self._seed()
        issued = self.sandbox.tokens.issue("mona@acme.com", CAPABILITIES, DEFAULT_CLIENT_ID, expires_in=None)
        self.token = issued.access_token
        connection = self.vault.add_connection(
            service="notion", provider="notion", account="mona@acme.com",
            tokens=TokenSet(issued.access_token, refresh_token=issued.refresh_token, scopes=CAPABILITIES),
            api_base=self.sandbox.url, oauth_base=self.sandbox.url,
            client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
        )  # fmt: skip
        self.connection_id = connection.id
        grant = GrantAuthority(self.home).issue(
            "mona@acme.com", "benchmark-agent", (connection.id,), ("read",)
        )
        self.grant_token = grant.token
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.sandbox.stop()
        self._dir.cleanup()

    def _seed(self) -> None:
        state = self.sandbox.state
        with self.sandbox.lock:
            title = {"title": {"id": "title", "type": "title", "title": [rich_text("Big page")]}}
            page = state.add_page({"type": "page_id", "page_id": seed_id("team-home")}, title, "bench")
            for i in range(self.blocks):
                state.add_block(
                    page.id, "paragraph", {"rich_text": [rich_text(f"Paragraph {i} of the page.")]}, "b"
                )
            now = state.now()
            schema = {
                "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
                "Points": {"id": "pt", "name": "Points", "type": "number", "number": {}},
            }
            database = Database(state.new_id(), seed_id("team-home"), "Tasks", [], now, now)
            source = DataSource(state.new_id(), database.id, "Tasks", schema, now, now)
            database.data_source_ids.append(source.id)
            state.databases[database.id], state.data_sources[source.id] = database, source
            for n in range(self.rows):
                properties = {
                    "Name": {"id": "title", "type": "title", "title": [rich_text(f"Task {n}")]},
                    "Points": {"id": "pt", "type": "number", "number": n % 13},
                }
                parent = {"type": "data_source_id", "data_source_id": source.id}
                row = Page(state.new_id(), parent, properties, now, now, "bench", "bench")
                state.pages[row.id] = row
        self.page_id, self.source_id = page.id, source.id

    # -- pacing on the sandbox clock ---------------------------------------------------------

    def wait(self, seconds: float) -> None:
        self.waited += seconds
        self.sandbox.clock.advance(seconds)

    def paced(self) -> Send:
        """Runs each request of a hand-written client within the same 3/s budget Charter keeps."""
        budget = RateBudget()

        def send(call: Callable[..., Any], *args: Any, **kwargs: Any) -> JsonObject:
            pause = budget.take(self.sandbox.clock.now())
            if pause > 0:
                self.wait(pause)
            try:
                answer = call(*args, **kwargs)
            finally:
                budget.answered(self.sandbox.clock.now())
            return dict(answer.json() if isinstance(answer, httpx.Response) else answer)

        return send

    def toolkit(self) -> Toolkit:
        """A Toolkit whose Notion connector paces itself on the sandbox clock."""
        _budgets.clear()
        kit = Toolkit(self.grant_token, home=self.home, vault=self.vault)
        connector = kit._catalog().connector(self.connection_id)  # the benchmark reaches in to set its clock
        assert isinstance(connector, NotionConnector)
        connector.clock, connector.sleep = self.sandbox.clock.now, self.wait
        return kit

    def measure(self, work: Callable[[], int], expected: int) -> Sample:
        """Run `work`; real seconds plus seconds waited on the sandbox clock, and the requests it made."""
        log = self.sandbox.requests
        # Every contender starts with Notion's burst available: the sandbox's budget refills first.
        self.sandbox.clock.advance(2.0)
        log.clear()
        waited, started = self.waited, time.perf_counter()
        got = work()
        seconds = time.perf_counter() - started + (self.waited - waited)
        if got != expected:
            raise RuntimeError(f"a Notion benchmark read {got} items, not {expected}")
        refused = sum(e.status == 429 for e in log.entries)
        if refused:
            raise RuntimeError(f"a Notion benchmark contender was refused {refused} times at 3 requests/s")
        return Sample(seconds, len(log.entries), 0, sum(len(e.response_body) for e in log.entries))


def _http(rig: NotionRig) -> httpx.Client:
    headers = {"Authorization": f"Bearer {rig.token}", "Notion-Version": NOTION_VERSION}
    return httpx.Client(base_url=rig.sandbox.url, headers=headers, timeout=30)


def floor_blocks(rig: NotionRig) -> int:
    send, seen, cursor = rig.paced(), 0, None
    with _http(rig) as http:
        while True:
            params: dict[str, Any] = {"page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            page = send(http.get, f"/v1/blocks/{rig.page_id}/children", params=params)
            seen += len(page["results"])
            cursor = page["next_cursor"] if page["has_more"] else None
            if cursor is None:
                return seen


def floor_rows(rig: NotionRig) -> int:
    send, seen, cursor = rig.paced(), 0, None
    with _http(rig) as http:
        while True:
            body: dict[str, Any] = {"page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            page = send(http.post, f"/v1/data_sources/{rig.source_id}/query", json=body)
            seen += len(page["results"])
            cursor = page["next_cursor"] if page["has_more"] else None
            if cursor is None:
                return seen


def _toolkit_pages(
    kit: Toolkit, tool: str, args: dict[str, Any], count: Callable[[dict[str, Any]], int]
) -> int:
    seen = 0
    while True:
        result = kit.call(tool, args)
        if result.status != "ok":
            raise RuntimeError(f"{tool} failed: {result.error}")
        data = result.data.get("data", result.data)
        seen += count(data)
        if not data.get("next_cursor"):
            return seen
        args = {**args, "cursor": data["next_cursor"]}


def charter_blocks(kit: Toolkit, rig: NotionRig) -> int:
    args = {"page_id": rig.page_id, "max_blocks": 1000}
    return _toolkit_pages(kit, "notion_get_page_content", args, lambda d: len(d["blocks"]))


def charter_text(kit: Toolkit, rig: NotionRig) -> int:
    args = {"page_id": rig.page_id, "max_chars": 20_000}
    return _toolkit_pages(kit, "notion_read_page_text", args, lambda d: int(d["blocks_read"]))


def charter_rows(kit: Toolkit, rig: NotionRig) -> int:
    args = {"data_source_id": rig.source_id, "page_size": 100}
    return _toolkit_pages(kit, "notion_query_data_source", args, lambda d: len(d["items"]))


def connector_rows(kit: Toolkit, rig: NotionRig) -> int:
    """The connector's own read, without the Toolkit's grant, policy, audit and taint work around it."""
    connector = kit._catalog().connector(rig.connection_id)
    request, seen = QueryDataSource(data_source_id=rig.source_id, page_size=100), 0
    while True:
        page = connector.read(request)
        seen += len(page.items)
        if not page.next_cursor:
            return seen
        request = request.model_copy(update={"cursor": page.next_cursor})


def _naive_list(
    send: Callable[[Callable[[], JsonObject]], JsonObject], method: Callable[..., Any], **kwargs: Any
) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        extra = {"start_cursor": cursor} if cursor else {}
        page = send(method, page_size=100, **kwargs, **extra)
        ids += [str(item["id"]) for item in page["results"]]
        cursor = page["next_cursor"] if page["has_more"] else None
        if cursor is None:
            return ids


def naive_blocks(rig: NotionRig) -> int:
    client, send = Client(auth=rig.token, base_url=rig.sandbox.url, retry=False), rig.paced()
    ids = _naive_list(send, client.blocks.children.list, block_id=rig.page_id)
    for block_id in ids:
        send(client.blocks.retrieve, block_id=block_id)
    return len(ids)


def naive_rows(rig: NotionRig) -> int:
    client, send = Client(auth=rig.token, base_url=rig.sandbox.url, retry=False), rig.paced()
    ids = _naive_list(send, client.data_sources.query, data_source_id=rig.source_id)
    for page_id in ids:
        send(client.pages.retrieve, page_id=page_id)
    return len(ids)


def measure_notion(report: Report, blocks: int, rows: int, latency_ms: float) -> None:
    """Both contests at `latency_ms` with the sandbox's 3 requests/s on; figures and notes."""
    with NotionRig(blocks, rows) as rig:
        rig.sandbox.rate_limit.enabled = True
        rig.sandbox.faults.set_latency(latency_ms / 1000)
        kit = rig.toolkit()
        page_rows = [
            (FLOOR, rig.measure(lambda: floor_blocks(rig), blocks), 1),
            (CHARTER_BLOCKS, rig.measure(lambda: charter_blocks(rig.toolkit(), rig), blocks), 1),
            (CHARTER_TEXT, rig.measure(lambda: charter_text(rig.toolkit(), rig), blocks), 1),
            (NAIVE_BLOCKS, rig.measure(lambda: naive_blocks(rig), blocks), 1),
        ]
        query_rows = [
            (FLOOR, rig.measure(lambda: floor_rows(rig), rows), 1),
            (CHARTER_QUERY, rig.measure(lambda: charter_rows(kit, rig), rows), 1),
            (CONNECTOR_QUERY, rig.measure(lambda: connector_rows(rig.toolkit(), rig), rows), 1),
            (NAIVE_ROWS, rig.measure(lambda: naive_rows(rig), rows), 1),
        ]
    page_figures = against_baseline(PAGE.format(blocks=blocks, latency=latency_ms), FLOOR, page_rows)
    query_figures = against_baseline(QUERY.format(rows=rows, latency=latency_ms), FLOOR, query_rows)
    report.figures += page_figures + query_figures
    _summarise(report, page_figures, query_figures)


def _summarise(report: Report, page: list[Figure], query: list[Figure]) -> None:
    by = {f.scenario: f for f in page}
    rows = {f.scenario: f for f in query}
    report.summary["notion_page_vs_floor"] = by[CHARTER_BLOCKS].ratio
    report.summary["notion_page_naive_vs_floor"] = by[NAIVE_BLOCKS].ratio
    report.summary["notion_query_vs_floor"] = rows[CHARTER_QUERY].ratio
    report.summary["notion_query_naive_vs_floor"] = rows[NAIVE_ROWS].ratio
    floor = by[FLOOR]
    bound = max(0, floor.requests - 3) / 3
    report.notes.append(
        f"Notion: at 3 requests/s the rate limit is the bound. The page's floor is {floor.requests} requests "
        f"(ceil(blocks/100)), at least {bound:.1f} s once the burst of 3 is spent, and it took "
        f"{floor.seconds:.1f} s; Charter's get_page_content made {by[CHARTER_BLOCKS].requests} requests, "
        f"read_page_text {by[CHARTER_TEXT].requests} (each Markdown part re-reads the page of 100 it stopped "
        f"in), the naive pattern {by[NAIVE_BLOCKS].requests}, i.e. {by[NAIVE_BLOCKS].seconds / 60:.0f} min."
    )
    kit, alone, floor_rows = rows[CHARTER_QUERY], rows[CONNECTOR_QUERY], rows[FLOOR]
    report.notes.append(
        f"Notion query: floor {floor_rows.requests} requests, Charter {kit.requests} "
        f"(it reads the schema only to check filters or sorts), naive {rows[NAIVE_ROWS].requests}. Times "
        "are real time plus the waits the limit imposes, waited on the sandbox clock; every contender "
        "counts a request from its answer, so each costs a third of a second plus its round trip."
    )
    bound = "so the limit is its bound" if alone.seconds <= 1.25 * floor_rows.seconds else "beyond the limit"
    report.notes.append(
        f"Notion query time: the connector alone takes {alone.seconds:.1f} s against the floor's "
        f"{floor_rows.seconds:.1f} s for the same requests, {bound}; through the Toolkit it takes "
        f"{kit.seconds:.1f} s: the rest is the Toolkit's own work on the rows (grant, policy, audit, "
        "and fingerprinting every text returned for the taint checks), which is CPU, not the limit."
    )


def minimum_requests(items: int) -> int:
    """What a listing of `items` at Notion's page size of 100 costs at least."""
    return max(1, math.ceil(items / 100))
