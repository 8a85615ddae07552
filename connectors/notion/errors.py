"""Notion's two kinds of 404: an object that does not exist, and one not shared with the integration.

Notion answers both with the same `object_not_found`. Charter tells them apart when it knows the
object exists: this connection saw its id in an earlier answer (a child page, a relation, a
mention, a search result). An id the agent merely names, even inside a Notion URL, proves nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from charter.schemas import Conflict, NotFound

SHARE_HOW = (
    "in Notion open it, choose ••• → Connections and add this integration (pages below it are shared "
    "with it too), then call again"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


class NotShared(NotFound):
    """The object exists in Notion but is not shared with the integration."""

    code = "not_shared"


class EditConflict(Conflict):
    """Notion's 409 `conflict_error`: an edit collided, nothing was written, and Notion says retry."""

    retryable = True


def missing(subject: str, known_to_exist: bool) -> NotFound:
    """The error for Notion's 404 about `subject`."""
    if known_to_exist:
        return NotShared(
            f"{subject} exists but is not shared with the integration; {SHARE_HOW}.", remedy=SHARE_HOW
        )
    return NotFound(
        f"{subject} was not found: check the id; if it does exist, it is not shared with the integration, "
        f"so {SHARE_HOW}.",
        remedy=SHARE_HOW,
    )


class SeenIds:
    """Ids a connection has seen in Notion's answers (the newest 20,000), so a later 404 can be explained."""

    def __init__(self, limit: int = 20_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, ids: Iterable[str]) -> None:
        with self._lock:
            for raw in ids:
                key = raw.replace("-", "").lower()
                self._ids[key] = None
                self._ids.move_to_end(key)
            while len(self._ids) > self._limit:
                self._ids.popitem(last=False)

    def __contains__(self, raw: object) -> bool:
        with self._lock:
            return isinstance(raw, str) and raw.replace("-", "").lower() in self._ids


def ids_in(answer: Any) -> Iterator[str]:
    """Every object id in a Notion answer: results, parents, relations, mentions, child pages."""
    todo = [answer]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and (key == "id" or key.endswith("_id")) and _UUID.fullmatch(value):
                    yield value
                elif isinstance(value, dict | list):
                    todo.append(value)
        elif isinstance(node, list):
            todo.extend(node)


_seen: dict[str, SeenIds] = {}
_seen_lock = threading.Lock()


def seen_for(connection_id: str) -> SeenIds:
    """The ids one connection has seen, shared by its connectors in the process."""
    with _seen_lock:
        return _seen.setdefault(connection_id, SeenIds())
