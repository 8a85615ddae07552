"""`charter sandbox up`: serve a service's local emulator in the foreground for manual exploration."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from charter.cli.output import console
from charter.sandboxes import Sandbox, create_sandbox, sandbox_names
from charter.schemas import ConfigurationError

sandbox_app = typer.Typer(
    help="Run local emulators of the services Charter connects to.", no_args_is_help=True
)

SERVICES = tuple(sandbox_names())
# One port per service, so the sandboxes can run side by side without choosing ports.
DEFAULT_PORTS = {"github": 8765, "google": 8766}
STATE_NOTE = (
    "State lives in memory: stopping the sandbox forgets its data and the tokens it issued, so "
    "connect again after a restart."
)


def default_port(service: str) -> int:
    """The port `charter sandbox up --service SERVICE` serves on unless told otherwise."""
    if service in DEFAULT_PORTS:
        return DEFAULT_PORTS[service]
    others = sorted(set(SERVICES) - set(DEFAULT_PORTS))
    return max(DEFAULT_PORTS.values()) + 1 + (others.index(service) if service in others else len(others))


def make_sandbox(service: str) -> Sandbox:
    """A fresh, seeded sandbox for `service`."""
    if service not in SERVICES:
        raise ConfigurationError(f"there is no sandbox for {service!r}; available: {', '.join(SERVICES)}")
    return create_sandbox(service)


def _print_google_banner(url: str) -> None:
    from charter.sandboxes.google import DEFAULT_CLIENT_ID

    console.print(f"[bold]google sandbox[/] on {url}  (seeded: Gmail and Calendar of mona@acme.com)")
    console.print(f"  Gmail, Calendar and batch   {url}/gmail/v1, {url}/calendar/v3, {url}/batch")
    console.print(f"  OAuth server                {url}/o/oauth2/v2/auth, {url}/token, {url}/revoke")
    console.print(f"  inspection API              {url}/_sandbox/state  (also /requests, /faults, /quota)")
    console.print(f"  OAuth client id             {DEFAULT_CLIENT_ID}  (consent is granted automatically)")
    console.print(f"Connect to it:  charter connect gmail --sandbox {url}  (or calendar)")
    console.print(STATE_NOTE)
    console.print("Press Ctrl-C to stop.")


def _print_microsoft_banner(url: str) -> None:
    from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID

    console.print(
        f"[bold]microsoft sandbox[/] on {url}  (seeded: the Contoso tenant's sites, as adele@contoso.com)"
    )
    console.print(f"  Graph v1.0 and $batch       {url}/v1.0, {url}/v1.0/$batch")
    console.print(f"  Entra ID v2 (msal)          {url}/organizations/v2.0/.well-known/openid-configuration")
    console.print(f"  inspection API              {url}/_sandbox/state  (also /requests, /faults)")
    console.print(f"  OAuth client id             {DEFAULT_CLIENT_ID}  (consent is granted automatically)")
    console.print(f"Connect to it:  charter connect sharepoint --sandbox {url}")
    console.print(f"  with --device, enter the code it shows at {url}/devicelogin")
    console.print(STATE_NOTE)
    console.print("Press Ctrl-C to stop.")


def _print_notion_banner(url: str) -> None:
    from charter.sandboxes.notion import DEFAULT_CLIENT_ID, NOTION_VERSION

    console.print(f"[bold]notion sandbox[/] on {url}  (seeded: the Acme workspace of mona@acme.com)")
    console.print(f"  API v1 at {NOTION_VERSION}        {url}/v1")
    console.print(f"  OAuth server                {url}/v1/oauth/authorize, /token, /revoke")
    console.print(f"  inspection API              {url}/_sandbox/state  (also /requests, /faults, /notion)")
    console.print(
        f"  OAuth client id             {DEFAULT_CLIENT_ID}  (consent is granted automatically, as mona)"
    )
    console.print(f"Connect to it:  charter connect notion --sandbox {url}")
    token = f"curl -s -X POST -d '{{\"internal\": true}}' {url}/_sandbox/notion/tokens"
    console.print("  or paste an internal integration's token, issued by:")
    # Not wrapped: the command is copied as one line.
    console.print(f"    {token}", soft_wrap=True)
    console.print(f"  into charter connect notion --internal --sandbox {url}")
    console.print(STATE_NOTE)
    console.print("Press Ctrl-C to stop.")


def _print_github_banner(url: str) -> None:
    from charter.sandboxes.github import DEFAULT_CLIENT_ID

    console.print(f"[bold]github sandbox[/] on {url}  (seeded: acme/web, acme/api, mona/notes)")
    console.print(f"  REST API and OAuth server  {url}")
    console.print(f"  inspection API             {url}/_sandbox/state  (also /requests, /faults, /reset)")
    console.print(
        f"  OAuth client id            {DEFAULT_CLIENT_ID}  (consent is granted automatically, as mona)"
    )
    console.print(f"Connect to it:  charter connect github --sandbox {url}")
    console.print(f"  with --device, enter the code it shows at {url}/login/device")
    console.print(STATE_NOTE)
    console.print("Press Ctrl-C to stop.")


BANNERS = {
    "github": _print_github_banner,
    "google": _print_google_banner,
    "microsoft": _print_microsoft_banner,
    "notion": _print_notion_banner,
}


def print_banner(service: str, url: str) -> None:
    """Where the sandbox answers and how to connect to it."""
    banner = BANNERS.get(service)
    if banner is not None:
        banner(url)
        return
    console.print(f"[bold]{service} sandbox[/] on {url}  (inspection API: {url}/_sandbox/state)")
    console.print(STATE_NOTE)
    console.print("Press Ctrl-C to stop.")


@sandbox_app.command("up")
def up_command(
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help="Port on 127.0.0.1; default "
            + ", ".join(f"{name} {default_port(name)}" for name in SERVICES)
            + ".",
            show_default=False,
        ),
    ] = None,
    service: Annotated[
        str, typer.Option("--service", help=f"Which service: {', '.join(SERVICES)}.")
    ] = "github",
) -> None:
    """Serve a sandbox on 127.0.0.1 in the foreground, printing its URLs; Ctrl-C stops it."""
    sandbox = make_sandbox(service)
    port = port or default_port(service)
    try:
        _check_port(port)
        print_banner(service, f"http://127.0.0.1:{port}")
        sandbox.serve(port)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a foreground sandbox is meant to stop
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(f"port {port} is already in use; choose another with --port") from None
        raise ConfigurationError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    console.print("sandbox stopped")


def _check_port(port: int) -> None:
    # Fail before printing URLs nobody will answer on.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


__all__ = ["DEFAULT_PORTS", "SERVICES", "default_port", "make_sandbox", "print_banner", "sandbox_app"]
