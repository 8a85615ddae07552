"""Notion request models (what an agent may ask) and resource models (what it gets back).

Arguments are plain typed values, never JSON inside strings: property values are written as the
agent thinks of them (`{"Status": "Done", "Points": 3}`) and converted against the data source's
schema; content is a list of simple blocks or Markdown, split to Notion's limits by Charter.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from charter.connectors.base import resource_field
from charter.schemas import Change, Page, Resource

CONNECTOR = "notion"
MAX_PAGE = 100
MAX_DEPTH = 12
_UUID = re.compile(r"([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})")


def _notion_id(value: object) -> object:
    """A Notion id in dashed form, from a dashed or compact id or a Notion URL."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if "notion.so/" in text or "notion.site/" in text:
        found = _UUID.findall(text.split("?")[0].split("#")[0])
        text = found[-1] if found else text
    compact = text.replace("-", "")
    if len(compact) == 32 and all(c in "0123456789abcdefABCDEF" for c in compact):
        return str(uuid.UUID(compact))
    raise ValueError("expected a Notion id (32 hex digits, dashes optional) or a notion.so URL")


NotionId = Annotated[str, BeforeValidator(_notion_id)]
Cursor = Annotated[
    str | None,
    Field(default=None, max_length=4000, description="`next_cursor` of the previous answer; omit to start."),
]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Items per page, 1 to 100.")]
PropertyValue = str | float | bool | list[str] | None

_CONFIG = ConfigDict(extra="forbid", frozen=True)


def page_field(description: str) -> Any:
    return Field(description=description)


def within_field() -> Any:
    """The grant's `pages` constraint: a granted page or data source the target must lie in."""
    return resource_field(
        "pages",
        "The granted page or data source the target is in (when the grant lists pages).",
        default=None,
    )


class _Request(BaseModel):
    model_config = _CONFIG


# -- shared pieces ----------------------------------------------------------------------------

BlockType = Literal[
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
    "divider",
]


class BlockInput(BaseModel):
    """One block to write; `depth` 2 nests it under the block before it (text of any length is fine)."""

    model_config = _CONFIG

    type: BlockType = "paragraph"
    text: str = Field(default="", max_length=200_000)
    depth: int = Field(default=1, ge=1, le=MAX_DEPTH)
    checked: bool | None = None
    language: str | None = Field(default=None, max_length=50)


class PropertyFilter(BaseModel):
    """One condition on a property, e.g. Status equals Done, Points greater_than 3, Tags contains web."""

    model_config = _CONFIG

    property: str = Field(min_length=1, max_length=200)
    condition: Literal[
        "equals",
        "does_not_equal",
        "contains",
        "does_not_contain",
        "starts_with",
        "ends_with",
        "greater_than",
        "less_than",
        "greater_than_or_equal_to",
        "less_than_or_equal_to",
        "before",
        "after",
        "on_or_before",
        "on_or_after",
        "is_empty",
        "is_not_empty",
    ]
    value: str | float | bool | None = None


class Sort(BaseModel):
    """Order by a property, or by the created or last edited time."""

    model_config = _CONFIG

    property: str | None = Field(default=None, max_length=200)
    timestamp: Literal["created_time", "last_edited_time"] | None = None
    direction: Literal["ascending", "descending"] = "ascending"

    @model_validator(mode="after")
    def _one_key(self) -> Sort:
        if (self.property is None) == (self.timestamp is None):
            raise ValueError("a sort names either `property` or `timestamp`")
        return self


# -- read requests ---------------------------------------------------------------------------


class Search(_Request):
    """Pages and data sources shared with the integration whose title contains `query`."""

    query: str = Field(default="", max_length=500)
    kind: Literal["page", "data_source"] | None = Field(
        default=None, description="Only pages or data sources."
    )
    within: NotionId | None = within_field()
    edited_since: datetime | None = Field(
        default=None, description="Only what was edited at or after this time."
    )
    page_size: PageSize = 20
    cursor: Cursor = None


class GetPage(_Request):
    """One page with its properties."""

    page_id: NotionId = page_field("The page id or its notion.so URL.")
    within: NotionId | None = within_field()


class GetPageContent(_Request):
    """A page's content as blocks, in reading order, within a depth and a block budget."""

    page_id: NotionId = page_field("The page (or block) id or its notion.so URL.")
    within: NotionId | None = within_field()
    depth: int = Field(default=2, ge=1, le=5, description="How many levels of nested blocks to read.")
    max_blocks: int = Field(default=200, ge=1, le=1000, description="At most this many blocks per answer.")
    cursor: Cursor = None


class ReadPageText(_Request):
    """A page's content as compact Markdown, a part at a time."""

    page_id: NotionId = page_field("The page id or its notion.so URL.")
    within: NotionId | None = within_field()
    depth: int = Field(default=3, ge=1, le=5)
    max_chars: int = Field(
        default=6000, ge=500, le=20_000, description="At most this many characters per part."
    )
    cursor: Cursor = None


