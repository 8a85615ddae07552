"""A repeat sync with no changes: Gmail's history.list from the last history id, Calendar's syncToken.

The sync is continued through the Toolkit, as an agent would, passing back what the previous result
gave it. When the Toolkit cannot continue a sync, the figure is taken on the bare connector instead
and the reason is kept, so the report says so rather than hiding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.google_rig import GoogleRig
from benchmarks.rig import Sample
from charter.agents import Toolkit
from charter.agents.tools import ToolResult
from charter.agents.untrusted import TAG
from charter.connectors.calendar import SyncEvents
from charter.connectors.gmail import SyncMessages

TOOLKIT = "Charter Toolkit: repeat sync, no changes"
CONNECTOR = "Charter connector: repeat sync, no changes"
Read = Callable[[], int]


@dataclass(frozen=True)
class RepeatSync:
    """What one repeat sync cost, how many changes it reported, and why the Toolkit was bypassed."""

    scenario: str
    sample: Sample
    changes: int
    problem: str | None = None


class _Stuck(Exception):
    """The Toolkit could not continue a sync."""


def gmail_repeat_sync(rig: GoogleRig, kit: Toolkit) -> RepeatSync:
    """Sync the mailbox, then measure syncing it again with nothing changed in between."""
    try:
        return _measured(rig, TOOLKIT, _gmail_through(kit))
    except _Stuck as stuck:
        connector = rig.gmail_connector()
        cursor = connector.read(SyncMessages()).cursor

        def again() -> int:
            sync = connector.read(SyncMessages(cursor=cursor))
            return len(sync.added) + len(sync.deleted) + len(sync.label_changes)

        return _measured(rig, CONNECTOR, again, str(stuck))


def calendar_repeat_sync(rig: GoogleRig, kit: Toolkit) -> RepeatSync:
    """Sync the primary calendar in full, then measure syncing it again with nothing changed."""
    try:
        return _measured(rig, TOOLKIT, _calendar_through(kit))
    except _Stuck as stuck:
        connector = rig.calendar_connector()
        page = connector.read(SyncEvents())
        while page.next_cursor:
            page = connector.read(SyncEvents(cursor=page.next_cursor))
        token = page.next_sync_token

        def again() -> int:
            return len(connector.read(SyncEvents(sync_token=token)).items)

        return _measured(rig, CONNECTOR, again, str(stuck))


def _measured(rig: GoogleRig, scenario: str, again: Read, problem: str | None = None) -> RepeatSync:
    changes = [again()]  # once before the clock: the steady state is what is measured
    sample = rig.measure(lambda: changes.append(again()))
    return RepeatSync(scenario, sample, changes[-1], problem)


def _gmail_through(kit: Toolkit) -> Read:
    cursor = str(_data(kit.call("gmail_sync_messages", {}))["data"]["cursor"])
    if cursor.startswith(f"<{TAG}"):
        raise _Stuck(
            "gmail_sync_messages returns its cursor delimited as untrusted text, which it refuses back"
        )

    def again() -> int:
        sync = _data(kit.call("gmail_sync_messages", {"cursor": cursor}))["data"]
        return sum(len(sync.get(name) or []) for name in ("added", "deleted", "label_changes"))

    again()
    return again


def _calendar_through(kit: Toolkit) -> Read:
    data = _data(kit.call("calendar_sync_events", {}))
    while data.get("next_cursor"):
        data = _data(kit.call("calendar_sync_events", {"cursor": data["next_cursor"]}))
    token = data.get("next_sync_token")
    if not token:
        raise _Stuck("the calendar_sync_events result leaves out next_sync_token")

    def again() -> int:
        return len(_data(kit.call("calendar_sync_events", {"sync_token": token})).get("items") or [])

    return again


def _data(result: ToolResult) -> dict[str, Any]:
    if not result.ok:
        error = result.error or {}
        raise _Stuck(f"{result.tool} failed through the Toolkit: {error.get('message', error)}")
    data: dict[str, Any] = result.data
    return data
