"""Graph's sites, drives and driveItems: get, children, search, download, folders, uploads, delete."""

from __future__ import annotations

import re
import secrets

from charter.sandboxes.microsoft.api import FILES_READ, SELECTED, SITES_READ, Ctx, route
from charter.sandboxes.microsoft.state import Item
from charter.sandboxes.microsoft.wire import (
    Answer,
    GraphError,
    bad_request,
    context,
    drive_json,
    etag_matches,
    iso,
    item_json,
    select,
    site_json,
)
from charter.schemas.types import JsonObject

# Addresses an item: by id or as the root, optionally followed by `:/relative/path:`.
ITEM = r"/drives/(?P<drive>[^/]+)/(?:root|items/(?P<item>[^/:]+))"
AT = ITEM + r"(?::/(?P<ipath>[^:]+):?)?"
THEN = ITEM + r"(?::/(?P<ipath>[^:]+):)?"
SIMPLE_UPLOAD_LIMIT = 4 * 1024 * 1024
BAD_NAME = re.compile(r'[\\/:*?"<>|#%]|^\s|\s$|^\.+$|^$')


def _fields(ctx: Ctx) -> list[str] | None:
    raw = ctx.query.get("$select")
    return [f.strip() for f in raw.split(",") if f.strip()] if raw else None


def target(ctx: Ctx, write: bool = False) -> Item:
    drive = ctx.drive(ctx.params["drive"])
    ctx.require_drive(drive, write)
    return ctx.item(drive, ctx.params.get("item"), ctx.params.get("ipath"))


def download_url(ctx: Ctx, item: Item) -> str:
    return ctx.sandbox.transfers.download_url(item)


# -- sites and drives ----------------------------------------------------------------------


@route("GET", r"/sites", kind="list")
def search_sites(ctx: Ctx) -> Answer:
    query = ctx.query.get("search", "").strip("*").lower()
    scopes = ctx.token.scopes if ctx.token else frozenset()
    if not scopes & set(SITES_READ) and SELECTED not in scopes:
        raise GraphError(403, "accessDenied", "Access denied")
    found = []
    for site in ctx.state.sites.values():
        text = f"{site.display_name} {site.description} {site.path}".lower()
        if query and query not in text:
            continue
        try:
            ctx.require(SITES_READ, site)
        except GraphError:
            continue
        found.append(select(site_json(site), _fields(ctx)))
    return Answer({**context("sites"), "value": found})


@route("GET", r"/sites/(?P<host>[^/,:]+):(?P<spath>/[^:]*):?")
def site_by_path(ctx: Ctx) -> Answer:
    site = ctx.state.site_by_path(ctx.params["host"], ctx.params["spath"])
    if site is None:
        raise GraphError(404, "itemNotFound", "Requested site could not be found")
    ctx.require(SITES_READ, site)
    return Answer({**context("sites/$entity"), **select(site_json(site), _fields(ctx))})


@route("GET", r"/sites/(?P<site>[^/:]+)")
def get_site(ctx: Ctx) -> Answer:
    site = ctx.site(ctx.params["site"])
    ctx.require(SITES_READ, site)
    return Answer({**context("sites/$entity"), **select(site_json(site), _fields(ctx))})


@route("GET", r"/sites/(?P<site>[^/:]+)/drives", kind="list")
def site_drives(ctx: Ctx) -> Answer:
    site = ctx.site(ctx.params["site"])
    ctx.require(FILES_READ, site)
    drives = [select(drive_json(ctx.state, ctx.state.drives[d]), _fields(ctx)) for d in site.drive_ids]
    return Answer({**context("drives"), "value": drives})


@route("GET", r"/drives/(?P<drive>[^/]+)")
def get_drive(ctx: Ctx) -> Answer:
    drive = ctx.drive(ctx.params["drive"])
    ctx.require_drive(drive)
    return Answer({**context("drives/$entity"), **select(drive_json(ctx.state, drive), _fields(ctx))})


# -- items ---------------------------------------------------------------------------------


