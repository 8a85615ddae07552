"""Incremental sync over Gmail's history: what changed since a history id, in as few requests as can be."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from charter.connectors.gmail.models import LabelChange
from charter.connectors.paging import PageTrail
from charter.schemas.types import JsonValue

if TYPE_CHECKING:
    from charter.connectors.gmail.connector import GmailConnector

HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
# history.list's largest page: a quiet mailbox answers in one request.
HISTORY_PAGE = 500


@dataclass
class Changes:
    """The net effect of a run of history records."""

    history_id: str
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    label_changes: list[LabelChange] = field(default_factory=list)


@dataclass
class _Net:
    added: dict[str, None] = field(default_factory=dict)
    deleted: dict[str, None] = field(default_factory=dict)
    labels: dict[str, tuple[dict[str, None], dict[str, None]]] = field(default_factory=dict)

    def record(self, entry: JsonValue) -> None:
        for item in entry.get("messagesAdded") or []:
            self.added[str(item["message"]["id"])] = None
        for item in entry.get("messagesDeleted") or []:
            ident = str(item["message"]["id"])
            self.added.pop(ident, None)
            self.labels.pop(ident, None)
            self.deleted[ident] = None
        for kind, index in (("labelsAdded", 0), ("labelsRemoved", 1)):
            for item in entry.get(kind) or []:
                self._label(str(item["message"]["id"]), item.get("labelIds") or [], index)

    def _label(self, ident: str, labels: list[str], index: int) -> None:
        if ident in self.deleted or ident in self.added:
            return  # a new or deleted message is reported whole
        pair = self.labels.setdefault(ident, ({}, {}))
        for label in labels:
            # A label added then removed (or the reverse) since the last sync is no change at all.
            if label in pair[1 - index]:
                pair[1 - index].pop(label)
            else:
                pair[index][label] = None

    def changes(self, history_id: str) -> Changes:
        label_changes = [
            LabelChange(message_id=ident, added=list(added), removed=list(removed))
            for ident, (added, removed) in self.labels.items()
            if added or removed
        ]
        return Changes(history_id, list(self.added), list(self.deleted), label_changes)


class HistoryReader:
    """Reads history.list from a starting history id to the present, page after page."""

    def __init__(self, connector: GmailConnector, label_id: str | None) -> None:
        self._connector = connector
        self._label_id = label_id

    def read(self, start: str) -> Changes:
        """The net changes since `start`; NotFound when Gmail no longer has history that old."""
        net, token = _Net(), None
        trail = PageTrail("Gmail", "your mailbox's history")
        while True:
            params: dict[str, Any] = {
                "userId": "me",
                "startHistoryId": start,
                "historyTypes": HISTORY_TYPES,
                "maxResults": HISTORY_PAGE,
            }
            if self._label_id:
                params["labelId"] = self._label_id
            if token:
                params["pageToken"] = token
            call = self._connector.users.history().list(**params)
            data = self._connector.google.execute(call, "your mailbox's history") or {}
            for entry in data.get("history") or []:
                net.record(entry)
            token = trail.follow(data.get("nextPageToken"))
            if not token:
                return net.changes(str(data.get("historyId") or start))
