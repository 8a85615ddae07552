"""The Notion sandbox: API v1 at Notion-Version 2025-09-03, Notion's OAuth server, sharing, limits, faults."""

from charter.sandboxes.notion.api import NOTION_VERSION
from charter.sandboxes.notion.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, NotionOAuth
from charter.sandboxes.notion.sandbox import NOTION_TOKENS, NotionSandbox
from charter.sandboxes.notion.seed import seed_id
from charter.sandboxes.notion.state import CAPABILITIES, NotionState

__all__ = [
    "CAPABILITIES",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "NOTION_TOKENS",
    "NOTION_VERSION",
    "NotionOAuth",
    "NotionSandbox",
    "NotionState",
    "seed_id",
]
