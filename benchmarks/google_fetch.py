"""Bulk reads of Gmail and Calendar, three ways: Charter, the naive pattern, and the round-trip floor.

Each way fetches the same items (the generated messages' metadata and snippets; the generated
events) and returns how many it got, so a benchmark can check every contender read them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from benchmarks.google_rig import (
    BULK_QUERY,
    CALENDAR_MAX_PAGE,
    GMAIL_MAX_PAGE,
    MAX_BATCH,
    GoogleRig,
    run_batches,
)
from benchmarks.rig import call_ok
from charter.agents import Toolkit
from charter.connectors import Connector
from charter.connectors.calendar import ListEvents
from charter.connectors.gmail import SearchMessages

# What a message summary shows; Charter asks for the same headers.
HEADERS = ["From", "To", "Cc", "Subject", "Date"]
Fetch = Callable[[], int]
# One page of a listing: given the page token (None first), how many items and the next token.
PageReader = Callable[[str | None], tuple[int, str | None]]


@dataclass(frozen=True)
class Contest:
    """One bulk read three ways, with the request counts the floor and the naive pattern imply.

    `connector` is Charter's connector alone (typed results, no agent layer): beside `charter`, the
    Toolkit, it shows what typed parsing costs and what delimiting, policy and audit add.
    """

    service: str
    items: int
    floor_requests: int
    naive_requests: int
    floor: Fetch
    charter: Fetch
    naive: Fetch
    connector: Fetch | None = None


def listing_pages(items: int, page: int) -> int:
    """Requests a listing of `items` takes at `page` items per page (an empty listing still takes one)."""
    return max(1, math.ceil(items / page))


def gmail_floor(messages: int, page: int = GMAIL_MAX_PAGE) -> int:
    """The fewest round trips for `messages` summaries: list pages, then messages.get in batches of 100."""
    return listing_pages(messages, page) + math.ceil(messages / MAX_BATCH)


def calendar_floor(events: int, page: int = CALENDAR_MAX_PAGE) -> int:
    """The fewest round trips for `events` events: events.list returns them whole, so its pages."""
    return listing_pages(events, page)


def toolkit_pages(kit: Toolkit, tool: str, args: dict[str, object]) -> PageReader:
    """The pages of a listing read through the Toolkit, as an agent calls a tool."""

    def page(token: str | None) -> tuple[int, str | None]:
        data = call_ok(kit, tool, args | ({"cursor": token} if token else {}))
        return len(data["items"]), data["next_cursor"]

    return page


def connector_pages(connector: Connector, request: BaseModel) -> PageReader:
    """The pages of a listing read from a bare connector, without the agent layer."""

    def page(token: str | None) -> tuple[int, str | None]:
        found = connector.read(request.model_copy(update={"cursor": token}))
        return len(found.items), found.next_cursor

    return page


def read_all(page: PageReader) -> int:
    """Every page of a listing, one after another; how many items in all."""
    seen, token = 0, None
    while True:
        count, token = page(token)
        seen += count
        if not token:
            return seen


def gmail_contest(rig: GoogleRig, kit: Toolkit, page: int = GMAIL_MAX_PAGE) -> Contest:
    """The generated messages' summaries (headers, labels, snippet), fetched three ways."""
    gmail = rig.gmail_client()
    messages = gmail.users().messages()
    batch_uri = rig.batch_uri("gmail", "v1")

    def ids(token: str | None) -> tuple[list[str], str | None]:
        call = messages.list(userId="me", q=BULK_QUERY, maxResults=page, pageToken=token)
        data = call.execute()
        return [str(m["id"]) for m in data.get("messages") or []], data.get("nextPageToken")

    def metadata(ident: str) -> Any:
        return messages.get(userId="me", id=ident, format="metadata", metadataHeaders=HEADERS)

    def floor_page(token: str | None) -> tuple[int, str | None]:
        found, token = ids(token)
        return len(run_batches([metadata(i) for i in found], batch_uri)), token

    def naive_page(token: str | None) -> tuple[int, str | None]:
        found, token = ids(token)
        return len([metadata(i).execute() for i in found]), token

    charter_page = toolkit_pages(kit, "gmail_search_messages", {"query": BULK_QUERY, "page_size": page})
    connector_page = connector_pages(rig.gmail_connector(), SearchMessages(query=BULK_QUERY, page_size=page))
    n = rig.messages
    return Contest(
        service="Gmail",
        items=n,
        floor_requests=gmail_floor(n, page),
        naive_requests=listing_pages(n, page) + n,
        floor=lambda: read_all(floor_page),
        charter=lambda: read_all(charter_page),
        naive=lambda: read_all(naive_page),
        connector=lambda: read_all(connector_page),
    )


def calendar_contest(rig: GoogleRig, kit: Toolkit, page: int = CALENDAR_MAX_PAGE) -> Contest:
    """The generated events of the primary calendar, fetched three ways."""
    events = rig.calendar_client().events()
    start = rig.bulk_events_from()

    def listed(token: str | None) -> tuple[list[str], str | None]:
        call = events.list(
            calendarId="primary",
            timeMin=start.isoformat(),
            singleEvents=True,
            orderBy="startTime",
            maxResults=page,
            pageToken=token,
        )
        data = call.execute()
        return [str(e["id"]) for e in data.get("items") or []], data.get("nextPageToken")

    def floor_page(token: str | None) -> tuple[int, str | None]:
        found, token = listed(token)
        return len(found), token

    def naive_page(token: str | None) -> tuple[int, str | None]:
        found, token = listed(token)
        return len([events.get(calendarId="primary", eventId=i).execute() for i in found]), token

    charter_page = toolkit_pages(
        kit, "calendar_list_events", {"time_min": start.isoformat(), "page_size": page}
    )
    connector_page = connector_pages(rig.calendar_connector(), ListEvents(time_min=start, page_size=page))
    n = rig.events
    return Contest(
        service="Calendar",
        items=n,
        floor_requests=calendar_floor(n, page),
        naive_requests=listing_pages(n, page) + n,
        floor=lambda: read_all(floor_page),
        charter=lambda: read_all(charter_page),
        naive=lambda: read_all(naive_page),
        connector=lambda: read_all(connector_page),
    )
