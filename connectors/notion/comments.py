"""Comments Charter posts: found again by their reference, and the note that names who changed properties.

Notion shows a property change only as "edited by" the integration's bot. So an update of
properties made for an agent is followed by a comment on the page naming the agent, the grant and
the properties, when the integration may insert comments. The comment carries the write's reference,
so a retry finds it rather than posting a second one.
"""

from __future__ import annotations

from collections.abc import Iterable

from charter.auth.providers.notion import INSERT_COMMENTS, READ_COMMENTS
from charter.connectors.base import WriteContext
from charter.connectors.notion.blocks import rich_text
from charter.connectors.notion.client import NotionApi
from charter.connectors.notion.markers import attribution_line, carries
from charter.schemas.types import JsonObject


def comment_written_by(api: NotionApi, page_id: str, key: str) -> JsonObject | None:
    """The comment on `page_id` that the attempt holding idempotency key `key` posted, if any."""
    comments = api.pages_of(
        f"the comments on {page_id}", api.client.comments.list, about=page_id, block_id=page_id
    )
    texts = ((c, "".join(t.get("plain_text", "") for t in c.get("rich_text", []))) for c in comments)
    return next((c for c, text in texts if carries(text, key)), None)


def note_property_update(
    api: NotionApi, granted: frozenset[str], page_id: str, names: Iterable[str], ctx: WriteContext
) -> str:
    """Post the comment naming the agent behind a property update; what to add to the write's summary."""
    if ctx.attribution is None:
        return ""
    if INSERT_COMMENTS not in granted:
        return "; no comment names the agent (the integration lacks Insert comments)"
    if ctx.is_retry:
        if READ_COMMENTS not in granted:
            # Without reading comments a retry cannot tell whether the lost attempt posted one.
            return "; the comment naming the agent was not posted again (the integration lacks Read comments)"
        if comment_written_by(api, page_id, ctx.idempotency_key) is not None:
            return "; a comment names the agent and grant"
    text = f"Changed {', '.join(names)}.\n\n— {attribution_line(ctx.attribution, ctx.idempotency_key)}"
    api.call(
        f"noting the update of page {page_id}", api.client.comments.create, about=page_id,
        parent={"page_id": page_id}, rich_text=rich_text(text),
    )  # fmt: skip
    return "; a comment names the agent and grant"
