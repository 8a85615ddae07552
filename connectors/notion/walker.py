"""Reading a page's blocks in order within a budget, resumable from a sealed cursor.

Children are fetched 100 at a time (Notion's maximum) and only as far as the budget reaches: a
walk keeps a stack of frames, one per open level (the parent, Notion's cursor for the page of
children being read, and how many of that page were used). The cursor is that stack, so the next
call re-reads one page per open level and carries on exactly where this one stopped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from charter.connectors.cursors import FOREIGN, seal, unseal
from charter.schemas import ValidationError
from charter.schemas.types import JsonObject

# Blocks whose children are other pages or databases: their content is read by reading them.
OPAQUE = frozenset({"child_page", "child_database"})
FetchChildren = Callable[[str, str | None], JsonObject]


@dataclass
class Frame:
    parent: str
    depth: int
    start: str | None = None
    skip: int = 0
    items: list[JsonObject] | None = None
    next: str | None = None
    used: int = 0


@dataclass
class Walk:
    """Blocks read (with their depth and parent) and where to continue, if anywhere."""

    blocks: list[tuple[JsonObject, int, str]] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.frames


def walk(
    fetch: FetchChildren,
    frames: list[Frame],
    max_depth: int,
    keep_going: Callable[[list[tuple[JsonObject, int, str]]], bool],
) -> Walk:
    """Read blocks depth-first from `frames` while `keep_going(blocks so far)` holds."""
    out = Walk(frames=frames)
    while frames and keep_going(out.blocks):
        top = frames[-1]
        if top.items is None:
            page = fetch(top.parent, top.start)
            top.items = list(page.get("results", []))[top.skip :]
            top.next = page.get("next_cursor") if page.get("has_more") else None
            top.used = top.skip
        if not top.items:
            frames.pop()
            if top.next:
                frames.append(Frame(top.parent, top.depth, top.next))
            continue
        block = top.items.pop(0)
        top.used += 1
        out.blocks.append((block, top.depth, top.parent))
        if block.get("has_children") and top.depth < max_depth and block.get("type") not in OPAQUE:
            frames.append(Frame(str(block["id"]), top.depth + 1))
    # Drop exhausted levels so a finished walk has no cursor.
    while frames and frames[-1].items is not None and not frames[-1].items and not frames[-1].next:
        frames.pop()
    return out


def encode(request: BaseModel, frames: list[Frame], budget_field: str) -> str | None:
    """The cursor continuing at `frames`; the budget may differ on the next call."""
    if not frames:
        return None
    stack = [_position(f, f is frames[-1]) for f in frames]
    return seal(_listing(request, budget_field), {"stack": stack})


def _position(frame: Frame, deepest: bool) -> list[Any]:
    if frame.items is None:
        return [frame.parent, frame.depth, frame.start, frame.skip]
    if deepest and not frame.items and frame.next:
        # This page of children is used up: continue at the next one rather than re-read it (a level
        # above another keeps its place, which the level below is checked against).
        return [frame.parent, frame.depth, frame.next, 0]
    return [frame.parent, frame.depth, frame.start, frame.used]


def decode(request: BaseModel, root: str, budget_field: str, fetch: FetchChildren) -> list[Frame]:
    """The frames a request's cursor holds, or the start of the page; refuses foreign cursors.

    A cursor is not signed, so its block ids are checked against Notion: the first level must be the
    requested page, and each deeper level the block where the level above it stopped. A cursor made
    up to reach a block outside the page never reads it.
    """
    position = unseal(_listing(request, budget_field), ("stack",), _valid)
    if position is None:
        return [Frame(root, 1)]
    stack: list[list[Any]] = position["stack"]  # type: ignore[assignment]
    frames = [Frame(str(p), int(d), None if s is None else str(s), int(k)) for p, d, s, k in stack]
    if frames[0].parent != root or any(f.depth != i + 1 for i, f in enumerate(frames)):
        raise ValidationError(FOREIGN)
    for upper, lower in itertools.pairwise(frames):
        page = fetch(upper.parent, upper.start)
        results = list(page.get("results", []))
        if not 1 <= upper.skip <= len(results) or results[upper.skip - 1].get("id") != lower.parent:
            raise ValidationError(FOREIGN)
        upper.items, upper.used = results[upper.skip :], upper.skip
        upper.next = page.get("next_cursor") if page.get("has_more") else None
    return frames


def _listing(request: BaseModel, budget_field: str) -> BaseModel:
    # The budget is not part of the listing: an agent may continue with a larger one.
    return request.model_copy(update={budget_field: 1})


def _valid(position: dict[str, object]) -> bool:
    stack = position["stack"]
    if not isinstance(stack, list) or not 1 <= len(stack) <= 8:
        return False
    return all(
        isinstance(f, list)
        and len(f) == 4
        and isinstance(f[0], str)
        and isinstance(f[1], int)
        and (f[2] is None or isinstance(f[2], str))
        and isinstance(f[3], int)
        and 0 <= f[3] <= 100
        for f in stack
    )