class QueryDataSource(_Request):
    """Rows of a data source (a database id is resolved to its data source), filtered and sorted."""

    data_source_id: NotionId = Field(description="The data source id, or a database id or URL.")
    within: NotionId | None = within_field()
    filters: list[PropertyFilter] = Field(default_factory=list, max_length=20)
    match: Literal["all", "any"] = Field(default="all", description="Rows meeting all filters, or any.")
    sorts: list[Sort] = Field(default_factory=list, max_length=10)
    edited_since: datetime | None = Field(default=None, description="Only rows edited at or after this time.")
    since_watermark: str | None = Field(
        default=None,
        max_length=4000,
        description="`watermark` of the last page of an earlier read: only rows changed since then.",
    )
    page_size: PageSize = 50
    cursor: Cursor = None


class ListComments(_Request):
    """Open comments on a page or block, oldest first."""

    page_id: NotionId = page_field("The page or block id.")
    within: NotionId | None = within_field()
    page_size: PageSize = 50
    cursor: Cursor = None


# -- changes ---------------------------------------------------------------------------------


class _Content(Change):
    model_config = _CONFIG

    blocks: list[BlockInput] = Field(default_factory=list, max_length=5000)
    markdown: str | None = Field(default=None, max_length=500_000, description="Content as Markdown instead.")


class CreatePage(_Content):
    """A new page in a data source (with properties) or under a page (with a title)."""

    parent_id: NotionId = Field(description="The parent page, data source or database id (or URL).")
    within: NotionId | None = within_field()
    title: str = Field(min_length=1, max_length=2000)
    properties: dict[str, PropertyValue] = Field(default_factory=dict, max_length=100)


class AppendBlocks(_Content):
    """Blocks added at the end of a page or block (or after one of its blocks)."""

    page_id: NotionId = page_field("The page or block to add to.")
    within: NotionId | None = within_field()
    after: NotionId | None = Field(
        default=None, description="Add after this child block instead of at the end."
    )

    @model_validator(mode="after")
    def _some_content(self) -> AppendBlocks:
        if not self.blocks and not (self.markdown or "").strip():
            raise ValueError("give `blocks` or `markdown` to append")
        return self


class UpdateProperties(Change):
    """Property values of a page in a data source (or the title of any page)."""

    model_config = _CONFIG

    page_id: NotionId = page_field("The page to change.")
    within: NotionId | None = within_field()
    properties: dict[str, PropertyValue] = Field(min_length=1, max_length=100)


class AddComment(Change):
    """A comment on a page, or a reply in an existing discussion."""

    model_config = _CONFIG

    page_id: NotionId = page_field("The page to comment on.")
    within: NotionId | None = within_field()
    text: str = Field(min_length=1, max_length=20_000)
    discussion_id: NotionId | None = None


class TrashPage(Change):
    """Move a page to Notion's trash (it can be restored from there, or with restore_page)."""

    model_config = _CONFIG

    page_id: NotionId = page_field("The page to move to the trash.")
    within: NotionId | None = within_field()


class RestorePage(Change):
    """Bring a page back from the trash."""

    model_config = _CONFIG

    page_id: NotionId = page_field("The page to restore.")
    within: NotionId | None = within_field()


# -- resources -------------------------------------------------------------------------------


class NotionPage(Resource):
    """A page: its title, where it sits, its properties as plain values."""

    title: str
    url: str | None
    parent_type: str
    parent_id: str | None
    properties: dict[str, PropertyValue]
    in_trash: bool
    created_time: datetime
    last_edited_time: datetime


class DataSourceRef(Resource):
    """A data source found by search."""

    title: str
    url: str | None
    database_id: str | None
    properties: dict[str, str] = Field(description="Property name → type.")
    last_edited_time: datetime


class SearchResult(Resource):
    """A page or data source found by search."""

    kind: Literal["page", "data_source"]
    title: str
    url: str | None
    last_edited_time: datetime


class BlockItem(BaseModel):
    """One block of a page, flattened: `depth` 1 is top level; `parent_id` is the block it sits under."""

    model_config = ConfigDict(extra="forbid")

    id: str
    type: str
    depth: int
    parent_id: str
    text: str
    checked: bool | None = None
    has_children: bool = False
    children_not_read: bool = Field(default=False, description="It has children below the depth asked for.")


class PageContent(Resource):
    """Blocks of a page in reading order; `next_cursor` continues where the budget stopped."""

    blocks: list[BlockItem]
    complete: bool
    next_cursor: str | None
    note: str


class PageText(Resource):
    """A part of a page as Markdown; `next_cursor` gives the next part."""

    markdown: str
    complete: bool
    next_cursor: str | None
    blocks_read: int


class Row(Resource):
    """A row of a data source."""

    title: str
    url: str | None
    properties: dict[str, PropertyValue]
    last_edited_time: datetime


class RowPage(Page[Row]):
    """Rows of a query; `watermark` is the `edited_since` to pass next time for only what changed."""

    watermark: str | None = None


class NotionComment(Resource):
    """A comment and its discussion."""

    text: str
    discussion_id: str
    created_time: datetime
    author_id: str | None
