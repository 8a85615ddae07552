"""The notes connector's requests and results."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from charter.schemas import Change, Resource


class ListNotes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_page: int = Field(10, ge=1, le=100)
    # The next page's number, as the last page gave it: anything else is refused before a request.
    cursor: str | None = Field(None, pattern=r"^[1-9][0-9]{0,5}$")


class GetNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(gt=0)


class Note(Resource):
    number: int
    title: str
    body: str
    archived: bool


class CreateNote(Change):
    title: str = Field(min_length=1, max_length=100)
    body: str = ""


class ArchiveNote(Change):
    number: int = Field(gt=0)