@route("GET", AT)
def get_item(ctx: Ctx) -> Answer:
    item = target(ctx)
    url = download_url(ctx, item) if not item.is_folder else None
    body = item_json(ctx.state, item, download_url=url)
    return Answer({**context("drives('" + item.drive_id + "')/items/$entity"), **select(body, _fields(ctx))})


@route("GET", THEN + r"/children", kind="list")
def children(ctx: Ctx) -> Answer:
    parent = target(ctx)
    if not parent.is_folder:
        raise bad_request("The item is not a folder.")
    fields = _fields(ctx)
    chunk, next_link = ctx.page(ctx.state.children(parent.id))
    body = {**context(f"drives('{parent.drive_id}')/items('{parent.id}')/children")}
    body["value"] = [select(item_json(ctx.state, c), fields) for c in chunk]
    if next_link:
        body["@odata.nextLink"] = next_link
    return Answer(body)


@route("GET", r"/drives/(?P<drive>[^/]+)/root/search\(q='(?P<q>(?:[^']|'')*)'\)", kind="search")
def search_items(ctx: Ctx) -> Answer:
    drive = ctx.drive(ctx.params["drive"])
    ctx.require_drive(drive)
    words = ctx.params["q"].replace("''", "'").lower().split()
    hits = [
        i
        for i in ctx.state.in_drive(drive.id)
        if not i.deleted and i.parent_id is not None and _matches(i, words)
    ]
    chunk, next_link = ctx.page(sorted(hits, key=lambda i: i.name.lower()))
    body = {
        **context("Collection(driveItem)"),
        "value": [select(_search_hit(ctx, i), _fields(ctx)) for i in chunk],
    }
    if next_link:
        body["@odata.nextLink"] = next_link
    return Answer(body)


def _search_hit(ctx: Ctx, item: Item) -> JsonObject:
    """A driveItem found by search: with its `searchResult` facet, as Graph's are."""
    body = item_json(ctx.state, item)
    # Graph's is a callback for click telemetry; the sandbox records no clicks, so it names the item.
    body["searchResult"] = {"onClickTelemetryUrl": body["webUrl"]}
    return body


def _matches(item: Item, words: list[str]) -> bool:
    text = item.name.lower() + " " + (item.content or b"").decode("utf-8", "replace").lower()
    return all(w in text for w in words)


@route("GET", THEN + r"/content", kind="download")
def content(ctx: Ctx) -> Answer:
    item = target(ctx)
    if item.is_folder:
        raise bad_request("The item is a folder and has no content.")
    # Graph answers with a redirect to a short-lived, pre-authenticated URL on another host.
    return Answer(status=302, headers={"location": download_url(ctx, item)}, raw=b"")


@route("POST", THEN + r"/children", kind="write")
def create_child(ctx: Ctx) -> Answer:
    parent = target(ctx, write=True)
    body = ctx.json()
    name = str(body.get("name") or "")
    if BAD_NAME.search(name):
        raise bad_request(f"The name '{name}' contains characters that are not allowed.", "invalidRequest")
    if "folder" not in body:
        raise bad_request("A folder facet is required to create an item here.")
    behaviour = str(body.get("@microsoft.graph.conflictBehavior", "fail"))
    existing = next((c for c in ctx.state.children(parent.id) if c.name.lower() == name.lower()), None)
    if existing is not None:
        if behaviour == "fail":
            raise GraphError(409, "nameAlreadyExists", "The specified item name already exists.")
        if behaviour == "rename":
            name = _free_name(ctx, parent, name)
        elif behaviour == "replace":
            ctx.state.recycle(existing)
        else:
            raise bad_request(f"Invalid conflict behavior '{behaviour}'.")
    drive = ctx.state.drives[parent.drive_id]
    folder = ctx.state.add_item(drive, parent, name, None, ctx.who)
    if isinstance(body.get("description"), str):
        folder.description = body["description"]
    return Answer({**context("drives/items/$entity"), **item_json(ctx.state, folder)}, 201)


def _free_name(ctx: Ctx, parent: Item, name: str) -> str:
    taken = {c.name.lower() for c in ctx.state.children(parent.id)}
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    n = 1
    while True:
        candidate = f"{stem} {n}{dot}{ext}"
        if candidate.lower() not in taken:
            return candidate
        n += 1


