"""What every Graph v1.0 endpoint of the sandbox shares: the request context, auth, scopes, routing.

One dispatcher serves both HTTP requests and the inner requests of `$batch`, so a batched call is
authenticated, throttled and answered exactly as it would be alone.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from charter.sandboxes.microsoft.state import Drive, GraphState, Item, Site
from charter.sandboxes.microsoft.throttle import cost_of
from charter.sandboxes.microsoft.wire import Answer, GraphError, not_found
from charter.sandboxes.tokens import AccessToken
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from charter.sandboxes.microsoft.sandbox import GraphSandbox

# Scopes that reach SharePoint libraries, lists and sites, narrowest first (Microsoft's permission
# reference for each endpoint). Files.Read / Files.ReadWrite reach only the person's own OneDrive.
_SITES_ALL = ("Sites.Manage.All", "Sites.FullControl.All")
FILES_READ = ("Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All", *_SITES_ALL)
FILES_WRITE = ("Files.ReadWrite.All", "Sites.ReadWrite.All", *_SITES_ALL)
SITES_READ = ("Sites.Read.All", "Sites.ReadWrite.All", *_SITES_ALL)
SITES_WRITE = ("Sites.ReadWrite.All", *_SITES_ALL)
OWN_READ = ("Files.Read", "Files.ReadWrite")
OWN_WRITE = ("Files.ReadWrite",)
SELECTED = "Sites.Selected"
ROLE_RANK = {"read": 1, "write": 2, "owner": 3, "fullcontrol": 4}
# The most driveItems Graph returns in one page of children (`$top`); 200 without `$top`.
MAX_TOP = 999
DEFAULT_TOP = 200


@dataclass
class Ctx:
    """One Graph request as a handler sees it."""

    sandbox: GraphSandbox
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    token: AccessToken | None
    params: dict[str, str] = field(default_factory=dict)
    kind: str = "get"

    @property
    def state(self) -> GraphState:
        return self.sandbox.state

    @property
    def who(self) -> str:
        return self.token.login if self.token else ""

    def json(self) -> JsonObject:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
        if not isinstance(data, dict):
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
        return data

    # -- scopes ------------------------------------------------------------------------------

    def require(self, accepted: tuple[str, ...], site: Site | None, role: str = "read") -> None:
        """403 unless the token holds an accepted scope, or Sites.Selected with a grant on `site`."""
        scopes = self.token.scopes if self.token else frozenset()
        if scopes & set(accepted):
            return
        if SELECTED in scopes and site is not None and self.token is not None:
            granted = site.app_roles.get(self.token.client_id)
            if granted and ROLE_RANK[granted] >= ROLE_RANK[role]:
                return
        raise GraphError(403, "accessDenied", "Access denied")

    def require_drive(self, drive: Drive, write: bool = False) -> None:
        site = self.state.drive_site(drive)
        if drive.site_id is None and drive.owner == self.who:
            own = OWN_WRITE if write else OWN_READ
            return self.require(own + (FILES_WRITE if write else FILES_READ), None)
        return self.require(FILES_WRITE if write else FILES_READ, site, "write" if write else "read")

    # -- lookups -----------------------------------------------------------------------------

    def site(self, site_id: str) -> Site:
        site = self.state.site(site_id) or (self._root_site() if site_id == "root" else None)
        if site is None:
            raise GraphError(404, "itemNotFound", "Requested site could not be found")
        return site

    def _root_site(self) -> Site | None:
        return next((s for s in self.state.sites.values() if s.path == "/"), None)

    def drive(self, drive_id: str) -> Drive:
        drive = self.state.drives.get(drive_id)
        if drive is None:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return drive

    def item(self, drive: Drive, item_id: str | None, path: str | None) -> Item:
        base = self.state.live(drive.id, item_id) if item_id else self.state.items[drive.root_id]
        if base is None:
            raise not_found("The resource could not be found.")
        if path:
            found = self.state.by_path(drive, self.state.path_of(base) + "/" + path)
            if found is None:
                raise not_found("The resource could not be found.")
            return found
        return base

    # -- paging ------------------------------------------------------------------------------

    def page(
        self, items: list[Any], *, default: int = DEFAULT_TOP, limit: int = MAX_TOP
    ) -> tuple[list[Any], str | None]:
        """One page by `$top` and `$skiptoken`, and the `@odata.nextLink` to the next one."""
        try:
            top = int(self.query.get("$top", default))
        except ValueError:
            raise GraphError(400, "invalidRequest", "Invalid $top value.") from None
        if top < 1:
            raise GraphError(400, "invalidRequest", "Invalid $top value.")
        top = min(top, limit)
        start = _skip(self.query.get("$skiptoken"))
        chunk = items[start : start + top]
        if start + top >= len(items):
            return chunk, None
        query = {k: v for k, v in self.query.items() if k != "$skiptoken"}
        token = base64.urlsafe_b64encode(f"Paged=TRUE&p_ID={start + top}".encode()).decode().rstrip("=")
        query["$skiptoken"] = token
        return chunk, f"{self.sandbox.graph_base}{self.path}?{urlencode(query)}"


def _skip(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(dict(parse_qsl(raw))["p_ID"])
    except (ValueError, KeyError):
        raise GraphError(400, "invalidRequest", "The $skiptoken is not valid.") from None


GraphHandler = Callable[[Ctx], Answer]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: GraphHandler
    kind: str


ROUTES: list[Route] = []


def route(method: str, pattern: str, kind: str = "get") -> Callable[[GraphHandler], GraphHandler]:
    """Register a handler for `method` on a path regex (matched after `/v1.0`)."""

    def register(fn: GraphHandler) -> GraphHandler:
        ROUTES.append(Route(method, re.compile(pattern + r"$"), fn, kind))
        return fn

    return register


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for a request, or a Graph 400/405-style error."""
    allowed = False
    for candidate in ROUTES:
        found = candidate.pattern.match(path)
        if found is None:
            continue
        if candidate.method == method:
            return candidate, {k: v for k, v in found.groupdict().items() if v is not None}
        allowed = True
    if allowed:
        raise GraphError(405, "BadRequest", f"The HTTP method '{method}' is not allowed for this resource.")
    raise GraphError(
        400, "BadRequest", f"Resource not found for the segment '{path.strip('/').split('/')[0]}'."
    )


