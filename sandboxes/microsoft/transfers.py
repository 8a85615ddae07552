"""Upload sessions and download URLs, each served from its own loopback host as Graph does.

An upload URL needs no token (and refuses one: SharePoint answers 401 to an Authorization header
there). Fragments arrive in order with `Content-Range: bytes a-b/TOTAL`; every fragment but the
last must be a multiple of 320 KiB. A download URL is pre-authenticated, short-lived and takes Range.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from charter.sandboxes.microsoft.state import Drive, Item
from charter.sandboxes.microsoft.wire import GraphError, encode, iso, item_json, request_id

if TYPE_CHECKING:
    from charter.sandboxes.microsoft.sandbox import GraphSandbox

FRAGMENT_UNIT = 320 * 1024
MAX_FRAGMENT = 60 * 1024 * 1024
DOWNLOAD_TTL = 300.0
SESSION_TTL = 3600.0
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass
class UploadSession:
    id: str
    url: str
    drive_id: str
    parent_id: str
    path: str
    behaviour: str
    by: str
    expires_at: float
    size: int | None
    description: str | None = None
    received: bytearray = field(default_factory=bytearray)
    done: bool = False


class Transfers:
    """Open upload sessions and issued download URLs of one sandbox."""

    def __init__(self, sandbox: GraphSandbox) -> None:
        self.sandbox = sandbox
        self.sessions: dict[str, UploadSession] = {}
        self.downloads: dict[str, tuple[str, float]] = {}
        self.authorized_uploads = 0

    def reset(self) -> None:
        self.sessions.clear()
        self.downloads.clear()
        self.authorized_uploads = 0

    def download_url(self, item: Item) -> str:
        token = secrets.token_urlsafe(24)
        self.downloads[token] = (item.id, self.sandbox.clock.now() + DOWNLOAD_TTL)
        return f"{self.sandbox.download_base}/download.aspx?tempauth={token}"

    def open_session(
        self,
        drive: Drive,
        base: Item,
        path: str,
        behaviour: str,
        by: str,
        size: object,
        description: object = None,
    ) -> UploadSession:
        sid = secrets.token_urlsafe(18)
        session = UploadSession(
            id=sid,
            url=f"{self.sandbox.upload_base}/uploadSession?guid={sid}",
            drive_id=drive.id,
            parent_id=base.id,
            path=path,
            behaviour=behaviour,
            by=by,
            expires_at=self.sandbox.clock.now() + SESSION_TTL,
            size=size if isinstance(size, int) else None,
            description=description if isinstance(description, str) else None,
        )
        self.sessions[sid] = session
        return session

    def check_quota(self, drive: Drive, extra: int) -> None:
        if self.sandbox.state.drive_used(drive) + max(0, extra) > drive.quota_total:
            raise GraphError(507, "quotaLimitReached", "Insufficient Space Available")

    # -- the upload host -----------------------------------------------------------------------

    def upload(self, request: Request, body: bytes) -> tuple[int, dict[str, object], dict[str, str]]:
        sid = request.query_params.get("guid", "")
        session = self.sessions.get(sid)
        now = self.sandbox.clock.now()
        if session is None or session.done or now > session.expires_at:
            raise GraphError(404, "itemNotFound", "The upload session was not found.")
        if request.headers.get("authorization"):
            self.authorized_uploads += 1
            raise GraphError(
                401, "unauthenticated", "The upload URL must be called without an Authorization header."
            )
        if request.method == "GET":
            return 200, self._status(session), {}
        if request.method == "DELETE":
            del self.sessions[sid]
            return 204, {}, {}
        return self._fragment(session, request.headers.get("content-range", ""), body)

    def _fragment(
        self, session: UploadSession, header: str, body: bytes
    ) -> tuple[int, dict[str, object], dict[str, str]]:
        found = RANGE.match(header.strip())
        if found is None:
            raise GraphError(
                400, "invalidRequest", "Content-Range must be 'bytes start-end/total' with a numeric total."
            )
        start, end, total = (int(g) for g in found.groups())
        if end < start or end >= total or len(body) != end - start + 1:
            raise GraphError(400, "invalidRequest", "The Content-Range does not match the body.")
        if len(body) > MAX_FRAGMENT:
            raise GraphError(413, "requestEntityTooLarge", "A fragment must be smaller than 60 MiB.")
        if start != len(session.received):
            # The bytes were received already (a retry) or a gap was left.
            raise GraphError(416, "invalidRange", f"The expected range starts at {len(session.received)}.")
        last = end + 1 == total
        if not last and len(body) % FRAGMENT_UNIT:
            raise GraphError(
                400, "invalidRequest", "Fragments must be a multiple of 320 KiB (327,680 bytes)."
            )
        session.received += body
        if not last:
            return 202, self._status(session), {}
        return self._commit(session)

    def _commit(self, session: UploadSession) -> tuple[int, dict[str, object], dict[str, str]]:
        state = self.sandbox.state
        drive = state.drives[session.drive_id]
        base = state.items[session.parent_id]
        parent_path, _, name = session.path.rpartition("/")
        parent = state.by_path(drive, state.path_of(base) + "/" + parent_path) if parent_path else base
        if parent is None:
            raise GraphError(404, "itemNotFound", "The parent folder does not exist.")
        existing = state.by_path(drive, state.path_of(parent) + "/" + name)
        self.check_quota(drive, len(session.received) - len((existing.content if existing else b"") or b""))
        session.done = True
        if existing is not None:
            if session.behaviour == "fail":
                raise GraphError(409, "nameAlreadyExists", "The specified item name already exists.")
            state.replace_content(existing, bytes(session.received), session.by)
            existing.description = session.description or existing.description
            return 200, item_json(state, existing), {}
        item = state.add_item(drive, parent, name, bytes(session.received), session.by)
        item.description = session.description
        return 201, item_json(state, item), {}

    def _status(self, session: UploadSession) -> dict[str, object]:
        return {
            "expirationDateTime": iso(session.expires_at),
            "nextExpectedRanges": [f"{len(session.received)}-"],
        }

    # -- the download host ---------------------------------------------------------------------

    def download(self, request: Request) -> Response:
        token = request.query_params.get("tempauth", "")
        found = self.downloads.get(token)
        if found is None or self.sandbox.clock.now() > found[1]:
            return Response(b"", status_code=401)
        item = self.sandbox.state.items.get(found[0])
        if item is None or item.deleted or item.content is None:
            return Response(b"", status_code=404)
        data = item.content
        headers = {"content-type": "application/octet-stream", "accept-ranges": "bytes", "etag": item.etag}
        wanted = request.headers.get("range")
        if not wanted:
            return Response(data, headers=headers)
        found_range = re.match(r"^bytes=(\d*)-(\d*)$", wanted.strip())
        if found_range is None:
            return Response(b"", status_code=416, headers={"content-range": f"bytes */{len(data)}"})
        first, last = found_range.groups()
        start = int(first) if first else max(0, len(data) - int(last or 0))
        end = int(last) if first and last else len(data) - 1
        if start >= len(data) or end < start:
            return Response(b"", status_code=416, headers={"content-range": f"bytes */{len(data)}"})
        end = min(end, len(data) - 1)
        headers["content-range"] = f"bytes {start}-{end}/{len(data)}"
        return Response(data[start : end + 1], status_code=206, headers=headers)


def upload_app(sandbox: GraphSandbox) -> Starlette:
    """The upload host: PUT fragments, GET status, DELETE to cancel."""

    async def session(request: Request) -> Response:
        body = await request.body()
        try:
            with sandbox.lock:
                status, payload, headers = sandbox.transfers.upload(request, body)
        except GraphError as error:
            payload = error.body(request_id(), sandbox.clock.now())
            return Response(encode(payload), error.status, media_type="application/json")
        if status == 204:
            return Response(status_code=204)
        return Response(encode(payload), status, headers=headers, media_type="application/json")

    return Starlette(routes=[Route("/uploadSession", session, methods=["GET", "PUT", "DELETE"])])


def download_app(sandbox: GraphSandbox) -> Starlette:
    """The download host: pre-authenticated, short-lived URLs."""

    async def download(request: Request) -> Response:
        with sandbox.lock:
            return sandbox.transfers.download(request)

    return Starlette(routes=[Route("/download.aspx", download, methods=["GET"])])
