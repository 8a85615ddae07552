"""The person's own OneDrive (`/me/drive`): a library's requests and actions with the drive fixed.

Addressed as site `me`, library `OneDrive`: fixed values, left out of the tool schema, that a grant
limited to named sites or libraries does not match unless it names them too. Each own-drive action
is the library action of the same shape (`on_own_drive`), asking only Files.Read or Files.ReadWrite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel
from pydantic.json_schema import SkipJsonSchema

from charter.auth.providers.microsoft import FILES_READ, FILES_READWRITE
from charter.connectors.base import WriteContext, action, resource_field
from charter.connectors.sharepoint.models import (
    CreateFolder,
    DeleteItem,
    DownloadFile,
    GetItem,
    ListChildren,
    SearchItems,
    SyncLibrary,
    UploadFile,
)
from charter.schemas import WriteResult

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


class SearchMyFiles(SearchItems):
    """Files and folders of the person's OneDrive matching the words."""

    site: MySite = _my_site()
    library: MyLibrary = _my_library()


class SyncMyDrive(SyncLibrary):
    """Changes in the person's OneDrive (or one folder) since the last sync."""

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


def on_own_drive(name: str, library_action: Callable[..., Any], request: type[BaseModel], doc: str) -> Any:
    """The action `name`: `library_action` on the person's own OneDrive, taking `request`.

    It keeps the library action's verb and risks, reaches the person only, and asks Files.Read
    (reads) or Files.ReadWrite (writes) instead of the library's scopes.
    """
    declared = library_action.__charter_action__  # type: ignore[attr-defined]
    risks = tuple(declared.risks)
    if declared.verb == "read":
        handler = _read(library_action)
        handler.__annotations__ = {"request": request, "return": get_type_hints(library_action)["return"]}
        mark = action("read", scopes=(FILES_READ,), risks=risks)
    else:
        handler = _write(name, library_action)
        handler.__annotations__ = {"request": request, "ctx": WriteContext, "return": WriteResult}
        mark = action(declared.verb, scopes=(FILES_READWRITE,), risks=risks, reaches="person")
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    return mark(handler)


def _read(library_action: Callable[..., Any]) -> Callable[..., Any]:
    def handler(self: Any, request: Any) -> Any:
        return library_action(self, request)

    return handler


def _write(name: str, library_action: Callable[..., WriteResult]) -> Callable[..., Any]:
    def handler(self: Any, request: Any, ctx: WriteContext) -> WriteResult:
        return library_action(self, request, ctx).model_copy(update={"action": name})

    return handler


__all__ = [
    "MY_LIBRARY",
    "MY_SITE",
    "CreateMyFolder",
    "DeleteMyItem",
    "DownloadMyFile",
    "GetMyItem",
    "ListMyFiles",
    "SearchMyFiles",
    "SyncMyDrive",
    "UploadMyFile",
    "on_own_drive",
]
