"""Requests on the person's own OneDrive (`/me/drive`): a library's requests with the drive fixed.

Addressed as site `me`, library `OneDrive`: fixed values, left out of the tool schema, that a grant
limited to named sites or libraries does not match unless it names them too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic.json_schema import SkipJsonSchema

from charter.connectors.base import resource_field
from charter.connectors.sharepoint.models import (
    CreateFolder,
    DeleteItem,
    DownloadFile,
    GetItem,
    ListChildren,
    UploadFile,
)

MY_SITE = "me"
MY_LIBRARY = "OneDrive"
MySite = SkipJsonSchema[Literal["me"]]
MyLibrary = SkipJsonSchema[Literal["OneDrive"]]


def _my_site() -> Any:
    return resource_field("sites", "The person's own OneDrive.", default=MY_SITE)


def _my_library() -> Any:
    return resource_field("drives", "The person's own OneDrive.", default=MY_LIBRARY)


class ListMyFiles(ListChildren):
    """The files and folders directly inside a folder of the person's own OneDrive."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


class GetMyItem(GetItem):
    """One file or folder of the person's own OneDrive, by path."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


class DownloadMyFile(DownloadFile):
    """A file's bytes from the person's own OneDrive, optionally one byte range."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


class UploadMyFile(UploadFile):
    """Create or replace a text file in the person's own OneDrive (its folder must exist)."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


class CreateMyFolder(CreateFolder):
    """A new folder in the person's own OneDrive (its parent must exist)."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


class DeleteMyItem(DeleteItem):
    """Move a file or folder of the person's own OneDrive to its recycle bin."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


__all__ = [
    "MY_LIBRARY",
    "MY_SITE",
    "CreateMyFolder",
    "DeleteMyItem",
    "DownloadMyFile",
    "GetMyItem",
    "ListMyFiles",
    "UploadMyFile",
]
