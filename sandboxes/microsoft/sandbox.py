"""`GraphSandbox`: Microsoft Graph v1.0 (sites, drives, lists, search, `$batch`, delta) and Entra ID v2.

Three loopback hosts, as in the real service: the main one serves Graph and the identity platform,
a second one takes upload-session fragments, a third serves pre-authenticated download URLs.
All three record into one request log and take the same faults.
"""

from __future__ import annotations

from typing import Any, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from charter.sandboxes.clock import Clock
from charter.sandboxes.control import json_body
from charter.sandboxes.faults import FaultDecision
from charter.sandboxes.framework import ExchangeMiddleware, Reply, Sandbox
from charter.sandboxes.microsoft import drives as _drives  # noqa: F401  (registers routes)
from charter.sandboxes.microsoft import entra
from charter.sandboxes.microsoft import lists as _lists  # noqa: F401
from charter.sandboxes.microsoft.api import dispatch
from charter.sandboxes.microsoft.batch import run_batch
from charter.sandboxes.microsoft.entra import EntraOAuth
from charter.sandboxes.microsoft.seed import add_bulk_files, build_state
from charter.sandboxes.microsoft.state import GraphState
from charter.sandboxes.microsoft.throttle import DEFAULT_BUDGET, ResourceUnits
from charter.sandboxes.microsoft.transfers import Transfers, download_app, upload_app
from charter.sandboxes.microsoft.wire import JSON_TYPE, Answer, GraphError, encode, request_id
from charter.sandboxes.server import SandboxServer
from charter.sandboxes.tokens import TokenFormat

# Entra access tokens live about an hour; refresh tokens 90 days.
ENTRA_TOKENS = TokenFormat(
    access_prefix="eyJ0eXAiOiJKV1QiLCJub25jZSI6",
    access_length=120,
    refresh_prefix="0.AXoA",
    refresh_length=200,
    access_ttl=3600,
    refresh_ttl=90 * 24 * 3600,
)


