"""Run a sandbox's ASGI app with uvicorn on 127.0.0.1: in a background thread for tests, or blocking."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

# Always the numeric loopback address: PyGithub refuses to follow a Link whose host differs from the
# base URL's, and RFC 8252 §8.3 prefers the literal address for loopback redirects.
HOST = "127.0.0.1"


def _config(app: ASGIApp, port: int, host: str, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        date_header=True,
    )


def _listening_socket(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio only disables Nagle on accepted sockets whose proto says
    # TCP, and with Nagle on, uvicorn's separate header and body writes cost a 40 ms delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class SandboxServer:
    """One ASGI app served on a free loopback port by a daemon thread."""

    def __init__(self, app: ASGIApp, *, host: str = HOST, port: int = 0) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url if self.running else None!r})"

    @property
    def running(self) -> bool:
        """Whether the server thread is up."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        if self._bound_port is None:
            raise RuntimeError("the sandbox server is not started; call start() first")
        return f"http://{self._host}:{self._bound_port}"

    def start(self, timeout: float = 10.0) -> None:
        """Bind, start serving in the background and return once requests are accepted."""
        if self.running:
            return
        sock = _listening_socket(self._host, self._port)
        self._bound_port = sock.getsockname()[1]
        server = uvicorn.Server(_config(self._app, self._bound_port, self._host, "error"))
        self._server = server

        def run() -> None:
            asyncio.run(server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=run, name=f"sandbox-{self._bound_port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox server on port {self._bound_port} did not start")
            time.sleep(0.002)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._server = None


def serve_forever(app: ASGIApp, *, port: int, host: str = HOST, log_level: str = "info") -> None:
    """Serve `app` in the foreground until interrupted (for `charter sandbox up`)."""
    sock = _listening_socket(host, port)
    uvicorn.Server(_config(app, port, host, log_level)).run(sockets=[sock])
