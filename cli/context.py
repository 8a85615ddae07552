"""The Charter home a command works on, and its stores, opened only when a command needs them."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from charter.schemas import ConfigurationError

# The stores pull SQLAlchemy and cryptography: imported when a command first opens one.
if TYPE_CHECKING:
    from charter.agents.approvals import ApprovalStore
    from charter.auth.audit import AuditLog
    from charter.auth.grants import GrantAuthority
    from charter.auth.home import CharterHome
    from charter.auth.vault import Vault


class Local:
    """One Charter home as the CLI sees it: vault, grants, approvals and the audit log.

    With `create` false, a home that does not exist yet is an error naming it, not a new empty one:
    only connecting an account starts a home, so a mistyped --home is caught at once.
    """

    def __init__(self, path: Path | None = None, *, create: bool = True) -> None:
        from charter.auth.home import default_home

        self.path = path or default_home()
        self.create = create

    def __repr__(self) -> str:
        return f"<Local home={str(self.path)!r}>"

    @cached_property
    def home(self) -> CharterHome:
        from charter.auth.home import CharterHome, existing_home

        try:
            return CharterHome(self.path) if self.create else existing_home(self.path)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot use {self.path} as the Charter home ({exc.strerror or type(exc).__name__}); "
                "choose another with --home or CHARTER_HOME"
            ) from None

    @cached_property
    def audit(self) -> AuditLog:
        from charter.auth.audit import AuditLog

        return AuditLog(self.home)

    @cached_property
    def vault(self) -> Vault:
        from charter.auth.vault import Vault

        return Vault(self.home)

    @cached_property
    def grants(self) -> GrantAuthority:
        from charter.auth.grants import GrantAuthority

        # Given the audit log, issuing and revoking are recorded as the person's actions.
        return GrantAuthority(self.home, audit=self.audit)

    @cached_property
    def approvals(self) -> ApprovalStore:
        from charter.agents.approvals import ApprovalStore

        # Given the audit log, approvals and denials are recorded with actor "person".
        return ApprovalStore(self.home, audit=self.audit)


def local(ctx: typer.Context, *, create: bool = False) -> Local:
    """The home chosen by `charter --home` / $CHARTER_HOME for this invocation.

    Only commands that start a home (connecting an account) pass `create`.
    """
    root = ctx.find_root()
    if not isinstance(root.obj, Local):
        root.obj = Local(create=False)
    if create:
        root.obj.create = True
    return root.obj


__all__ = ["Local", "local"]
