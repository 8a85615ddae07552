"""How the SharePoint connector commits a change, and reconciles an attempt whose answer was lost.

Every write is safe to retry under the same idempotency key: a folder is created with
conflictBehavior=fail and a retry that meets its own folder accepts it; an upload that meets a file
with exactly its bytes accepts it; a field update whose If-Match now fails checks whether the row
already holds the values; a delete whose item is gone finds it was done; a sharing link is reused
by Graph itself; an invitation skips people who already have the role.
"""

from __future__ import annotations

from charter.connectors.base import WriteContext
from charter.connectors.sharepoint import preview
from charter.connectors.sharepoint.drafts import Drafts
from charter.connectors.sharepoint.models import (
    CreateFolder,
    CreateSharingLink,
    DeleteItem,
    InvitePeople,
    UpdateListItem,
    UploadFile,
)
from charter.connectors.sharepoint.responses import item_url, path_url
from charter.connectors.sharepoint.upload import SIMPLE_LIMIT, upload_in_session
from charter.schemas import Conflict, NotFound, WriteResult
from charter.schemas.types import JsonObject


class Writes(Drafts):
    """The SharePoint connector's write handlers, each safe to retry under its idempotency key."""

    def write_upload(self, change: UploadFile, ctx: WriteContext) -> WriteResult:
        data = change.content.encode()
        drive = self.drive_id(change.site, change.library)
        subject = self.place(change)
        if ctx.is_retry:
            done = self._same_file(change, data)
            if done is not None:
                done = self._attributed(drive, done, ctx, subject)
                return self._result("upload_file", ctx, done, f"uploaded {subject}")
        behaviour = "replace" if change.replace else "fail"
        if len(data) <= SIMPLE_LIMIT:
            params = {"@microsoft.graph.conflictBehavior": behaviour}
            answer = self.api.call(
                "PUT", path_url(drive, change.path, "/content"), subject, params=params, content=data
            )
            # One PUT carries no metadata: the agent and grant follow as the item's description.
            item = self._attributed(drive, answer.body or {}, ctx, subject)
        else:
            props: JsonObject = {"@microsoft.graph.conflictBehavior": behaviour}
            if ctx.attribution is not None:
                props["description"] = ctx.attribution.line()
            session = self.api.call(
                "POST", path_url(drive, change.path, "/createUploadSession"), subject, body={"item": props}
            ).body
            item = upload_in_session(self.api, str((session or {})["uploadUrl"]), data, subject)
        return self._result("upload_file", ctx, item, f"uploaded {subject} ({len(data):,} bytes)")

    def _attributed(self, drive: str, item: JsonObject, ctx: WriteContext, subject: str) -> JsonObject:
        """The item with the agent and grant as its description; setting it again is harmless."""
        if ctx.attribution is None or not item.get("id"):
            return item
        line = ctx.attribution.line()
        if item.get("description") == line:
            return item
        url = item_url(drive, str(item["id"]))
        return self.api.call("PATCH", url, subject, body={"description": line}).body or item

    def _same_file(self, change: UploadFile, data: bytes) -> JsonObject | None:
        item = self.maybe_item(change)
        url = str((item or {}).get("@microsoft.graph.downloadUrl") or "")
        if item is None or not url or int(item.get("size") or -1) != len(data):
            return None
        current, _, _ = self.api.fetch(url, self.place(change), None, len(data) + 1)
        return item if current == data else None

    def write_folder(self, change: CreateFolder, ctx: WriteContext) -> WriteResult:
        drive = self.drive_id(change.site, change.library)
        parent, _, name = change.path.rpartition("/")
        body: JsonObject = {"name": name, "folder": {}, "@microsoft.graph.conflictBehavior": "fail"}
        if ctx.attribution is not None:
            body["description"] = ctx.attribution.line()
        try:
            item = self.api.call(
                "POST", path_url(drive, parent, "/children"), self.place(change), body=body
            ).body
        except Conflict:
            existing = self.maybe_item(change) if ctx.is_retry else None
            if existing is None or existing.get("folder") is None:
                raise
            item = existing
        return self._result("create_folder", ctx, item or {}, f"created folder {self.place(change)}")

    def write_delete(self, change: DeleteItem, ctx: WriteContext) -> WriteResult:
        drive = self.drive_id(change.site, change.library)
        try:
            self.api.call("DELETE", path_url(drive, change.path), self.place(change))
        except NotFound:
            if not ctx.is_retry:
                raise
        return WriteResult(
            action="delete_item",
            id=f"{change.site}/{change.library}/{change.path}",
            idempotency_key=ctx.idempotency_key,
            summary=f"moved {self.place(change)} to the recycle bin",
        )

    def write_link(self, change: CreateSharingLink, ctx: WriteContext) -> WriteResult:
        drive = self.drive_id(change.site, change.library)
        body = {"type": change.type, "scope": change.scope}
        # Graph answers 200 with the same link when this app already made it: retries are idempotent.
        permission = self.api.call(
            "POST", path_url(drive, change.path, "/createLink"), self.place(change), body=body
        ).body
        link = (permission or {}).get("link") or {}
        return WriteResult(
            action="create_sharing_link",
            id=str((permission or {}).get("id")),
            url=link.get("webUrl"),
            idempotency_key=ctx.idempotency_key,
            summary=f"{change.type} link to {self.place(change)} for {preview.LINK_REACH[change.scope]}",
        )

    def write_invite(self, change: InvitePeople, ctx: WriteContext) -> WriteResult:
        drive = self.drive_id(change.site, change.library)
        wanted = list(change.recipients)
        if ctx.is_retry:
            have = self.api.get(path_url(drive, change.path, "/permissions"), self.place(change)).get(
                "value", []
            )
            holders = {_holder(p) for p in have if change.role in (p.get("roles") or [])}
            wanted = [r for r in wanted if r.lower() not in holders]
        if wanted:
            body = {
                "recipients": [{"email": r} for r in wanted],
                "roles": [change.role],
                "requireSignIn": True,
                "sendInvitation": change.send_invitation,
                "message": change.message,
            }
            self.api.call("POST", path_url(drive, change.path, "/invite"), self.place(change), body=body)
        return WriteResult(
            action="invite",
            id=f"{change.site}/{change.library}/{change.path}:{','.join(change.recipients)}",
            idempotency_key=ctx.idempotency_key,
            summary=f"gave {', '.join(change.recipients)} {change.role} access to {self.place(change)}",
        )

    def write_fields(self, change: UpdateListItem, ctx: WriteContext) -> WriteResult:
        site = self.site_id(change.site)
        path = f"/sites/{site}/lists/{change.list}/items/{change.item_id}"
        subject = f"row {change.item_id} of list {change.list}"
        headers = {"If-Match": change.etag} if change.etag else {}
        try:
            self.api.call("PATCH", path + "/fields", subject, body=dict(change.fields), headers=headers)
        except Conflict:
            # The eTag moved: either another edit (a real conflict) or our own lost attempt.
            now = self.api.get(path, subject, {"expand": "fields"}).get("fields") or {}
            if not (ctx.is_retry and all(now.get(k) == v for k, v in change.fields.items())):
                raise Conflict(
                    f"{subject} changed since it was read; read it again (list_items) and redo the change "
                    "with its new eTag.",
                    stale_etag=change.etag,
                ) from None
        return WriteResult(
            action="update_list_item",
            id=f"{change.site}/{change.list}/{change.item_id}",
            idempotency_key=ctx.idempotency_key,
            summary=f"updated {', '.join(change.fields)} of {subject}",
        )

    @staticmethod
    def _result(action_name: str, ctx: WriteContext, item: JsonObject, summary: str) -> WriteResult:
        return WriteResult(
            action=action_name,
            id=str(item.get("id") or ""),
            url=item.get("webUrl"),
            idempotency_key=ctx.idempotency_key,
            summary=summary,
        )


def _holder(permission: JsonObject) -> str:
    granted = (permission.get("grantedTo") or {}).get("user") or {}
    invited = permission.get("invitation") or {}
    return str(granted.get("email") or invited.get("email") or "").lower()


__all__ = ["Writes"]
