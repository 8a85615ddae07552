"""One rate budget per Notion connection: shared by its connectors and threads, closed by a 429 for all."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from charter.connectors.notion import GetPage, NotionConnector
from charter.connectors.notion.client import RATE_PER_SECOND, RateBudget
from charter.contract_tests.harnesses.notion import EVERY_CAPABILITY, NotionCredentials
from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, NotionSandbox, seed_id

HOME = seed_id("team-home")


class SecondConnection(NotionCredentials):
    connection_id = "notion-mona-second"


def test_threads_taking_at_once_are_spaced_at_three_a_second() -> None:
    budget, waits, lock = RateBudget(), [], threading.Lock()
    start = threading.Barrier(30)

    def take() -> None:
        start.wait()
        wait = budget.take(100.0)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    waits.sort()
    assert waits[:3] == [0.0, 0.0, 0.0]
    gaps = [b - a for a, b in itertools.pairwise(waits[2:])]
    assert min(gaps) >= 1 / RATE_PER_SECOND - 1e-9, "no two requests after the burst share a slot"


def test_connectors_of_one_connection_share_its_budget(make_notion: Any, nsb: NotionSandbox) -> None:
    nsb.rate_limit.enabled = True
    first: NotionConnector = make_notion()
    second = NotionConnector(first.credentials, base_url=nsb.url)
    second.sleep, second.clock = nsb.clock.advance, nsb.clock.now
    for _ in range(3):
        first.read(GetPage(page_id=HOME))
    second.read(GetPage(page_id=HOME))
    assert second.api.budget is first.api.budget
    assert second.api.budget.waited > 0, "the burst was spent by the other connector"
    assert nsb.rate_limit.refused == 0


def test_a_429_closes_the_budget_for_every_connector_of_the_connection(
    make_notion: Any, nsb: NotionSandbox
) -> None:
    first: NotionConnector = make_notion()
    second = NotionConnector(first.credentials, base_url=nsb.url)
    second.sleep, second.clock = nsb.clock.advance, nsb.clock.now
    nsb.faults.rate_limit_next(1, retry_after=7)
    before = nsb.clock.now()
    first.read(GetPage(page_id=HOME))
    assert nsb.clock.now() - before >= 7
    assert nsb.faults.early_retries == []
    # The other connector of the connection waits out the same Retry-After before its own request.
    assert second.api.budget.take(before) >= 7 - 1e-6
    # Control: another connection keeps its own budget, untouched by the first one's 429.
    issued = nsb.tokens.issue("mona@acme.com", EVERY_CAPABILITY, DEFAULT_CLIENT_ID)
    credentials = SecondConnection(
        token_url=f"{nsb.url}/v1/oauth/token",
        client=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        tokens=(issued.access_token, issued.refresh_token or ""),
        claimed=EVERY_CAPABILITY,
    )
    other = NotionConnector(credentials, base_url=nsb.url)
    other.sleep, other.clock = nsb.clock.advance, nsb.clock.now
    assert other.api.budget is not first.api.budget
    other.read(GetPage(page_id=HOME))
    assert other.api.budget.waited == 0
