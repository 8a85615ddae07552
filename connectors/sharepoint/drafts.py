"""What a SharePoint change would do, read before it is made: the previews a person reviews.

A draft reads exactly what its write will rest on (the parent folder, the file now at the path, the
list's columns), so a draft that previews cleanly is one the write can commit; nothing is changed.
"""

from __future__ import annotations

from charter.connectors.base import Attribution, DraftPreview
from charter.connectors.sharepoint import preview
from charter.connectors.sharepoint.models import (
    CreateFolder,
    CreateSharingLink,
    DeleteItem,
    InvitePeople,
    UpdateListItem,
    UploadFile,
    _PathChange,
)
from charter.connectors.sharepoint.places import Places
from charter.connectors.sharepoint.responses import path_url
from charter.schemas import Conflict, NotFound, ValidationError
from charter.schemas.types import JsonObject

# The largest current file a replacement's preview downloads to show a diff.
PREVIEW_LIMIT = 1024 * 1024


class Drafts(Places):
    """The reads before a change, and the draft previews built on them."""

    # -- reads before a change -----------------------------------------------------------------

    @staticmethod
    def place(change: _PathChange) -> str:
        return preview.where(change.site, change.library, change.path)

    def raw_item(self, change: _PathChange) -> JsonObject:
        drive = self.drive_id(change.site, change.library)
        return self.api.get(
            path_url(drive, change.path),
            self.place(change),
            {"$select": "id,name,size,eTag,file,folder,webUrl,description"},
        )

    def maybe_item(self, change: _PathChange) -> JsonObject | None:
        try:
            return self.raw_item(change)
        except NotFound:
            return None

    def require_parent(self, change: _PathChange) -> None:
        parent = change.path.rpartition("/")[0]
        drive = self.drive_id(change.site, change.library)
        where = preview.where(change.site, change.library, parent or "/")
        found = self.api.get(path_url(drive, parent), f"folder {where}", {"$select": "id,folder"})
        if found.get("folder") is None:
            raise ValidationError(f"{where} is a file, not a folder; choose a folder path.")

    def current_file(self, change: UploadFile) -> tuple[int, bytes | None] | None:
        """(size, bytes) of the file now at the upload's path, None if there is none.

        The bytes are left out (None) above `PREVIEW_LIMIT`: too large to diff readably. Refuses
        a folder at the path, or a file there when `replace` is not set.
        """
        self.require_parent(change)
        item = self.maybe_item(change)
        if item is None:
            return None
        if item.get("folder") is not None:
            raise Conflict(f"{self.place(change)} is a folder; choose a file path.")
        if not change.replace:
            raise Conflict(f"{self.place(change)} already exists; set replace to true to replace it.")
        size = int(item.get("size") or 0)
        url = str(item.get("@microsoft.graph.downloadUrl") or "")
        if not url or size > PREVIEW_LIMIT:
            return size, None
        data, _, _ = self.api.fetch(url, self.place(change), None, PREVIEW_LIMIT)
        return size, data

    def outsiders(self, recipients: list[str]) -> list[str]:
        domain = str(self.credentials.account).rpartition("@")[2].lower()
        return [r for r in recipients if not domain or r.rpartition("@")[2].lower() != domain]

    def checked_row(self, change: UpdateListItem) -> JsonObject:
        """The row as it is now, after checking every field against the list's columns."""
        site = self.site_id(change.site)
        base = f"/sites/{site}/lists/{change.list}"
        columns = {
            c["name"]: c for c in self.api.get(f"{base}/columns", f"list {change.list}").get("value", [])
        }
        for name, value in change.fields.items():
            column = columns.get(name)
            if column is None:
                raise ValidationError(
                    f"list {change.list} has no column {name!r}; "
                    f"its columns are {', '.join(sorted(columns))}."
                )
            if column.get("readOnly"):
                raise ValidationError(f"column {name!r} of list {change.list} is read-only.")
            choices = (column.get("choice") or {}).get("choices")
            if choices and value not in choices:
                raise ValidationError(
                    f"{value!r} is not a choice of {name!r}; use one of {', '.join(choices)}."
                )
        return self.api.get(
            f"{base}/items/{change.item_id}", f"row {change.item_id} of {change.list}", {"expand": "fields"}
        )

    # -- previews ------------------------------------------------------------------------------

    def upload_draft(self, change: UploadFile, attribution: Attribution | None) -> DraftPreview:
        current = self.current_file(change)
        return DraftPreview(
            preview=preview.upload_preview(self.place(change), change.content, current, attribution)
        )

    def folder_draft(self, change: CreateFolder, attribution: Attribution | None) -> DraftPreview:
        self.require_parent(change)
        return DraftPreview(preview=preview.folder_preview(self.place(change), attribution))

    def delete_draft(self, change: DeleteItem) -> DraftPreview:
        item = self.raw_item(change)
        return DraftPreview(preview=preview.delete_preview(self.place(change), item), url=item.get("webUrl"))

    def link_draft(self, change: CreateSharingLink) -> DraftPreview:
        item = self.raw_item(change)
        return DraftPreview(
            preview=preview.link_preview(self.place(change), change.type, change.scope),
            url=item.get("webUrl"),
        )

    def invite_draft(self, change: InvitePeople) -> DraftPreview:
        item = self.raw_item(change)
        text = preview.invite_preview(
            self.place(change),
            change.recipients,
            self.outsiders(change.recipients),
            change.role,
            change.message,
            change.send_invitation,
        )
        return DraftPreview(preview=text, url=item.get("webUrl"))

    def fields_draft(self, change: UpdateListItem) -> DraftPreview:
        current = self.checked_row(change)
        place = f"{change.site} > list {change.list} > row {change.item_id}"
        return DraftPreview(preview=preview.fields_preview(place, current.get("fields") or {}, change.fields))


__all__ = ["PREVIEW_LIMIT", "Drafts"]
