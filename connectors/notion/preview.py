"""What a person reads before a Notion draft is written: the page as it will look, what changes."""

from __future__ import annotations

from charter.connectors.notion.blocks import markdown_line
from charter.connectors.notion.models import BlockInput, PropertyValue


def content_markdown(blocks: list[BlockInput]) -> list[str]:
    """Blocks to be written, as the Markdown lines Notion will show."""
    lines: list[str] = []
    for block in blocks:
        inner: dict[str, object] = {"rich_text": [{"plain_text": block.text}]}
        if block.type == "to_do":
            inner["checked"] = bool(block.checked)
        if block.type == "code":
            inner["language"] = block.language or ""
        lines.append(markdown_line({"type": block.type, block.type: inner}, block.depth))
    return lines


def shown(value: PropertyValue) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "(none)"
    return "(empty)" if value is None or value == "" else str(value)


def property_lines(
    values: dict[str, PropertyValue], before: dict[str, PropertyValue] | None = None
) -> list[str]:
    lines = []
    for name, value in values.items():
        if before is None:
            lines.append(f"  {name}: {shown(value)}")
        else:
            lines.append(f"  {name}: {shown(before.get(name))} → {shown(value)}")
    return lines


def with_footer(heading: str, body: list[str], footer: str) -> str:
    # Never shortened: a person approves exactly what will be written, the end included.
    return "\n".join([heading, *body, f"— {footer}"])
