"""Notion's request limits (developers.notion.com, reference/request-limits), enforced on every body.

Any array holds at most 100 elements; a request carries at most 1,000 blocks; a rich text's
content is at most 2,000 characters (a link URL as well); an append nests at most two levels.
Breaking one is a 400 `validation_error` naming the offending path, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from charter.sandboxes.notion.errors import invalid

MAX_ARRAY = 100
MAX_BLOCKS = 1000
MAX_TEXT = 2000
MAX_NESTING = 2


def check_body(body: Any, where: str = "body") -> None:
    """Arrays and rich text content within Notion's limits, anywhere in the body."""
    if isinstance(body, list):
        if len(body) > MAX_ARRAY:
            raise invalid(_too_long(where, MAX_ARRAY, len(body)))
        for i, item in enumerate(body):
            check_body(item, f"{where}[{i}]")
    elif isinstance(body, dict):
        for key, value in body.items():
            path = f"{where}.{key}"
            if key in ("content", "url") and isinstance(value, str) and len(value) > MAX_TEXT:
                raise invalid(_too_long(path, MAX_TEXT, len(value)))
            check_body(value, path)


def _too_long(where: str, limit: int, found: int) -> str:
    return f"body failed validation: {where}.length should be ≤ `{limit}`, instead was `{found}`."


def count_blocks(blocks: list[Any]) -> int:
    """Blocks in a children array, nested children included."""
    total = 0
    for block in blocks:
        total += 1
        if isinstance(block, dict):
            total += count_blocks(nested_children(block))
    return total


def nested_children(block: dict[str, Any]) -> list[Any]:
    """The `children` a request block carries under its type object."""
    kind = block.get("type") or next((k for k in block if k not in ("object", "type")), None)
    inner = block.get(str(kind)) if kind else None
    children = inner.get("children") if isinstance(inner, dict) else None
    return children if isinstance(children, list) else []


def check_blocks(children: list[Any], *, max_depth: int | None) -> None:
    """At most 1,000 blocks per request, and at most `max_depth` levels when given (append)."""
    total = count_blocks(children)
    if total > MAX_BLOCKS:
        raise invalid(f"body failed validation: the request holds {total} blocks; the limit is {MAX_BLOCKS}.")
    if max_depth is not None and _depth(children) > max_depth:
        raise invalid(
            "body failed validation: children may be nested at most two levels deep in one request; "
            "append deeper blocks in a further request."
        )


def _depth(blocks: list[Any]) -> int:
    deepest = 0
    for block in blocks:
        if isinstance(block, dict):
            deepest = max(deepest, 1 + _depth(nested_children(block)))
    return deepest
