"""Notion for Charter: search, pages, content, data sources and comments, over notion-client."""

from charter.connectors.notion.connector import NotionConnector
from charter.connectors.notion.errors import NotShared
from charter.connectors.notion.models import (
    AddComment,
    AppendBlocks,
    BlockInput,
    CreatePage,
    GetPage,
    GetPageContent,
    ListComments,
    PropertyFilter,
    QueryDataSource,
    ReadPageText,
    RestorePage,
    Search,
    Sort,
    TrashPage,
    UpdateProperties,
)

__all__ = [
    "AddComment",
    "AppendBlocks",
    "BlockInput",
    "CreatePage",
    "GetPage",
    "GetPageContent",
    "ListComments",
    "NotShared",
    "NotionConnector",
    "PropertyFilter",
    "QueryDataSource",
    "ReadPageText",
    "RestorePage",
    "Search",
    "Sort",
    "TrashPage",
    "UpdateProperties",
]
