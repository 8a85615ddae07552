"""`charter doctor`: checks the home, keys, database, extras and each connection; says what to do."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import typer
from sqlalchemy import text

from charter.auth.consent import require_listening
from charter.auth.crypto import ENV_VAR as VAULT_KEY_ENV
from charter.auth.grant_tokens import KEY_ENV as GRANT_KEY_ENV
from charter.auth.grant_tokens import KEY_FILE as GRANT_KEY_FILE
from charter.auth.home import existing_home
from charter.auth.providers import get_provider
from charter.auth.vault import Connection
from charter.auth.vault_table import reconnect_for
from charter.cli.context import Local, local
from charter.cli.output import JsonOption, console, plain, print_json
from charter.schemas import EXTRA_MODULES, AuthRequired, CharterError
from charter.schemas.extras import missing_modules

State = Literal["ok", "warn", "fail"]
_MARKS = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


@dataclass(frozen=True)
class Check:
    """One thing `charter doctor` looked at: how it stands, and what to do when it is not ok."""

    name: str
    state: State
    detail: str
    fix: str = ""


def check_home(here: Local) -> Check:
    try:
        existing_home(here.path)
    except CharterError:
        return Check(
            "home",
            "fail",
            f"no Charter home at {here.path}",
            "connect an account (`charter connect github`) to start one, or point --home or "
            "CHARTER_HOME at yours",
        )
    return Check("home", "ok", str(here.path))


def check_key(name: str, file: Path, env_var: str, what: str) -> Check:
    if os.environ.get(env_var):
        return Check(name, "ok", f"from ${env_var}")
    if not file.exists():
        return Check(name, "warn", f"{file} does not exist yet", f"it is created at the first {what}")
    mode = file.stat().st_mode & 0o777
    if mode & 0o077:
        return Check(name, "fail", f"{file} is readable by other users (mode {mode:o})", f"chmod 600 {file}")
    return Check(name, "ok", f"{file} (mode {mode:o})")


def check_database(here: Local) -> Check:
    try:
        with here.home.engine.connect() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:
        # The driver's text may carry a URL with a password: the type names the failure well enough.
        return Check(
            "database", "fail", f"cannot open it ({type(exc).__name__})", "check CHARTER_DATABASE_URL"
        )
    where = "CHARTER_DATABASE_URL" if here.home.database_url else str(here.home.database_file)
    return Check("database", "ok", where)


def check_extras() -> Iterator[Check]:
    for extra in sorted(set(EXTRA_MODULES.values())):
        missing = missing_modules(extra)
        if missing:
            yield Check(
                f"extra {extra}", "warn", f"not installed ({', '.join(missing)} missing)",
                f"pip install 'charter[{extra}]' (in a clone: .venv/bin/pip install -e '.[{extra}]')",
            )  # fmt: skip
        else:
            yield Check(f"extra {extra}", "ok", "installed")


def check_connection(here: Local, connection: Connection) -> Check:
    name = f"connection {connection.id}"
    again = reconnect_for(connection, get_provider(connection.provider))
    if connection.status != "active":
        return Check(name, "fail", f"{connection.account}: {connection.status}", f"connect again: {again}")
    try:
        require_listening(connection.api_base, what=f"{connection.service}'s API")
        token = here.vault.access_token(connection.id)
        try:
            _whose(connection, token)
        except AuthRequired:  # refused: refresh once, as any call through the connector would
            _whose(connection, here.vault.refresh(connection.id, token))
    except AuthRequired as exc:
        return Check(name, "fail", f"{connection.account}: {exc.message}", f"connect again: {again}")
    except CharterError as exc:
        fix = f"check that {connection.api_base} runs (a sandbox: `charter sandbox up`), then retry"
        return Check(name, "fail", f"{connection.account}: {exc.message}", fix)
    return Check(name, "ok", f"{connection.account} at {connection.api_base}")


def _whose(connection: Connection, token: str) -> str:
    """Ask the provider whose the token is: one request that proves the token still works."""
    provider = get_provider(connection.provider)
    endpoints = provider.endpoints(connection.oauth_base, connection.api_base)
    if provider.account_lookup is None:
        return connection.account
    with httpx.Client(timeout=10.0) as http:
        return provider.account_lookup(http, endpoints, token)


def diagnose(here: Local) -> list[Check]:
    """Every check, in order; later checks are skipped when there is no home to look into."""
    checks = [check_home(here)]
    if checks[0].state == "ok":
        steps: list[Callable[[], Check]] = [
            lambda: check_key("vault key", here.home.key_file, VAULT_KEY_ENV, "connection"),
            lambda: check_key("grant key", here.home.path / GRANT_KEY_FILE, GRANT_KEY_ENV, "grant"),
            lambda: check_database(here),
        ]
        checks += [step() for step in steps]
    checks += check_extras()
    if checks[0].state == "ok" and all(c.state != "fail" for c in checks[1:4]):
        checks += [check_connection(here, c) for c in here.vault.connections()]
    return checks


def doctor_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check the home, its keys, the database, the installed extras and each connection."""
    checks = diagnose(local(ctx))
    if as_json:
        print_json(checks)
    else:
        print_checks(checks)
    if any(c.state == "fail" for c in checks):
        raise typer.Exit(1)


def print_checks(checks: list[Check]) -> None:
    """One line per check, what to do under it; never wrapped, so paths and commands copy whole."""
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = _MARKS[c.state] + " " * (5 - len(c.state))
        console.print(f"{mark}{c.name.ljust(width)}  {plain(c.detail)}", soft_wrap=True, highlight=False)
        if c.fix:
            console.print(f"{' ' * (5 + width)}  → {plain(c.fix)}", soft_wrap=True, highlight=False)


__all__ = ["Check", "diagnose", "doctor_command"]
