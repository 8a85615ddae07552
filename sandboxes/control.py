"""The `/_sandbox/` HTTP API: state, reset, request log, faults and clock, for tests in any language."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

if TYPE_CHECKING:
    from charter.sandboxes.framework import Sandbox


async def json_body(request: Request) -> dict[str, object]:
    """The request's JSON object, or an empty one."""
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object, default: int) -> int:
    return default if value is None else int(str(value))


def apply_fault(sandbox: Sandbox, spec: dict[str, object]) -> None:
    """Arm one fault described as JSON: `{"kind": "fail", "times": 2, "status": 502, "path": "/user"}`."""
    faults = sandbox.faults
    kind = spec.get("kind")
    method, path = _str_or_none(spec.get("method")), _str_or_none(spec.get("path"))
    times = _int(spec.get("times"), 1)
    if kind == "fail":
        faults.fail_next(times, status=_int(spec.get("status"), 503), method=method, path=path)
    elif kind == "rate_limit":
        retry_after = _int(spec.get("retry_after"), 1)
        status = _int(spec.get("status"), 429)
        faults.rate_limit_next(times, retry_after=retry_after, status=status, method=method, path=path)
    elif kind == "drop":
        if spec.get("when") == "after":
            faults.drop_next(times, when="after", method=method, path=path)
        else:
            faults.drop_next(times, when="before", method=method, path=path)
    elif kind == "stall":
        seconds = float(str(spec.get("seconds", 1)))
        if spec.get("when") == "before":
            faults.stall_next(times, seconds=seconds, when="before", method=method, path=path)
        else:
            faults.stall_next(times, seconds=seconds, when="after", method=method, path=path)
    elif kind == "replay":
        faults.replay_next(times, method=method, path=path)
    elif kind == "latency":
        faults.set_latency(float(str(spec.get("seconds", 0))), method=method, path=path)
    elif kind == "expire_access_tokens":
        faults.expire_access_tokens()
    elif kind == "revoke_tokens":
        faults.revoke_tokens(_str_or_none(spec.get("login")))
    elif kind == "expire_refresh_tokens":
        faults.expire_refresh_tokens()
    else:
        raise ValueError(f"unknown fault kind {kind!r}")


def control_app(sandbox: Sandbox) -> Starlette:
    """The Starlette app mounted at `/_sandbox`."""

    async def state(request: Request) -> Response:
        with sandbox.lock:
            return JSONResponse(sandbox.dump_state())

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return Response(status_code=204)

    async def requests(request: Request) -> Response:
        bodies = request.query_params.get("bodies", "1") != "0"
        return JSONResponse([e.to_dict(bodies) for e in sandbox.requests.entries])

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            sandbox.faults.clear()
        elif request.method == "POST":
            try:
                apply_fault(sandbox, await json_body(request))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
        return JSONResponse(sandbox.faults.status())

    async def advance_clock(request: Request) -> Response:
        body = await json_body(request)
        sandbox.clock.advance(float(str(body.get("seconds", 0))))
        return JSONResponse({"now": sandbox.clock.now()})

    routes: list[BaseRoute] = [
        Route("/state", state),
        Route("/reset", reset, methods=["POST"]),
        Route("/requests", requests),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/clock/advance", advance_clock, methods=["POST"]),
        *sandbox.control_routes(),
    ]
    return Starlette(routes=[Mount("/_sandbox", routes=routes)])
