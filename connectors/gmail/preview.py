"""The preview a person reads before a Gmail draft is sent: every recipient, the subject, every body."""

from __future__ import annotations

from html.parser import HTMLParser

from charter.connectors.gmail.markers import AGENT_HEADER
from charter.connectors.gmail.mime import Outgoing


class _Text(HTMLParser):
    """The text an HTML part shows, each link and image with where it points."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.parts.append(f"[image: {found.get('src') or ''}]")
        elif tag == "a" and found.get("href"):
            self.parts.append(f"[link to {found['href']}] ")
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_as_text(markup: str) -> str:
    """An HTML part as the text it shows, its links and images kept with their addresses."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts).strip()


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
    html = ""
    if mail.html:
        html = (
            f"\n\n--- HTML version as text (what most mail programs show) ---\n{html_as_text(mail.html)}"
            f"\n\n--- HTML version, raw ---\n{mail.html}"
        )
    return "\n".join(lines) + "\n\n" + mail.text + html
