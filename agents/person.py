"""Which decisions need the person's passkey, and the passkeys registered in a home.

A process running as the person's OS user can run `charter approvals approve` as well as the person
can; it cannot touch the person's authenticator. So once a passkey is registered, the decisions the
person's settings protect (by default: approving any call tagged `external`, `destructive` or
`sharing`, and creating a grant) are taken only in the console, with the passkey, and the CLI refuses
them naming the console, and the Toolkit will not run such an approval unless it was given with a
passkey registered in the home when the person decided. The ceremonies themselves are in
`charter.cli.console.passkeys`; this module needs no WebAuthn library.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, select, update

from charter.agents.approvals import PASSKEY_ID_CHARS
from charter.auth.home import CharterHome
from charter.auth.storage import UTCDateTime, create_tables
from charter.schemas import ApprovalRequest, ConfigurationError, GrantDenied, ValidationError, utcnow

SETTINGS_FILE = "person.yaml"
DEFAULT_PROTECTED_RISKS = ("external", "destructive", "sharing")

_metadata = MetaData()
passkeys_table = Table(
    "charter_passkeys",
    _metadata,
    Column("credential_id", String(255), primary_key=True),
    Column("public_key", Text, nullable=False),
    Column("sign_count", Integer, nullable=False),
    Column("label", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
)
_k = passkeys_table


class PersonSettings(BaseModel):
    """The person's settings in `<home>/person.yaml`: what needs a passkey, and whether the CLI decides."""

    model_config = ConfigDict(extra="forbid")

    passkey_for_risks: list[str] = Field(default_factory=lambda: list(DEFAULT_PROTECTED_RISKS))
    passkey_for_grants: bool = True
    cli_decisions: bool = Field(
        default=True, description="False: the CLI never approves or denies, even unprotected calls."
    )

    @classmethod
    def for_home(cls, home: CharterHome) -> PersonSettings:
        path = Path(home.path) / SETTINGS_FILE
        if not path.exists():
            return cls()
        try:
            data = yaml.safe_load(path.read_text()) or {}
            return cls.model_validate(data)
        except (yaml.YAMLError, ValueError) as exc:
            raise ConfigurationError(
                f"{path} is not valid ({type(exc).__name__}); fix it or remove it for the defaults"
            ) from None


@dataclass(frozen=True)
class Passkey:
    """A registered WebAuthn credential: its id (base64url), public key (COSE, base64url), counter."""

    credential_id: str
    public_key: str
    sign_count: int
    label: str
    created_at: datetime
    last_used_at: datetime | None


