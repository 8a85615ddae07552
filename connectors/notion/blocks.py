"""Blocks both ways: Charter's simple blocks and Markdown into Notion's, Notion's into text and Markdown.

Notion caps a rich text object at 2,000 characters (JavaScript counts UTF-16 units, so an emoji
counts two) and a block's rich text at 100 objects. Long text is cut into as many objects, and a
text past 100 objects continues in further blocks of the same type; a cut never splits a
character. Request sizes (100 blocks per array, two levels, 1,000 blocks) are left to the writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from charter.connectors.notion.models import BlockInput

Json = dict[str, Any]
MAX_TEXT_UNITS = 2000
# Deeper Markdown indentation is kept at this depth (Notion's editor nests no deeper in practice).
MAX_DEPTH = 12
MAX_RICH_TEXT = 100
TEXT_TYPES = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
    }
)
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


def rich_text(text: str) -> list[Json]:
    return (
        [{"type": "text", "text": {"content": piece}} for piece in text_pieces(text) if piece] if text else []
    )


@dataclass
class Planned:
    """A block ready to send (`body` without children) and the blocks to create under it."""

    body: Json
    children: list[Planned] = field(default_factory=list)

    def key(self) -> tuple[str, str]:
        """What a block read back is compared by to know it was this one."""
        kind = str(self.body["type"])
        inner = self.body.get(kind, {})
        return kind, "".join(t["text"]["content"] for t in inner.get("rich_text", []))


def plan(blocks: list[BlockInput]) -> list[Planned]:
    """Charter's blocks as Notion request blocks, long text spread over as many blocks as it needs."""
    out: list[Planned] = []
    for block in blocks:
        if block.type == "divider":
            out.append(Planned({"type": "divider", "divider": {}}))
            continue
        pieces = [p for p in text_pieces(block.text)] or [""]
        groups = [pieces[i : i + MAX_RICH_TEXT] for i in range(0, len(pieces), MAX_RICH_TEXT)]
        for n, group in enumerate(groups):
            inner: Json = {"rich_text": [{"type": "text", "text": {"content": p}} for p in group if p]}
            if block.type == "to_do":
                inner["checked"] = bool(block.checked)
            if block.type == "code":
                inner["language"] = block.language or "plain text"
            last = n == len(groups) - 1
            children = plan(block.children) if last and block.type in NESTING_TYPES else []
            out.append(Planned({"type": block.type, block.type: inner}, children))
        if block.children and block.type not in NESTING_TYPES:
            out.extend(plan(block.children))
    return out


def footer(line: str) -> Planned:
    """The attribution paragraph that ends what Charter writes."""
    return Planned({"type": "paragraph", "paragraph": {"rich_text": rich_text(f"— {line}")}})


# -- Markdown in ------------------------------------------------------------------------------

_LIST = re.compile(r"^(\s*)(?:([-*+])\s+(\[[ xX]\]\s+)?|(\d+)[.)]\s+)(.*)$")
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")


def from_markdown(text: str) -> list[BlockInput]:
    """Common Markdown (headings, lists, to-dos, quotes, code fences, rules, paragraphs) as blocks."""
    out: list[BlockInput] = []
    stack: list[tuple[int, list[BlockInput]]] = []
    paragraph: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0

    def flush() -> None:
        if paragraph:
            out.append(BlockInput(type="paragraph", text="\n".join(paragraph)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        i += 1
        if line.strip().startswith("```"):
            flush()
            language = line.strip()[3:].strip() or "plain text"
            code: list[str] = []
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            i += 1
            out.append(BlockInput(type="code", text="\n".join(code), language=language))
            stack.clear()
            continue
        item = _LIST.match(line)
        if item:
            flush()
            indent, bullet, box, _, body = item.groups()
            kind = "to_do" if box else ("bulleted_list_item" if bullet else "numbered_list_item")
            block = BlockInput(
                type=kind, text=body, checked=bool(box and "x" in box.lower()) if box else None
            )
            _place(out, stack, len(indent.replace("\t", "    ")), block)
            continue
        stack.clear()
        stripped = line.strip()
        if not stripped:
            flush()
        elif heading := _HEADING.match(stripped):
            flush()
            out.append(BlockInput(type=f"heading_{len(heading.group(1))}", text=heading.group(2)))
        elif stripped in ("---", "***", "___"):
            flush()
            out.append(BlockInput(type="divider"))
        elif stripped.startswith(">"):
            flush()
            out.append(BlockInput(type="quote", text=stripped.lstrip(">").strip()))
        else:
            paragraph.append(stripped)
    flush()
    return out


def _place(
    out: list[BlockInput], stack: list[tuple[int, list[BlockInput]]], indent: int, block: BlockInput
) -> None:
    # Blocks are frozen models, so nesting is built in plain lists and attached when the list is read.
    while stack and (stack[-1][0] >= indent or len(stack) >= MAX_DEPTH):
        stack.pop()
    siblings = stack[-1][1] if stack else out
    siblings.append(block)
    stack.append((indent, block.children))


# -- Notion out -------------------------------------------------------------------------------


def plain(block: Json) -> str:
    kind = str(block.get("type"))
    inner = block.get(kind) or {}
    if kind in ("child_page", "child_database"):
        return str(inner.get("title", ""))
    return "".join(str(t.get("plain_text", "")) for t in inner.get("rich_text", []) or [])


def markdown_line(block: Json, depth: int) -> str:
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