def dispatch(
    sandbox: GraphSandbox, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
) -> Answer:
    """Authenticate, throttle by resource units, route and run one Graph request."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    token = sandbox.tokens.lookup(value.strip()) if scheme.lower() == "bearer" else None
    try:
        if token is None:
            code = "InvalidAuthenticationToken"
            message = (
                "Access token is empty." if not auth else "Access token has expired or is not yet valid."
            )
            raise GraphError(
                401, code, message, {"www-authenticate": 'Bearer realm="", error="invalid_token"'}
            )
        path = own_drive_path(sandbox, path, token.login)
        found, params = resolve(method, path)
        ctx = Ctx(sandbox, method, path, query, headers, body, token, params, found.kind)
        kind = "delta-initial" if found.kind == "delta" and "token" not in query else found.kind
        charge = sandbox.units.charge(token.client_id, cost_of(method, kind))
        if not charge.allowed:
            message = "The request has been throttled. Please retry after the time given in Retry-After."
            raise GraphError(429, "TooManyRequests", message, charge.headers)
        with sandbox.lock:
            answer = found.handler(ctx)
        answer.headers.update(charge.headers)
        return answer
    except GraphError as error:
        return Answer(
            error.body(request_id_for(headers), sandbox.clock.now()), error.status, dict(error.headers)
        )


def own_drive_path(sandbox: GraphSandbox, path: str, login: str) -> str:
    """`/me/drive…` as the signed-in person's drive by id; Graph treats the two alike."""
    if path != "/me/drive" and not path.startswith("/me/drive/"):
        return path
    drive = sandbox.state.own_drive(login)
    if drive is None:
        raise GraphError(404, "itemNotFound", "The user's OneDrive has not been provisioned.")
    return f"/drives/{drive.id}" + path.removeprefix("/me/drive")


def request_id_for(headers: dict[str, str]) -> str:
    from charter.sandboxes.microsoft.wire import request_id

    return headers.get("client-request-id") or request_id()