class GraphSandbox(Sandbox):
    """Graph and Entra on 127.0.0.1: the Contoso tenant, faults, throttling and inspection."""

    name = "microsoft"

    def __init__(self, *, clock: Clock | None = None, bulk_files: int = 0) -> None:
        super().__init__(clock=clock)
        self.bulk_files = bulk_files
        self.state: GraphState = build_state(self.clock, bulk_files)
        self.units = ResourceUnits(self.clock)
        self.entra = EntraOAuth(self)
        self.transfers = Transfers(self)
        self.locked: set[str] = set()
        self.anonymous_links = True
        self._hosts: dict[str, SandboxServer] = {}
        self._foreground: str | None = None

    def token_format(self) -> TokenFormat:
        return ENTRA_TOKENS

    def restore_seed(self) -> None:
        self.state = build_state(self.clock, self.bulk_files)
        self.units.reset()
        self.entra.reset()
        self.transfers.reset()
        self.locked.clear()
        self.anonymous_links = True

    # -- hosts ---------------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve Graph, the upload host and the download host, each on its own free port."""
        super().start()
        self._start_hosts()
        return self

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve Graph in the foreground on `host:port`, the upload and download hosts beside it."""
        self._foreground = f"http://{host}:{port}"
        self._start_hosts()
        try:
            super().serve(port, host)
        finally:
            self.stop()

    def _start_hosts(self) -> None:
        if self._hosts:
            return
        from charter.sandboxes.control import control_app

        for role, app in (("upload", upload_app(self)), ("download", download_app(self))):
            server = SandboxServer(ExchangeMiddleware(self, app, control_app(self)))
            server.start()
            self._hosts[role] = server

    @property
    def url(self) -> str:
        """Base URL of the running sandbox, e.g. `http://127.0.0.1:54321`."""
        return self._foreground or super().url

    def stop(self) -> None:
        for server in self._hosts.values():
            server.stop()
        self._hosts.clear()
        super().stop()

    @property
    def graph_base(self) -> str:
        """`http://127.0.0.1:PORT/v1.0`: where the connector sends Graph requests."""
        return f"{self.url}/v1.0"

    @property
    def upload_base(self) -> str:
        return self._hosts["upload"].url

    @property
    def download_base(self) -> str:
        return self._hosts["download"].url

    def add_bulk_files(self, count: int, folder: str = "Bulk") -> None:
        """Add `count` files to a folder of the Finance library (kept only until the next reset)."""
        finance = next(s for s in self.state.sites.values() if s.path == "/sites/Finance")
        with self.lock:
            add_bulk_files(self.state, finance, folder, count)

    # -- the service -----------------------------------------------------------------------------

    def service_app(self) -> ASGIApp:
        async def graph(request: Request) -> Response:
            body = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            path = "/" + str(request.path_params["rest"])
            if path == "/$batch" and request.method == "POST":
                try:
                    answer = run_batch(self, headers, body)
                except GraphError as error:
                    answer = Answer(error.body(request_id(), self.clock.now()), error.status)
            else:
                answer = dispatch(self, request.method, path, dict(request.query_params), headers, body)
            return _render(answer)

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        routes: list[BaseRoute] = [Route("/v1.0/{rest:path}", graph, methods=methods), *entra.ROUTES]
        app = Starlette(routes=routes)
        app.state.sandbox = self
        return app

    def fault_reply(self, decision: FaultDecision, method: str, path: str) -> Reply:
        """Graph's shapes for injected throttling and outages."""
        headers = [("content-type", "application/json"), ("request-id", request_id())]
        if decision.kind == "rate_limit":
            headers.append(("retry-after", str(decision.retry_after)))
            error = GraphError(decision.status, "TooManyRequests", "The request has been throttled.")
        else:
            code = "serviceNotAvailable" if decision.status == 503 else "generalException"
            error = GraphError(decision.status, code, "The service is temporarily unavailable.")
        return Reply(decision.status, headers, encode(error.body(request_id(), self.clock.now())))

    def dump_state(self) -> dict[str, object]:
        state = self.state
        out: dict[str, Any] = {}
        for drive in state.drives.values():
            out[drive.id] = sorted(
                state.path_of(i) + ("/" if i.is_folder else "")
                for i in state.in_drive(drive.id)
                if not i.deleted and i.parent_id
            )
        return {"drives": out, "seq": state.seq}

    # -- knobs ---------------------------------------------------------------------------------

    def grant_site(
        self, site_path: str, role: str = "write", client_id: str = entra.DEFAULT_CLIENT_ID
    ) -> None:
        """The admin step of Sites.Selected: give an app a role on one site."""
        site = next(s for s in self.state.sites.values() if s.path.lower() == site_path.lower())
        with self.lock:
            site.app_roles[client_id] = role

    def require_resync(self) -> None:
        """Every delta token issued so far is answered with 410 Gone from now on."""
        with self.lock:
            self.state.delta_floor = self.state.seq + 1
            self.state.seq += 1

    def set_budget(self, units_per_minute: int = DEFAULT_BUDGET) -> None:
        """The per-minute resource-unit budget of every app."""
        self.units.reset(units_per_minute)

    def control_routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/consent", self._consent_route, methods=["POST"]),
            Route("/oauth/device", self._device_route, methods=["GET", "POST"]),
            Route("/oauth/tokens", self._tokens_route, methods=["POST"]),
        ]

    async def _consent_route(self, request: Request) -> Response:
        body = await json_body(request)
        with self.lock:
            if body.get("deny"):
                self.entra.deny_consent()
            elif isinstance(only := body.get("grant_only"), list):
                self.entra.grant_only({str(s) for s in only})
            else:
                self.entra.auto_consent()
            if isinstance(body.get("login"), str):
                self.entra.sign_in_as(str(body["login"]))
        return JSONResponse({"ok": True})

    async def _device_route(self, request: Request) -> Response:
        if request.method == "POST":
            body = await json_body(request)
            with self.lock:
                try:
                    self.entra.approve_device(str(body.get("user_code", "")), bool(body.get("approve", True)))
                except KeyError as exc:
                    return JSONResponse({"message": str(exc)}, status_code=404)
        return JSONResponse({"pending": self.entra.pending_user_codes()})

    async def _tokens_route(self, request: Request) -> Response:
        body = await json_body(request)
        scopes = body.get("scopes") or ["Files.Read.All"]
        with self.lock:
            issued = self.entra.issue(
                str(body.get("login", "adele@contoso.com")),
                {str(s) for s in scopes} | {"offline_access"} if isinstance(scopes, list) else set(),
            )
        return JSONResponse(
            {
                "access_token": issued.access_token,
                "refresh_token": issued.refresh_token,
                "expires_in": issued.expires_in,
            }
        )


def _render(answer: Answer) -> Response:
    headers = {"request-id": request_id(), **answer.headers}
    if answer.raw is not None or answer.status == 204:
        return Response(answer.raw or b"", status_code=answer.status, headers=headers)
    return Response(encode(answer.body), status_code=answer.status, headers=headers, media_type=JSON_TYPE)