class PasskeyStore:
    """The person's passkeys in the home's database."""

    def __init__(self, home: CharterHome) -> None:
        self._engine = home.engine
        create_tables(_metadata, self._engine)

    def list(self) -> list[Passkey]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(_k).order_by(_k.c.created_at)).all()
        return [Passkey(**row._mapping) for row in rows]

    def any(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(_k.c.credential_id).limit(1)).first() is not None

    def get(self, credential_id: str) -> Passkey | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_k).where(_k.c.credential_id == credential_id)).first()
        return None if row is None else Passkey(**row._mapping)

    def add(self, credential_id: str, public_key: str, sign_count: int, label: str) -> Passkey:
        if len(credential_id) > PASSKEY_ID_CHARS:
            # Refused here, not at the first approval it would sign: decisions name the credential.
            raise ValidationError(
                f"this passkey's credential id is {len(credential_id)} characters; Charter keeps ids of "
                f"up to {PASSKEY_ID_CHARS}. Register another passkey (most use 16 to 64 bytes)."
            )
        now = utcnow()
        with self._engine.begin() as conn:
            conn.execute(
                _k.insert().values(
                    credential_id=credential_id,
                    public_key=public_key,
                    sign_count=sign_count,
                    label=label,
                    created_at=now,
                )
            )
        return Passkey(credential_id, public_key, sign_count, label, now, None)

    def used(self, credential_id: str, old_count: int, new_count: int) -> bool:
        """Record a use; False when the counter moved meanwhile (a replayed or cloned assertion)."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(_k)
                .where(_k.c.credential_id == credential_id, _k.c.sign_count == old_count)
                .values(sign_count=new_count, last_used_at=utcnow())
            )
        return done.rowcount == 1

    def registered_by(self, moment: datetime) -> bool:
        """Whether any passkey was registered at or before `moment`."""
        with self._engine.connect() as conn:
            found = conn.execute(select(_k.c.credential_id).where(_k.c.created_at <= moment).limit(1))
            return found.first() is not None

    def remove(self, credential_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(_k).where(_k.c.credential_id == credential_id))


def tool_risks(tool: str) -> frozenset[str] | None:
    """The declared risks of a tool (`github_merge_pull_request`), or None when it cannot be told."""
    from charter.connectors.registry import connectors

    for name, cls in connectors().items():
        prefix = f"{name}_"
        if tool.startswith(prefix):
            spec = cls.actions.get(tool.removeprefix(prefix))
            return None if spec is None else frozenset(spec.risks)
    return None


def approval_needs_passkey(home: CharterHome, request: ApprovalRequest) -> bool:
    """True when a passkey is registered and this approval's risks are among the protected ones.

    A tool whose risks cannot be read (a committed draft, an uninstalled connector) counts as protected.
    """
    if not PasskeyStore(home).any():
        return False
    risks = tool_risks(request.tool)
    protected = set(PersonSettings.for_home(home).passkey_for_risks)
    return risks is None or bool(risks & protected)


def grant_needs_passkey(home: CharterHome) -> bool:
    """True when creating or widening a grant must be done in the console with the passkey."""
    return PasskeyStore(home).any() and PersonSettings.for_home(home).passkey_for_grants


def cli_verification() -> str:
    """How a decision made in the CLI was made: at a terminal, or by a process without one."""
    return "cli:tty" if sys.stdin.isatty() and sys.stdout.isatty() else "cli:no-tty"


def refuse_cli_decision(home: CharterHome, request: ApprovalRequest) -> None:
    """Refuse, naming the console, a CLI decision that the person's settings keep for the passkey."""
    if not PersonSettings.for_home(home).cli_decisions:
        raise GrantDenied(
            f"decisions are taken only in the console in this home ({SETTINGS_FILE}: cli_decisions: "
            f"false); run `charter console` and decide {request.id} there",
            reason="cli_decisions_disabled",
            approval_id=request.id,
        )
    if approval_needs_passkey(home, request):
        raise GrantDenied(
            f"approving {request.id} ({request.tool}) needs the person's passkey: run `charter console` "
            "and approve it there. A process with a shell cannot approve it for the person.",
            reason="passkey_required",
            approval_id=request.id,
        )


def refuse_unverified(home: CharterHome, request: ApprovalRequest, answer: str | None = None) -> None:
    """Refuse to run a protected approval that was not given with a registered passkey.

    Only approvals decided once a passkey existed are held to it: one given at the terminal before
    the person registered a passkey still runs. One given with the passkey runs only if `answer`, its
    stored signed assertion, verifies for exactly this approval (`charter.agents.passkey_proof`).
    """
    store = PasskeyStore(home)
    if request.decided_at is None or not store.registered_by(request.decided_at):
        return
    protected = set(PersonSettings.for_home(home).passkey_for_risks)
    risks = tool_risks(request.tool)
    if risks is not None and not risks & protected:
        return
    how = request.verified_by or "none"
    passkey = store.get(how.removeprefix("passkey:")) if how.startswith("passkey:") else None
    if passkey is not None:
        from charter.agents.passkey_proof import check_answer

        check_answer(passkey, request, answer)
        return
    raise GrantDenied(
        f"approval {request.id} was not given with the person's passkey ({how}), and this home keeps "
        f"{request.tool} for the passkey; nothing was run. Ask the person to decide in `charter console`.",
        reason="passkey_required",
        approval_id=request.id,
    )


def refuse_cli_grant(home: CharterHome) -> None:
    """Refuse a grant created from the CLI once a passkey protects grant creation."""
    if grant_needs_passkey(home):
        raise GrantDenied(
            "creating a grant needs the person's passkey in this home: run `charter console` and create "
            "it on the Grants page (narrowing one with `charter grant attenuate` still works here)",
            reason="passkey_required",
        )


__all__ = [
    "DEFAULT_PROTECTED_RISKS",
    "Passkey",
    "PasskeyStore",
    "PersonSettings",
    "approval_needs_passkey",
    "cli_verification",
    "grant_needs_passkey",
    "passkeys_table",
    "refuse_cli_decision",
    "refuse_cli_grant",
    "refuse_unverified",
    "tool_risks",
]
