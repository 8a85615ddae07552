"""Blocks both ways: Charter's simple blocks and Markdown into Notion's, Notion's into text and Markdown.

Notion caps a rich text object at 2,000 characters (JavaScript counts UTF-16 units, so an emoji
counts two) and a block's rich text at 100 objects. Long text is cut into as many objects, and a
text past 100 objects continues in further blocks of the same type; a cut never splits a
character. Request sizes (100 blocks per array, two levels, 1,000 blocks) are left to the writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import get_args

from charter.connectors.notion.models import MAX_DEPTH, BlockInput, BlockType
from charter.schemas.types import JsonObject

MAX_TEXT_UNITS = 2000
MAX_RICH_TEXT = 100
# Every block type Charter writes carries rich text except the divider.
TEXT_TYPES = frozenset(get_args(BlockType)) - {"divider"}
NESTING_TYPES = frozenset(
    {"paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout"}
)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_pieces(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """`text` cut into pieces of at most `limit` UTF-16 units, never inside a character."""
    pieces: list[str] = []
    start, units = 0, 0
    for i, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > limit:
            pieces.append(text[start:i])
            start, units = i, 0
        units += width
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def rich_text(text: str) -> list[JsonObject]:
    return (
        [{"type": "text", "text": {"content": piece}} for piece in text_pieces(text) if piece] if text else []
    )


@dataclass
class Planned:
    """A block ready to send (`body` without children) and the blocks to create under it."""

    body: JsonObject
    children: list[Planned] = field(default_factory=list)

    def key(self) -> tuple[str, str]:
        """What a block read back is compared by to know it was this one."""
        kind = str(self.body["type"])
        inner = self.body.get(kind, {})
        return kind, "".join(t["text"]["content"] for t in inner.get("rich_text", []))


def _pieces(block: BlockInput) -> list[Planned]:
    """A block as request blocks: long text continues in further blocks of the same type."""
    if block.type == "divider":
        return [Planned({"type": "divider", "divider": {}})]
    pieces = text_pieces(block.text) or [""]
    out = []
    for i in range(0, len(pieces), MAX_RICH_TEXT):
        inner: JsonObject = {
            "rich_text": [
                {"type": "text", "text": {"content": p}} for p in pieces[i : i + MAX_RICH_TEXT] if p
            ]
        }
        if block.type == "to_do":
            inner["checked"] = bool(block.checked)
        if block.type == "code":
            inner["language"] = block.language or "plain text"
        out.append(Planned({"type": block.type, block.type: inner}))
    return out


def plan(blocks: list[BlockInput]) -> list[Planned]:
    """Charter's flat blocks as a tree of Notion request blocks.

    A block one level deeper than the one before goes under it (more than one level deeper counts
    as one); under a block that cannot hold children (a heading, code) it becomes its sibling.
    """
    top: list[Planned] = []
    open_levels: list[Planned | None] = []  # the block each depth would nest under
    for block in blocks:
        depth = min(block.depth, len(open_levels) + 1)
        parent = open_levels[depth - 2] if depth > 1 else None
        while parent is None and depth > 1:
            depth -= 1
            parent = open_levels[depth - 2] if depth > 1 else None
        siblings = parent.children if parent is not None else top
        made = _pieces(block)
        siblings.extend(made)
        last = made[-1]
        del open_levels[depth - 1 :]
        open_levels.append(last if block.type in NESTING_TYPES else None)
    return top


def footer(line: str) -> Planned:
    """The attribution paragraph that ends what Charter writes."""
    return Planned({"type": "paragraph", "paragraph": {"rich_text": rich_text(f"— {line}")}})


# -- Markdown in ------------------------------------------------------------------------------

_LIST = re.compile(r"^(\s*)(?:([-*+])\s+(\[[ xX]\]\s+)?|(\d+)[.)]\s+)(.*)$")
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")


def from_markdown(text: str) -> list[BlockInput]:
    """Common Markdown (headings, lists, to-dos, quotes, code fences, rules, paragraphs) as blocks."""
    out: list[BlockInput] = []
    indents: list[int] = []  # the indentation of each open list level
    paragraph: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        i += 1
        item = _LIST.match(line)
        if stripped.startswith("```") or item or not stripped or not _is_text(stripped):
            _flush(out, paragraph)
        if stripped.startswith("```"):
            code: list[str] = []
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            i += 1
            out.append(
                BlockInput(type="code", text="\n".join(code), language=stripped[3:].strip() or "plain text")
            )
        elif item:
            out.append(_list_item(item, indents))
            continue
        elif stripped and _is_text(stripped):
            paragraph.append(stripped)
        elif stripped:
            out.append(_line_block(stripped))
        indents.clear()
    _flush(out, paragraph)
    return out


def _is_text(line: str) -> bool:
    return not (_HEADING.match(line) or line in ("---", "***", "___") or line.startswith(">"))


def _flush(out: list[BlockInput], paragraph: list[str]) -> None:
    if paragraph:
        out.append(BlockInput(type="paragraph", text="\n".join(paragraph)))
        paragraph.clear()


def _line_block(line: str) -> BlockInput:
    heading = _HEADING.match(line)
    if heading:
        return BlockInput(type=f"heading_{len(heading.group(1))}", text=heading.group(2))
    if line.startswith(">"):
        return BlockInput(type="quote", text=line.lstrip(">").strip())
    return BlockInput(type="divider")


def _list_item(item: re.Match[str], indents: list[int]) -> BlockInput:
    spaces, bullet, box, _, body = item.groups()
    indent = len(spaces.replace("\t", "    "))
    while indents and indents[-1] >= indent:
        indents.pop()
    indents.append(indent)
    kind = "to_do" if box else ("bulleted_list_item" if bullet else "numbered_list_item")
    checked = bool("x" in box.lower()) if box else None
    return BlockInput(type=kind, text=body, depth=min(len(indents), MAX_DEPTH), checked=checked)


# -- Notion out -------------------------------------------------------------------------------


def plain(block: JsonObject) -> str:
    kind = str(block.get("type"))
    inner = block.get(kind) or {}
    if kind in ("child_page", "child_database"):
        return str(inner.get("title", ""))
    return "".join(str(t.get("plain_text", "")) for t in inner.get("rich_text", []) or [])


def markdown_line(block: JsonObject, depth: int) -> str:
    """One block as a Markdown line, indented two spaces per level below the top."""
    kind = str(block.get("type"))
    inner = block.get(kind) or {}
    text = plain(block)
    pad = "  " * (depth - 1)
    prefix = {
        "heading_1": "# ",
        "heading_2": "## ",
        "heading_3": "### ",
        "bulleted_list_item": "- ",
        "numbered_list_item": "1. ",
        "toggle": "- ",
        "quote": "> ",
        "callout": "> ",
    }
    if kind in prefix:
        return f"{pad}{prefix[kind]}{text}"
    if kind == "to_do":
        return f"{pad}- [{'x' if inner.get('checked') else ' '}] {text}"
    if kind == "code":
        return f"{pad}```{inner.get('language', '')}\n{text}\n{pad}```"
    if kind == "divider":
        return f"{pad}---"
    if kind == "child_page":
        return f"{pad}[page: {text}](notion:{block.get('id')})"
    if kind == "child_database":
        return f"{pad}[database: {text}](notion:{block.get('id')})"
    if kind == "paragraph":
        return f"{pad}{text}"
    return f"{pad}[{kind} block]"
