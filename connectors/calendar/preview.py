"""The preview a person reads before a proposed event is created."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from charter.connectors.base import Attribution
from charter.connectors.calendar.models import CreateEvent

EXCERPT = 280
_SEND = {
    "all": "Google emails the invitation to every attendee when the event is created",
    "externalOnly": "Google emails the invitation only to attendees outside the account's domain",
    "none": "no invitation emails are sent",
}


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_outside(address: str, account: str) -> bool:
    """Whether `address` is outside the account's domain (every address is, if the domain is unknown)."""
    home = domain_of(account) if "@" in account else ""
    return not home or domain_of(address) != home


def describe_when(start: date, end: date, zone: str | None) -> str:
    """`Tue 14 Jan 2025, 10:00-11:00 (Europe/Paris, UTC+01:00)`, or the dates of an all-day event."""
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        days = (end - start).days
        last = end - timedelta(days=1)
        span = f"{start:%a %d %b %Y}" + (f" - {last:%a %d %b %Y}" if days > 1 else "")
        return f"{span}, all day ({days} day{'s' if days != 1 else ''})"
    start, end = _local(start, zone), _local(end, zone)
    ends = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %d %b %Y, %H:%M}"
    return f"{start:%a %d %b %Y, %H:%M}-{ends} ({_zone_label(start, zone)})"


def _local(moment: datetime, zone: str | None) -> datetime:
    if zone is None:
        return moment
    tz = zoneinfo.ZoneInfo(zone)
    return moment.replace(tzinfo=tz) if moment.utcoffset() is None else moment.astimezone(tz)


def _zone_label(moment: datetime, zone: str | None) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{zone}, {utc}" if zone else utc


def attendee_lines(change: CreateEvent, account: str) -> list[str]:
    home = domain_of(account) if "@" in account else "the account's domain"
    invited = [(a, False) for a in change.attendees] + [(a, True) for a in change.optional_attendees]
    if not invited:
        return ["Attendees: none (only this calendar)"]
    lines = [f"Attendees ({len(invited)}):"]
    for address, optional in invited:
        where = f"OUTSIDE {home}" if is_outside(address, account) else f"inside {home}"
        lines.append(f"  - {address}{' (optional)' if optional else ''}: {where}")
    return lines


def excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def event_preview(
    change: CreateEvent, *, account: str, zone: str | None, attribution: Attribution | None
) -> str:
    """Everything a person needs to judge a proposed event, one fact per line."""
    lines = [
        f"Proposed event on calendar {change.calendar} (nothing is on the calendar until it is written)",
        f"Title: {change.title}",
        f"When: {describe_when(change.start, change.end, change.time_zone or zone)}",
    ]
    if change.recurrence:
        lines.append(f"Repeats: {'; '.join(change.recurrence)}")
    if change.location:
        lines.append(f"Where: {change.location}")
    lines += attendee_lines(change, account)
    video = "a Google Meet link is added on creation" if change.add_video_call else "none"
    lines.append(f"Video call: {video}")
    if change.attendees or change.optional_attendees:
        lines.append(f"Invitations: {_SEND[change.send_updates]}")
    if change.description:
        # Whole, as it will be written: guests read all of it, so the person must too.
        lines += ["Description:", change.description]
    if attribution is not None:
        lines.append(
            f"Marked in the event as written by agent `{attribution.agent}` "
            f"under grant `{attribution.grant_id}`."
        )
    return "\n".join(lines)
