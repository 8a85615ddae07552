"""What every GitHub REST endpoint shares: auth, scopes, rate limits, ETags, pagination, error bodies."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from charter.sandboxes.github.media import Media, requested, with_body_format
from charter.sandboxes.github.ratelimit import Bucket
from charter.sandboxes.github.state import WRITE_PERMISSIONS, GitHubState, Repo
from charter.sandboxes.tokens import AccessToken
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from charter.sandboxes.github.sandbox import GitHubSandbox

T = TypeVar("T")
DOCS = "https://docs.github.com/rest"
RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
Auth = Literal["required", "optional", "none"]
# A request body's properties and the JSON types its schema allows, e.g. {"title": "string|integer"}.
Shape = dict[str, str]


class ApiError(Exception):
    """An error answer in GitHub's shape: `{"message", "documentation_url", "status"}` (+ `errors`)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[JsonObject] | None = None,
        documentation_url: str = DOCS,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url

    def body(self) -> JsonObject:
        """The JSON body GitHub sends for this error."""
        out: JsonObject = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.documentation_url
        out["status"] = str(self.status)
        return out


def not_found() -> ApiError:
    """GitHub's 404, also its answer for a private repository the caller may not see."""
    return ApiError(404, "Not Found")


def validation_failed(resource: str, field_name: str, code: str, message: str | None = None) -> ApiError:
    """GitHub's 422 with one entry in `errors`."""
    error: JsonObject = {"resource": resource, "field": field_name, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


@dataclass
class ApiResponse:
    """A handler's answer: status, JSON body (or bytes in a custom media type) and extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """One request as a handler sees it: who is calling, with which scopes, and what they sent."""

    request: Request
    sandbox: GitHubSandbox
    body_bytes: bytes
    token: AccessToken | None

    @property
    def state(self) -> GitHubState:
        """The sandbox's data."""
        return self.sandbox.state

    @property
    def base(self) -> str:
        """The origin the client used, so URLs in responses point back here."""
        url = self.request.url
        return f"{url.scheme}://{url.netloc}"

    @property
    def login(self) -> str | None:
        """The authenticated account, if any."""
        return self.token.login if self.token else None

    @property
    def scopes(self) -> frozenset[str]:
        """The token's scopes (empty without a token)."""
        return self.token.scopes if self.token else frozenset()

    @property
    def media(self) -> Media:
        """The GitHub media type the `Accept` header asks for."""
        return requested(self.request.headers.get("accept"))

    def unsupported_media(self) -> ApiError:
        """GitHub's 415 for a media type this endpoint does not offer."""
        wanted = self.request.headers.get("accept", "")
        return ApiError(
            415, f"Unsupported 'Accept' header: {json.dumps([wanted])}. Must accept 'application/json'."
        )

    @property
    def query(self) -> QueryParams:
        """Query parameters."""
        return self.request.query_params

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def json(self, shape: Shape | None = None) -> JsonObject:
        """The request body as a JSON object; GitHub answers 400 when it cannot parse it.

        With a `shape` (property → JSON types, e.g. `"string|null"`, as the endpoint's request
        schema declares them), a property of another type is GitHub's 422 schema error.
        """
        if not self.body_bytes.strip():
            return {}
        try:
            data = json.loads(self.body_bytes)
        except (ValueError, RecursionError):
            raise ApiError(400, "Problems parsing JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        for name, kinds in (shape or {}).items():
            if name in data and not any(_is_json_type(data[name], k) for k in kinds.split("|")):
                problem = f"For 'properties/{name}', {_shown(data[name])} is not {_kinds(kinds)}."
                raise ApiError(422, f"Invalid request.\n\n{problem}")
        return data

    def repo(self, *, write: bool = False) -> Repo:
        """The repository in the path, as this caller may see it; 404 exactly when GitHub would."""
        repo = self.state.find_repo(self.param("owner"), self.param("repo"))
        if repo is None:
            raise not_found()
        visible = not repo.private or ("repo" in self.scopes and self.login in repo.collaborators)
        if not visible:
            raise not_found()
        if write and repo.collaborators.get(self.login or "") not in WRITE_PERMISSIONS:
            raise ApiError(403, "Must have push access to this repository.")
        return repo

    def can_see(self, repo: Repo) -> bool:
        """Whether this caller may read `repo`."""
        return not repo.private or ("repo" in self.scopes and self.login in repo.collaborators)

    def paginate(self, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
        """One page of `items` and its `Link` header (GitHub's per_page default 30, max 100)."""
        per_page = min(100, max(1, _int(self.query.get("per_page"), 30)))
        page = max(1, _int(self.query.get("page"), 1))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = list(items[(page - 1) * per_page : page * per_page])
        links: list[str] = []
        if page > 1:
            links.append(f'<{self._page_url(page - 1)}>; rel="prev"')
        if page < last:
            links.append(f'<{self._page_url(page + 1)}>; rel="next"')
            links.append(f'<{self._page_url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{self._page_url(1)}>; rel="first"')
        return chunk, ({"link": ", ".join(links)} if links else {})

    def _page_url(self, page: int) -> str:
        return str(self.request.url.include_query_params(page=page))


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _is_json_type(value: object, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def _kinds(kinds: str) -> str:
    named = [("an " if k[0] in "aeiou" else "a ") + k for k in kinds.split("|") if k != "null"]
    return " or ".join(named)


def _shown(value: object) -> str:
    """A value as GitHub's schema errors quote it (Ruby's `nil` for null), cut short."""
    text = "nil" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def etag_of(body: bytes) -> str:
    """A weak ETag derived from the body, so it changes exactly when the representation does."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def request_id() -> str:
    """An `X-GitHub-Request-Id` in GitHub's colon-separated hex style."""
    parts = [secrets.token_hex(n).upper() for n in (2, 2, 3, 3, 4)]
    return ":".join(parts)


GitHubHandler = Callable[[Ctx], ApiResponse]


def endpoint(
    handler: GitHubHandler,
    *,
    scopes: str = "repo",
    resource: str = "core",
    auth: Auth = "optional",
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running `handler` with GitHub's authentication, headers and caching."""

    async def run(request: Request) -> Response:
        sandbox: GitHubSandbox = request.app.state.sandbox
        body = await request.body()
        return respond(sandbox, request, body, handler, scopes=scopes, resource=resource, auth=auth)

    return run


def render(
    ctx: Ctx,
    outcome: ApiResponse | ApiError,
    headers: dict[str, str],
) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers for an outcome, with the ETag and 304 rules applied."""
    if isinstance(outcome, ApiError):
        return outcome.status, json.dumps(outcome.body()).encode(), headers
    if outcome.status == 204 or outcome.body is None:
        return outcome.status, b"", {**headers, **outcome.headers}
    out = {**headers, **outcome.headers}
    if isinstance(outcome.body, bytes):
        payload = outcome.body
    else:
        media = ctx.media
        if media.param in ("diff", "patch", "sha"):
            # Only a few resources have a diff, patch or sha form; the handlers of those answer them.
            return render(ctx, ctx.unsupported_media(), headers)
        out["x-github-media-type"] = media.header()
        payload = json.dumps(with_body_format(outcome.body, media), ensure_ascii=False).encode()
    # GitHub tags every successful representation, a write's answer too, and says where a new one lives.
    tag = etag_of(payload)
    out["etag"] = tag
    if outcome.status == 201 and isinstance(outcome.body, dict) and isinstance(outcome.body.get("url"), str):
        out["location"] = outcome.body["url"]
    fresh = _etag_matches(ctx.request.headers.get("if-none-match"), tag)
    if ctx.request.method == "GET" and outcome.status == 200 and fresh:
        return 304, b"", out
    return outcome.status, payload, out


def authenticate(sandbox: GitHubSandbox, header: str | None) -> tuple[AccessToken | None, bool]:
    """(token, bad): the caller's valid token, or whether the credentials they sent are bad."""
    if not header:
        return None, False
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value.strip()).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return None, True
    elif scheme.lower() not in ("token", "bearer"):
        return None, True
    token = sandbox.tokens.lookup(value.strip())
    return token, token is None


def base_headers(token: AccessToken | None, accepted: str, method: str) -> dict[str, str]:
    """Headers on every API answer."""
    headers = {
        "content-type": "application/json; charset=utf-8",
        "x-github-media-type": "github.v3; format=json",
        "x-github-api-version-selected": "2022-11-28",
        "x-github-request-id": request_id(),
        "x-accepted-oauth-scopes": accepted,
        "vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
    }
    if token is not None:
        headers["x-oauth-scopes"] = ", ".join(sorted(token.scopes))
    if method == "GET":
        headers["cache-control"] = "private, max-age=60, s-maxage=60"
    return headers


def rate_headers(bucket: Bucket, resource: str) -> dict[str, str]:
    """The `x-ratelimit-*` headers for a bucket."""
    return {
        "x-ratelimit-limit": str(bucket.limit),
        "x-ratelimit-remaining": str(bucket.remaining),
        "x-ratelimit-reset": str(bucket.reset),
        "x-ratelimit-used": str(bucket.used),
        "x-ratelimit-resource": resource,
    }


def respond(
    sandbox: GitHubSandbox,
    request: Request,
    body: bytes,
    handler: GitHubHandler,
    *,
    scopes: str,
    resource: str,
    auth: Auth,
) -> Response:
    """Authenticate, check the rate limit, run the handler under the sandbox lock, and answer."""
    token, bad = (
        (None, False) if auth == "none" else authenticate(sandbox, request.headers.get("authorization"))
    )
    who = token.login if token else f"ip:{request.client.host if request.client else 'unknown'}"
    bucket = sandbox.rate_limits.bucket(who, resource, token is not None)
    ctx = Ctx(request, sandbox, body, token)
    outcome: ApiResponse | ApiError
    if bad:
        outcome = ApiError(401, "Bad credentials")
    elif auth == "required" and token is None:
        outcome = ApiError(401, "Requires authentication")
    elif bucket.remaining == 0:
        outcome = ApiError(403, f"API rate limit exceeded for {who}.", documentation_url=RATE_DOCS)
    else:
        with sandbox.lock:
            try:
                outcome = handler(ctx)
            except ApiError as exc:
                outcome = exc
    status, payload, headers = render(ctx, outcome, base_headers(token, scopes, request.method))
    if status != 304:
        sandbox.rate_limits.spend(bucket)
    headers.update(rate_headers(bucket, resource))
    return Response(payload, status_code=status, headers=headers)
