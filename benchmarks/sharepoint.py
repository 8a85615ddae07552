"""The SharePoint benchmarks: a 1,000-item folder listed, 100 named items read, and a repeat sync.

Each is run by Charter (the connector alone, and the Toolkit), at the round-trip floor (httpx
written by hand: children at Graph's largest page, `$batch` of 20, the kept deltaLink) and by the
naive pattern agent tools use (default page size, then one GET per item; a re-listing to sync).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from benchmarks.figures import Report, against_baseline
from benchmarks.rig import Sample
from charter.agents import Toolkit
from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.sharepoint import GetItems, ListChildren, SharePointConnector, SyncLibrary
from charter.connectors.sharepoint.responses import ITEM_SELECT
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, OWNER, GraphSandbox

SITE = "contoso.sharepoint.com/sites/Finance"
LISTING = "6. SharePoint: listing a {items}-item folder, {latency:g} ms latency"
NAMED = "7. SharePoint: reading {items} items by path, {latency:g} ms latency"
SYNC = "8. SharePoint: repeat sync of the library with no change, {latency:g} ms latency"
FLOOR = "floor: httpx by hand, children at $top=999"
BATCH_FLOOR = "floor: httpx by hand, $batch of 20"
DELTA_FLOOR = "floor: httpx by hand, GET the kept deltaLink"
CONNECTOR = "Charter connector alone (typed, no agent layer)"
TOOLKIT = "Charter Toolkit: sharepoint_{action}"
NAIVE = "naive: children at the default page, then GET each item"
NAIVE_NAMED = "naive: one GET per item"
NAIVE_SYNC = "naive: list the folder again"
NAMED_ITEMS = 100
Work = Callable[[], object]


class SharePointRig:
    """The Graph sandbox with a bulk folder, a connection made through msal, and a read grant."""

    def __init__(self, items: int) -> None:
        self.items = items
        self.sandbox = GraphSandbox(bulk_files=items)
        self._dir = tempfile.TemporaryDirectory(prefix="charter-bench-sp-")
        self.home = CharterHome(Path(self._dir.name) / "home")
        self.vault = Vault(self.home, keys=KeySet.parse(f"k1:{generate_key()}", source="benchmark"))
        self.connection = ""
        self.grant_token = ""

    def __enter__(self) -> Self:
        self.sandbox.start()
        self.sandbox.set_budget(10**9)
        authority = f"{self.sandbox.url}/organizations"
        connection = connect_microsoft(
            self.vault,
            scopes=["Sites.Read.All"],
            client_id=DEFAULT_CLIENT_ID,
            authority=authority,
            api_base=self.sandbox.graph_base,
            open_browser=lambda url: httpx.get(
                "http://" + url.removeprefix("https://"), follow_redirects=True
            ),
        )
        self.connection = connection.id
        grant = GrantAuthority(self.home).issue(OWNER, "benchmark-agent", (self.connection,), ("read",))
        self.grant_token = grant.token
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.sandbox.stop()
        self._dir.cleanup()

    def toolkit(self) -> Toolkit:
        """A new Toolkit for the benchmark grant (read on the SharePoint connection)."""
        return Toolkit(self.grant_token, home=self.home, vault=self.vault)

    def connector(self) -> SharePointConnector:
        return SharePointConnector(self.vault.credentials(self.connection), base_url=self.sandbox.graph_base)

    def raw(self) -> httpx.Client:
        token = self.vault.credentials(self.connection).access_token()
        return httpx.Client(base_url=self.sandbox.graph_base, headers={"Authorization": f"Bearer {token}"})

    def ids(self) -> tuple[str, str]:
        """(site id, drive id) of the Finance library, as a hand-written client would hard-code them."""
        with self.raw() as raw:
            site = raw.get("/sites/contoso.sharepoint.com:/sites/Finance").json()["id"]
            return site, raw.get(f"/sites/{site}/drives").json()["value"][0]["id"]

    def measure(self, work: Work) -> Sample:
        log = self.sandbox.requests
        log.clear()
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        seen = log.entries
        return Sample(
            seconds, len(seen), sum(e.status == 304 for e in seen), sum(len(e.response_body) for e in seen)
        )

    def best(self, work: Work, rounds: int) -> Sample:
        """The median of `rounds` runs after one warm-up run."""
        work()
        samples = [self.measure(work) for _ in range(rounds)]
        middle = statistics.median(s.seconds for s in samples)
        return next(s for s in samples if s.seconds == middle) if rounds % 2 else _median(samples)


def _median(samples: list[Sample]) -> Sample:
    ordered = sorted(samples, key=lambda s: s.seconds)
    return ordered[len(ordered) // 2]


def follow(raw: httpx.Client, url: str, params: dict[str, str] | None = None) -> list[Any]:
    """Every item of a Graph collection, following @odata.nextLink."""
    out: list[Any] = []
    page = raw.get(url, params=params).json()
    while True:
        out += page["value"]
        if "@odata.nextLink" not in page:
            return out
        page = raw.get(page["@odata.nextLink"]).json()


def listing_rows(rig: SharePointRig, drive: str, rounds: int) -> list[tuple[str, Sample, int]]:
    connector, kit, raw = rig.connector(), Toolkit(rig.grant_token, home=rig.home, vault=rig.vault), rig.raw()
    children = f"/drives/{drive}/root:/Bulk:/children"
    select = {"$select": ITEM_SELECT, "$top": "999"}

    def floor() -> object:
        return follow(raw, children, select)

    def charter() -> object:
        return list(connector.collect(ListChildren(site=SITE, path="Bulk")))

    def toolkit() -> object:
        args: dict[str, Any] = {"site": SITE, "path": "Bulk"}
        while True:
            data = kit.call("sharepoint_list_children", args).data
            if not data.get("next_cursor"):
                return data
            args = {**args, "cursor": data["next_cursor"]}

    def naive() -> object:
        return [raw.get(f"/drives/{drive}/items/{i['id']}").json() for i in follow(raw, children)]

    return [
        (FLOOR, rig.best(floor, rounds), 1),
        (CONNECTOR, rig.best(charter, rounds), 1),
        (TOOLKIT.format(action="list_children"), rig.best(toolkit, rounds), 1),
        (NAIVE, rig.best(naive, 1), 1),
    ]


def named_rows(rig: SharePointRig, drive: str, rounds: int) -> list[tuple[str, Sample, int]]:
    connector, raw = rig.connector(), rig.raw()
    paths = [f"Bulk/file-{n:05d}.txt" for n in range(min(NAMED_ITEMS, rig.items))]

    def floor() -> object:
        out = []
        for start in range(0, len(paths), 20):
            calls = [
                {"id": str(n), "method": "GET", "url": f"/drives/{drive}/root:/{p}"}
                for n, p in enumerate(paths[start : start + 20])
            ]
            out += raw.post("/$batch", json={"requests": calls}).json()["responses"]
        return out

    def charter() -> object:
        return connector.read(GetItems(site=SITE, paths=paths))

    def naive() -> object:
        return [raw.get(f"/drives/{drive}/root:/{p}").json() for p in paths]

    return [
        (BATCH_FLOOR, rig.best(floor, rounds), 1),
        (CONNECTOR, rig.best(charter, rounds), 1),
        (NAIVE_NAMED, rig.best(naive, 1), 1),
    ]


def sync_rows(rig: SharePointRig, drive: str, rounds: int) -> list[tuple[str, Sample, int]]:
    connector, raw = rig.connector(), rig.raw()
    link = raw.get(f"/drives/{drive}/root/delta", params={"token": "latest"}).json()["@odata.deltaLink"]
    cursor = connector.read(SyncLibrary(site=SITE)).cursor

    def floor() -> object:
        return raw.get(link).json()

    def charter() -> object:
        return connector.read(SyncLibrary(site=SITE, cursor=cursor))

    def naive() -> object:
        return follow(raw, f"/drives/{drive}/root:/Bulk:/children")

    return [
        (DELTA_FLOOR, rig.best(floor, rounds), 1),
        (CONNECTOR, rig.best(charter, rounds), 1),
        (NAIVE_SYNC, rig.best(naive, rounds), 1),
    ]


def measure_sharepoint(report: Report, items: int, latency_ms: float, rounds: int) -> None:
    """The three SharePoint benchmarks at `latency_ms`; figures, headline numbers, notes."""
    with SharePointRig(items) as rig:
        _, drive = rig.ids()
        rig.sandbox.faults.set_latency(latency_ms / 1000)
        try:
            benches = (
                (LISTING.format(items=items, latency=latency_ms), FLOOR, listing_rows(rig, drive, rounds)),
                (
                    NAMED.format(items=min(NAMED_ITEMS, items), latency=latency_ms),
                    BATCH_FLOOR,
                    named_rows(rig, drive, rounds),
                ),
                (SYNC.format(latency=latency_ms), DELTA_FLOOR, sync_rows(rig, drive, rounds)),
            )
        finally:
            rig.sandbox.faults.set_latency(0)
    for bench, baseline, rows in benches:
        report.figures += against_baseline(bench, baseline, rows)
    listing, named, sync = (report.figure(b, CONNECTOR) for b, _, _ in benches)
    naive = report.figure(benches[0][0], NAIVE)
    report.summary.update(
        sharepoint_listing_vs_floor=listing.ratio,
        sharepoint_listing_requests=listing.requests,
        sharepoint_naive_vs_charter=naive.seconds / listing.seconds if listing.seconds else float("nan"),
        sharepoint_named_requests=named.requests,
        sharepoint_repeat_sync_requests=sync.requests,
    )
    report.notes.append(
        f"SharePoint: listing {items} items took Charter {listing.requests} requests "
        f"({listing.ratio:.2f}x the floor); the naive pattern {naive.requests} "
        f"({naive.ratio:.1f}x the floor). "
        f"{min(NAMED_ITEMS, items)} items by path: {named.requests} $batch requests. "
        f"A repeat sync with no change: {sync.requests} request."
    )