@route("PUT", THEN + r"/content", kind="write")
def put_content(ctx: Ctx) -> Answer:
    drive = ctx.drive(ctx.params["drive"])
    ctx.require_drive(drive, write=True)
    if len(ctx.body) > SIMPLE_UPLOAD_LIMIT:
        raise GraphError(
            413, "requestEntityTooLarge", "The request is larger than 4 MB; use an upload session."
        )
    base = (
        ctx.state.live(drive.id, ctx.params["item"])
        if ctx.params.get("item")
        else ctx.state.items[drive.root_id]
    )
    if base is None:
        raise GraphError(404, "itemNotFound", "The resource could not be found.")
    ipath = ctx.params.get("ipath")
    existing = ctx.state.by_path(drive, ctx.state.path_of(base) + "/" + ipath) if ipath else base
    if existing is not None and existing.is_folder:
        raise GraphError(409, "nameAlreadyExists", "A folder with that name already exists.")
    ctx.sandbox.transfers.check_quota(
        drive, len(ctx.body) - len((existing.content if existing else b"") or b"")
    )
    if existing is not None:
        check_writable(ctx, existing)
        behaviour = ctx.query.get("@microsoft.graph.conflictBehavior", "replace")
        if behaviour == "fail":
            raise GraphError(409, "nameAlreadyExists", "The specified item name already exists.")
        ctx.state.replace_content(existing, ctx.body, ctx.who)
        return Answer({**context("drives/items/$entity"), **item_json(ctx.state, existing)}, 200)
    if ipath is None:
        raise GraphError(404, "itemNotFound", "The resource could not be found.")
    parent_path, _, name = ipath.rpartition("/")
    parent = ctx.state.by_path(drive, ctx.state.path_of(base) + "/" + parent_path) if parent_path else base
    if parent is None or not parent.is_folder:
        raise GraphError(404, "itemNotFound", "The parent folder does not exist.")
    if BAD_NAME.search(name):
        raise bad_request(f"The name '{name}' contains characters that are not allowed.")
    item = ctx.state.add_item(drive, parent, name, ctx.body, ctx.who)
    return Answer({**context("drives/items/$entity"), **item_json(ctx.state, item)}, 201)


def check_writable(ctx: Ctx, item: Item) -> None:
    """412 for a stale If-Match, 423 for a locked item."""
    if not etag_matches(ctx.headers.get("if-match"), item.etag):
        raise GraphError(412, "preconditionFailed", "ETag does not match current item's value")
    if item.id in ctx.sandbox.locked:
        raise GraphError(423, "resourceLocked", "The resource you are attempting to access is locked")


# The driveItem properties a PATCH may change here; Graph's moves and renames are not modelled.
PATCHABLE = frozenset({"description"})


@route("PATCH", AT, kind="write")
def update_item(ctx: Ctx) -> Answer:
    item = target(ctx, write=True)
    body = ctx.json()
    unknown = sorted(set(body) - PATCHABLE)
    if unknown:
        raise bad_request(f"The sandbox cannot change {', '.join(unknown)} of a driveItem.", "notSupported")
    description = body.get("description")
    if not isinstance(description, str) or len(description) > 1024:
        raise bad_request("description must be a string of at most 1024 characters.")
    check_writable(ctx, item)
    item.description = description
    item.version += 1
    item.modified_by = ctx.who
    ctx.state.bump(item)
    return Answer({**context("drives/items/$entity"), **item_json(ctx.state, item)})


@route("DELETE", AT, kind="write")
def delete_item(ctx: Ctx) -> Answer:
    item = target(ctx, write=True)
    if item.parent_id is None:
        raise GraphError(403, "accessDenied", "The root of a drive cannot be deleted.")
    check_writable(ctx, item)
    ctx.state.recycle(item)
    return Answer(status=204)


# -- sharing -------------------------------------------------------------------------------

LINK_TYPES = {"view": "read", "edit": "write", "embed": "read"}
LINK_SCOPES = ("anonymous", "organization", "users")


