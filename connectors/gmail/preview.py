"""The preview a person reads before a Gmail draft is sent: every recipient, the subject, every body."""

from __future__ import annotations

from charter.connectors.gmail.markers import AGENT_HEADER
from charter.connectors.gmail.mime import Outgoing


def draft_preview(heading: str, draft_id: str, mail: Outgoing) -> str:
    """Headers first (Bcc included: the person must see everyone the mail reaches), then the text.

    An HTML version follows as its source: most recipients read that one, so the person must too.
    """
    lines = [f"{heading} (Gmail draft {draft_id})", f"From: {mail.sender}", f"To: {', '.join(mail.to)}"]
    if mail.cc:
        lines.append(f"Cc: {', '.join(mail.cc)}")
    if mail.bcc:
        lines.append(f"Bcc: {', '.join(mail.bcc)}")
    lines.append(f"Subject: {mail.subject}")
    if mail.in_reply_to:
        lines.append(f"In-Reply-To: {mail.in_reply_to}")
    agent = mail.extra_headers.get(AGENT_HEADER)
    if agent:
        lines.append(f"{AGENT_HEADER}: {agent}")
    html = f"\n\n--- HTML version (what most mail programs show) ---\n{mail.html}" if mail.html else ""
    return "\n".join(lines) + "\n\n" + mail.text + html
