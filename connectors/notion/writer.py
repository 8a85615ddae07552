"""Writing content to Notion within its request limits, and resuming a write whose answer was lost.

One request carries at most 100 blocks in any array, two levels and 1,000 blocks. The writer sends
the first part of the content together with the attribution line, then each further part right
after the part before it, so the attribution line stays last and everything written before it is
the content in order. Children deeper than two levels are added under their parents afterwards.
A retry finds the attribution line by its reference, compares what stands before it with the
planned content, and sends only the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from charter.connectors.notion.blocks import Planned, plain
from charter.connectors.notion.markers import carries
from charter.schemas.types import JsonObject

MAX_ARRAY = 100
MAX_REQUEST_BLOCKS = 1000
Append = Callable[[str, list[JsonObject], str | None], list[JsonObject]]
ListChildren = Callable[[str], Iterator[JsonObject]]


def body(node: Planned) -> JsonObject:
    """The request block with its first 100 children inline (no deeper level)."""
    out = {**node.body}
    if node.children:
        kind = str(node.body["type"])
        out[kind] = {**node.body[kind], "children": [c.body for c in node.children[:MAX_ARRAY]]}
    return out


def size(node: Planned) -> int:
    return 1 + min(len(node.children), MAX_ARRAY)


def first_part(nodes: list[Planned], reserved: int) -> int:
    """How many top-level nodes fit in one request beside `reserved` blocks (the attribution line)."""
    count, total = 0, reserved
    for node in nodes:
        if count + reserved >= MAX_ARRAY or total + size(node) > MAX_REQUEST_BLOCKS:
            break
        count, total = count + 1, total + size(node)
    return max(count, 1) if nodes else 0


def matches(node: Planned, block: JsonObject) -> bool:
    kind, text = node.key()
    return block.get("type") == kind and plain(block) == text


class ContentWriter:
    """Sends planned blocks through `append` (PATCH children) and reads back through `children`."""

    def __init__(self, append: Append, children: ListChildren) -> None:
        self.append = append
        self.children = children
        self.requests = 0

    def write(
        self,
        parent: str,
        nodes: list[Planned],
        after: str | None,
        made: list[JsonObject],
        *,
        nest_made: bool = True,
    ) -> None:
        """Append `nodes` under `parent` (after block `after`); `made` already holds the first part's blocks.

        `nest_made` adds the deeper children of the blocks in `made` too (not when resuming: those
        were handled by looking at what each one holds).
        """
        done = len(made)
        if nest_made:
            self._nested(nodes[:done], made)
        anchor = str(made[-1]["id"]) if made else after
        rest = nodes[done:]
        while rest:
            count = first_part(rest, 0)
            created = self.append(parent, [body(n) for n in rest[:count]], anchor)
            self.requests += 1
            self._nested(rest[:count], created)
            anchor = str(created[-1]["id"])
            rest = rest[count:]

    def _nested(self, nodes: list[Planned], created: list[JsonObject]) -> None:
        for node, block in zip(nodes, created, strict=False):
            if len(node.children) > MAX_ARRAY:
                self.write(str(block["id"]), node.children[MAX_ARRAY:], None, [])
            inline = node.children[:MAX_ARRAY]
            if any(child.children for child in inline):
                placed = [b for b in self.children(str(block["id"]))][: len(inline)]
                for child, child_block in zip(inline, placed, strict=False):
                    if child.children:
                        self.write(str(child_block["id"]), child.children, None, [])

    def resume(self, parent: str, nodes: list[Planned], key: str) -> bool:
        """Finish a write an earlier attempt began; False when that attempt left nothing behind."""
        blocks = list(self.children(parent))
        at = next((i for i in range(len(blocks) - 1, -1, -1) if carries(plain(blocks[i]), key)), None)
        if at is None:
            return False
        before = blocks[:at]
        landed = _landed(nodes, before)
        for node, block in zip(nodes[:landed], before[len(before) - landed :], strict=False):
            self._complete(node, block)
        if landed < len(nodes):
            self.write(parent, nodes, None, before[len(before) - landed :], nest_made=False)
        return True

    def _complete(self, node: Planned, block: JsonObject) -> None:
        """Give a block that landed whatever of its planned children it lacks, at every depth.

        Each request lands whole or not at all, and children go under a block Charter created in
        planned order, so what stands under it is a prefix of the plan: the rest follows it.
        """
        if not node.children:
            return
        if not block.get("has_children"):
            self.write(str(block["id"]), node.children, None, [])
            return
        placed = list(self.children(str(block["id"])))
        landed = _leading(node.children, placed)
        for child, child_block in zip(node.children[:landed], placed, strict=False):
            self._complete(child, child_block)
        if landed < len(node.children):
            self.write(str(block["id"]), node.children, None, placed[:landed], nest_made=False)


def _leading(nodes: list[Planned], blocks: list[JsonObject]) -> int:
    """How many of `nodes`, from the first, stand in order at the start of `blocks`."""
    count = 0
    for node, block in zip(nodes, blocks, strict=False):
        if not matches(node, block):
            break
        count += 1
    return count


def _landed(nodes: list[Planned], before: list[JsonObject]) -> int:
    """How many of `nodes`, from the first, stand in order right before the attribution line."""
    for count in range(min(len(nodes), len(before)), 0, -1):
        tail = before[len(before) - count :]
        if all(matches(n, b) for n, b in zip(nodes[:count], tail, strict=True)):
            return count
    return 0
