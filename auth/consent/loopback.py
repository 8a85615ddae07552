"""Consent for a CLI or desktop app: a one-shot listener on 127.0.0.1 receives the redirect (RFC 8252)."""

from __future__ import annotations

import sys
import threading
import webbrowser
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from charter.auth.consent.errors import ConsentTimeout
from charter.auth.consent.oauth import OAuthClient
from charter.auth.consent.tokens import TokenSet
from charter.auth.consent.web import authorization_url, complete

CALLBACK_PATH = "/callback"
_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>Charter</title>"
    b"<p>Charter received the answer. You can close this tab and return to your terminal.</p>"
)


def open_in_browser(url: str) -> None:
    """The default: print the URL (for a headless shell) and try to open the browser."""
    print(f"Open this URL to give consent:\n  {url}", file=sys.stderr)
    webbrowser.open(url)


class _Listener(ThreadingHTTPServer):
    """Serves until the first request to the callback path arrives."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CallbackHandler)
        self.callback_url: str | None = None
        self.arrived = threading.Event()

    @property
    def redirect_uri(self) -> str:
        # RFC 8252 §7.3: the loopback IP literal, not "localhost", with the port chosen at runtime.
        return f"http://127.0.0.1:{self.server_address[1]}{CALLBACK_PATH}"


# Flows driven by a provider's own client library (msal) take the redirect through the same listener.
LoopbackListener = _Listener


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != CALLBACK_PATH or self.server.arrived.is_set():
            self.send_error(404)
            return
        self.server.callback_url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(_DONE_PAGE)))
        self.end_headers()
        self.wfile.write(_DONE_PAGE)
        self.server.arrived.set()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request line carries the authorization code


def run_loopback_flow(
    client: OAuthClient,
    *,
    scopes: Iterable[str],
    open_browser: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    extra: Mapping[str, str] | None = None,
) -> TokenSet:
    """Ask for consent in the browser and return the tokens, PKCE and state checked."""
    requested = frozenset(scopes)
    listener = _Listener()
    server = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    server.start()
    try:
        request = authorization_url(client, redirect_uri=listener.redirect_uri, scopes=requested, extra=extra)
        (open_browser or open_in_browser)(request.url)
        if not listener.arrived.wait(timeout) or listener.callback_url is None:
            raise ConsentTimeout(
                f"no answer from {client.provider.display_name} within {timeout:.0f} s; "
                "connect again and finish the consent in the browser"
            )
    finally:
        listener.shutdown()
        listener.server_close()
    return complete(
        client,
        listener.callback_url,
        state=request.state,
        code_verifier=request.code_verifier,
        requested=requested,
    )
