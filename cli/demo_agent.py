"""The scripted agents of `charter demo`: ordinary Toolkit code, shown on screen as it runs."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from charter.agents import Toolkit, ToolResult
from charter.schemas.types import JsonObject as Item


def triage(kit: Toolkit, repo: str = "acme/web") -> ToolResult:
    """Propose a triage comment on the oldest bug that waits for triage."""
    wanted = {"repo": repo, "labels": ["bug", "triage"]}
    found = kit.call("github_list_issues", wanted).data["items"]
    issue = min((i["data"] for i in found), key=lambda i: i["number"])
    where = {"repo": repo, "number": issue["number"]}
    thread = kit.call("github_list_comments", where).data["items"]
    body = (
        f"Triage: confirmed bug ({len(thread)} comment(s) in this thread). "
        "Priority P2: it needs an owner before the next release."
    )
    draft = kit.call("github_draft_comment", {**where, "body": body})
    draft_id = draft.data["draft_id"]
    return kit.call("github_commit_draft", {"draft_id": draft_id})


def inbox_round(kit: Toolkit, tomorrow: date) -> ToolResult:
    """Catch up on mail and tomorrow's meetings; answer two threads."""
    unread = {"query": "is:unread in:inbox", "page_size": 10}
    mail = kit.call("gmail_search_messages", unread).data["items"]
    day = {
        "calendar": "primary",
        "time_min": f"{tomorrow}T00:00:00Z",
        "time_max": f"{tomorrow}T23:59:59Z",
    }
    events = kit.call("calendar_list_events", day).data["items"]

    offsite = find(events, "Q3 planning offsite")
    prep = datetime.fromisoformat(offsite["start"]["date_time"])
    meeting = {
        "title": "Offsite prep",
        "start": (prep - timedelta(hours=1)).isoformat(),
        "end": (prep - timedelta(minutes=30)).isoformat(),
        "attendees": ["priya@acme.com", "lee@acme.com"],
    }
    kit.call("calendar_draft_event", meeting)

    thanks = "Thanks Priya, see you at 10. I'll bring the budget figures."
    offsite_mail = find(mail, "Q3 planning offsite")
    reply = kit.call("gmail_draft_reply", reply_all(offsite_mail, thanks))
    kit.call("gmail_commit_draft", {"draft_id": reply.data["draft_id"]})

    renewal = find(mail, "Contract renewal")
    where = {"thread_id": renewal["thread_id"]}
    thread = kit.call("gmail_get_thread", where).data["data"]["messages"]
    quote = unwrap(thread[0]["text"]).strip()
    note = "We will use the redlined version; comments by Thursday."
    body = f"> {quote}\n\n{note}"
    answer = kit.call("gmail_draft_reply", reply_all(renewal, body))
    commit = {"draft_id": answer.data["draft_id"]}
    return kit.call("gmail_commit_draft", commit)


def find(items: list[Item], words: str) -> Item:
    """The first mail or event whose subject or title mentions `words`."""
    return next(i["data"] for i in items if words in (i["data"].get("subject") or i["data"]["title"]))


def reply_all(message: Item, body: str) -> Item:
    """A reply to the sender, copying everyone else the message reached."""
    sender = parseaddr(unwrap(message["sender"]))[1]
    reached = [*message["to"], *message["cc"]]
    cc = [a for a in reached if a not in ("mona@acme.com", sender)]
    addressed = {"message_id": message["id"], "to": [sender], "cc": cc}
    return {**addressed, "body": body}


def unwrap(text: str) -> str:
    """Read text without the <ud> (untrusted data) envelope Charter puts around it."""
    return re.sub(r"</?(?:ud|untrusted-data)\b[^>]*>", "", text)


__all__ = ["find", "inbox_round", "reply_all", "triage", "unwrap"]
