"""`charter console`: serve the console on 127.0.0.1 and hand the person its one-time link."""

from __future__ import annotations

import threading
import webbrowser
from typing import Annotated

import typer

from charter.cli.context import Local, local
from charter.cli.output import console as out
from charter.schemas import missing_extra


class ConsoleServer:
    """The console app on a loopback port, in a background thread, with its one session."""

    def __init__(self, here: Local, *, port: int = 0, poll_seconds: float = 0.5) -> None:
        try:
            from charter.cli.console.app import ConsoleState, build_app
            from charter.cli.console.passkeys import RelyingParty
            from charter.cli.console.session import ConsoleSession
            from charter.sandboxes.server import SandboxServer
        except ImportError as exc:
            raise (missing_extra(exc, hint="charter console") or exc) from None
        self.session = ConsoleSession()
        self._state_type, self._build = ConsoleState, build_app
        self._rp_type = RelyingParty
        self.here, self._port, self._poll = here, port, poll_seconds
        self._server_type = SandboxServer
        self._server: SandboxServer | None = None

    def __repr__(self) -> str:
        return f"<ConsoleServer home={str(self.here.path)!r}>"

    def start(self) -> str:
        """Start serving; returns the one-time link (http://localhost:PORT/launch?s=SECRET)."""
        import socket

        # The port is chosen first: the passkeys' origin names it.
        port = self._port
        if port == 0:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        origin = f"http://localhost:{port}"
        state = self._state_type(
            here=self.here,
            session=self.session,
            rp=self._rp_type(rp_id="localhost", origin=origin),
            poll_seconds=self._poll,
        )
        self.state = state
        self._server = self._server_type(self._build(state), port=port)
        self._server.start()
        threading.Thread(target=self._remind, name="console-reminders", daemon=True).start()
        return f"{origin}/launch?s={self.session.launch_secret}"

    def _remind(self, check_seconds: float = 30.0) -> None:
        """While the console runs, remind the person's notifiers of requests still waiting."""
        from datetime import datetime, timedelta

        from charter.agents.notifiers import Notice, NotifierConfig, due_reminders, tell
        from charter.schemas import ApprovalStatus, CharterError, utcnow

        last: dict[str, datetime] = {}
        while not self.state.closing.wait(check_seconds):
            try:
                config = NotifierConfig.for_home(self.here.home)
                every = timedelta(minutes=config.remind_every_minutes)
                waiting = self.here.approvals.list(ApprovalStatus.PENDING)
                due = due_reminders(waiting, every, last)
                notifiers = config.notifiers(self.here.home) if due else []
            except CharterError:
                continue
            for request in due:
                tell(notifiers, Notice.of(request, config.link, "reminder"))
                last[request.id] = utcnow()

    @property
    def origin(self) -> str:
        return self.state.rp.origin

    def stop(self) -> None:
        if self._server is not None:
            self.state.closing.set()
            self._server.stop()
            self._server = None


def console_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", help="Loopback port; default: any free one.")] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the link only; do not open a browser.")
    ] = False,
) -> None:
    """Open the local web console: approvals with passkeys, grants, connections, the audit log."""
    server = ConsoleServer(local(ctx), port=port)
    link = server.start()
    out.print("Charter console on 127.0.0.1; this link opens once (run `charter console` for another):")
    print(link, flush=True)
    if not no_browser:
        webbrowser.open(link)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


__all__ = ["ConsoleServer", "console_command"]