@route("POST", THEN + r"/createLink", kind="permission")
def create_link(ctx: Ctx) -> Answer:
    item = target(ctx, write=True)
    body = ctx.json()
    kind, scope = str(body.get("type", "")), str(body.get("scope", "anonymous"))
    if kind not in LINK_TYPES or scope not in LINK_SCOPES:
        raise bad_request("Invalid link type or scope.")
    if kind == "embed":
        raise GraphError(400, "invalidRequest", "Embed links are only available on OneDrive personal.")
    if scope == "anonymous" and not ctx.sandbox.anonymous_links:
        raise GraphError(403, "accessDenied", "Anonymous sharing links are disabled by the tenant.")
    for permission in item.permissions:
        link = permission.get("link") or {}
        if link.get("type") == kind and link.get("scope") == scope:
            return Answer(permission, 200)
    share = "u!" + secrets.token_urlsafe(12)
    permission = {
        "id": secrets.token_hex(16),
        "roles": [LINK_TYPES[kind]],
        "shareId": share,
        "hasPassword": False,
        "link": {
            "type": kind,
            "scope": scope,
            "webUrl": f"https://contoso.sharepoint.com/:t:/s/x/{share}",
            "preventsDownload": False,
        },
    }
    if isinstance(body.get("expirationDateTime"), str):
        permission["expirationDateTime"] = body["expirationDateTime"]
    item.permissions.append(permission)
    ctx.state.bump(item)
    return Answer(permission, 201)


@route("POST", THEN + r"/invite", kind="permission")
def invite(ctx: Ctx) -> Answer:
    item = target(ctx, write=True)
    body = ctx.json()
    recipients = body.get("recipients")
    roles = body.get("roles")
    if not isinstance(recipients, list) or not recipients or not isinstance(roles, list):
        raise bad_request("recipients and roles are required.")
    if any(r not in ("read", "write") for r in roles):
        raise bad_request("roles must be read or write.")
    if len(str(body.get("message") or "")) > 2000:
        raise bad_request("The message is longer than 2000 characters.")
    granted = []
    for recipient in recipients:
        email = str((recipient or {}).get("email") or "")
        if "@" not in email:
            raise bad_request("Each recipient needs an email address.")
        user = ctx.state.users.get(email.lower())
        who = user.identity()["user"] if user else {"email": email, "displayName": email}
        permission = {"id": secrets.token_hex(16), "roles": list(roles), "grantedTo": {"user": who}}
        if user is None:
            permission["invitation"] = {
                "email": email,
                "signInRequired": bool(body.get("requireSignIn", True)),
            }
        item.permissions.append(permission)
        granted.append(permission)
    ctx.state.bump(item)
    return Answer({**context("Collection(permission)"), "value": granted}, 200)


@route("GET", THEN + r"/permissions", kind="permission")
def permissions(ctx: Ctx) -> Answer:
    item = target(ctx)
    return Answer({**context("Collection(permission)"), "value": list(item.permissions)})


@route("POST", THEN + r"/createUploadSession", kind="write")
def create_upload_session(ctx: Ctx) -> Answer:
    drive = ctx.drive(ctx.params["drive"])
    ctx.require_drive(drive, write=True)
    ipath = ctx.params.get("ipath")
    base = ctx.item(drive, ctx.params.get("item"), None)
    if not ipath:
        raise bad_request("Name the file to upload: …/items/{parent-id}:/{filename}:/createUploadSession.")
    body = ctx.json().get("item") or {}
    behaviour = str(body.get("@microsoft.graph.conflictBehavior", "fail"))
    existing = ctx.state.by_path(drive, ctx.state.path_of(base) + "/" + ipath)
    if existing is not None and behaviour == "fail":
        raise GraphError(409, "nameAlreadyExists", "The specified item name already exists.")
    if existing is not None:
        check_writable(ctx, existing)
    size = body.get("fileSize")
    session = ctx.sandbox.transfers.open_session(
        drive, base, ipath, behaviour, ctx.who, size, body.get("description")
    )
    return Answer(
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
            "uploadUrl": session.url,
            "expirationDateTime": iso(session.expires_at),
            "nextExpectedRanges": ["0-"],
        }
    )
