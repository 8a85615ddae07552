"""The previews a person reads before a SharePoint change is written: where, what, and who it reaches."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from charter.connectors.base import Attribution
from charter.connectors.sharepoint.own_drive import MY_SITE

MAX_DIFF_LINES = 200
# A new file is shown whole up to this many lines.
MAX_SHOWN_LINES = 2_000
LINK_REACH = {
    "anonymous": "ANYONE who has the link, without signing in (outside your organization too)",
    "organization": "everyone in your organization who has the link",
    "users": "only people who already have access",
}


def library_of(site: str, library: str) -> str:
    """A library as a person names it: `site > library`, or `your OneDrive`."""
    return "your OneDrive" if site == MY_SITE else f"{site} > {library}"


def where(site: str, library: str, path: str) -> str:
    return f"{library_of(site, library)} > {path}"


def text_diff(path: str, before: str, after: str) -> str:
    """A unified diff of two texts, cut at a readable length."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), f"{path} (now)", f"{path} (after)", lineterm="", n=2
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [
            *lines[:MAX_DIFF_LINES],
            f"… {len(lines) - MAX_DIFF_LINES} more diff lines are not shown here but will be written; "
            "deny and ask for a smaller change to review every line.",
        ]
    return "\n".join(lines) or "(no change to the text)"


def shown_content(content: str) -> str:
    """A new file's text as the person reviews it: whole, or cut with what is left out said plainly."""
    lines = content.splitlines()
    if len(lines) <= MAX_SHOWN_LINES:
        return content
    hidden = lines[MAX_SHOWN_LINES:]
    left = sum(len(line.encode()) + 1 for line in hidden)
    return "\n".join(
        [
            *lines[:MAX_SHOWN_LINES],
            f"… {len(hidden):,} more lines ({left:,} bytes) are not shown here but will be uploaded; "
            "deny and ask for smaller files to review every line.",
        ]
    )


def upload_preview(
    place: str, content: str, current: tuple[int, bytes | None] | None, attribution: Attribution | None
) -> str:
    size = len(content.encode())
    if current is None:
        head = f"Upload a new file to {place}\nSize: {size:,} bytes"
        body = shown_content(content)
    else:
        before, data = current
        head = f"Replace the file at {place}\nSize: {before:,} → {size:,} bytes"
        body = _diff_or_note(place, data, content)
    return f"{head}{_by(attribution)}\n\n{body}".rstrip()


def _diff_or_note(place: str, data: bytes | None, content: str) -> str:
    if data is not None:
        try:
            return text_diff(place.rsplit(" > ", 1)[-1], data.decode("utf-8"), content)
        except UnicodeDecodeError:
            pass
    return "(the current file is large or not text: no diff; it is replaced whole)"


def folder_preview(place: str, attribution: Attribution | None) -> str:
    return f"Create the folder {place}{_by(attribution)}"


def delete_preview(place: str, item: Mapping[str, Any]) -> str:
    if item.get("folder") is not None:
        what = f"the folder, with its {item['folder'].get('childCount', 0)} item(s)"
    else:
        what = f"the file ({int(item.get('size') or 0):,} bytes)"
    return f"Move {what} at {place} to the site's recycle bin (it can be restored from there)."


def link_preview(place: str, kind: str, scope: str) -> str:
    verb = "view" if kind == "view" else "view and EDIT"
    return f"Create a sharing link to {place}\nWho it reaches: {LINK_REACH[scope]}\nThey can: {verb}"


def invite_preview(
    place: str, recipients: list[str], outside: list[str], role: str, message: str, notify: bool
) -> str:
    lines = [f"Give {', '.join(recipients)} {role} access to {place}"]
    if outside:
        lines.append(f"Outside your organization: {', '.join(outside)}")
    lines.append("They are emailed an invitation." if notify else "No email is sent.")
    if message:
        lines.append(f"Message: {message}")
    return "\n".join(lines)


def fields_preview(place: str, current: Mapping[str, Any], changes: Mapping[str, Any]) -> str:
    lines = [f"Update {place}"]
    for name, value in changes.items():
        lines.append(f"  {name}: {current.get(name)!r} → {value!r}")
    return "\n".join(lines)


def _by(attribution: Attribution | None) -> str:
    return f"\nOn behalf of: agent {attribution.agent} (grant {attribution.grant_id})" if attribution else ""
