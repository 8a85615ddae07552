"""The vault: a person's connections and their provider tokens, encrypted at rest.

Stored through SQLAlchemy in the Charter home's database (SQLite by default, Postgres by URL).
Refresh is single-flight across threads and processes: a short lease taken by an atomic UPDATE
decides who calls the provider, and the new tokens are saved by compare-and-swap on a version
column, so a rotated refresh token is never lost and never used twice.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row

from charter.auth.consent.errors import RefreshRejected
from charter.auth.consent.tokens import TokenSet
from charter.auth.crypto import KeySet, load_keys
from charter.auth.home import CharterHome
from charter.auth.providers import ClientAuth, Provider, get_provider
from charter.auth.storage import create_tables
from charter.auth.vault_table import (
    SECRET_FIELDS,
    Connection,
    ConnectionStatus,
    Revocation,
    connection_from_row,
    connections_table,
    metadata,
    reconnect_for,
    slug,
)
from charter.schemas import AuthRequired, CharterError, NoAnswer, NotFound, UpstreamError

if TYPE_CHECKING:
    # A stored, fresh token needs neither: the OAuth client and httpx load on the first refresh.
    import httpx

    from charter.auth.consent.oauth import OAuthClient

log = logging.getLogger("charter.auth.vault")

_t = connections_table

__all__ = ["Connection", "ConnectionStatus", "Revocation", "Vault", "VaultCredentials"]

_process_locks: dict[tuple[str, str], threading.Lock] = {}
_process_locks_guard = threading.Lock()


class Vault:
    """A person's connections; hands connectors `Credentials` that refresh themselves."""

    def __init__(
        self,
        home: CharterHome | None = None,
        *,
        keys: KeySet | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = 60.0,
        lease_seconds: float = 30.0,
        wait_seconds: float = 20.0,
        poll_seconds: float = 0.02,
        refresh_attempts: int = 3,
    ) -> None:
        self.home = home or CharterHome()
        self._engine = self.home.engine
        self._keys = keys or load_keys(self.home.key_file)
        # Made when a token is first refreshed or revoked: its TLS setup costs a start that needs neither.
        self._http_given = http
        self._http_made: httpx.Client | None = None
        self._http_guard = threading.Lock()
        self._clock = clock
        self._margin = refresh_margin
        self._lease = lease_seconds
        self._wait = wait_seconds
        self._poll = poll_seconds
        self._refresh_attempts = refresh_attempts
        create_tables(metadata, self._engine)

    def __repr__(self) -> str:
        return f"Vault(database={self._engine.url!r}, keys={self._keys!r})"

    # -- connections -------------------------------------------------------------------------------

    def add_connection(
        self,
        *,
        service: str,
        provider: str,
        account: str,
        tokens: TokenSet,
        api_base: str,
        oauth_base: str,
        client_id: str,
        client_secret: str | None = None,
    ) -> Connection:
        """Save a new connection, or renew the tokens of the same account's existing one."""
        with self._engine.begin() as db:
            existing = db.execute(
                select(_t.c.id, _t.c.refresh_token).where(
                    _t.c.service == service, _t.c.account == account, _t.c.api_base == api_base
                )
            ).first()
            cid = existing[0] if existing else f"{service}-{slug(account)}-{secrets.token_hex(2)}"
            # A provider answering a repeat consent without a refresh token (Google) keeps the old one.
            kept = existing[1] if existing else None
            values = {
                "provider": provider,
                "scopes": json.dumps(sorted(tokens.scopes)),
                "oauth_base": oauth_base,
                "client_id": client_id,
                "status": "active",
                "refresh_lease_until": None,
                **self._token_values(cid, tokens, refresh_fallback=kept),
                "client_secret": self._seal(cid, "client_secret", client_secret),
            }
            if existing:
                db.execute(update(_t).where(_t.c.id == cid).values(version=_t.c.version + 1, **values))
            else:
                db.execute(
                    insert(_t).values(
                        id=cid,
                        service=service,
                        account=account,
                        api_base=api_base,
                        created_at=self._clock(),
                        version=0,
                        **values,
                    )
                )
        log.info("saved connection %s (%s, scopes %s)", cid, service, ",".join(sorted(tokens.scopes)))
        return self.get(cid)

    def connections(self, service: str | None = None) -> list[Connection]:
        """Every connection, or those of one service, oldest first."""
        query = select(_t).order_by(_t.c.created_at, _t.c.id)
        if service is not None:
            query = query.where(_t.c.service == service)
        with self._engine.connect() as db:
            return [connection_from_row(r) for r in db.execute(query)]

    def get(self, connection_id: str) -> Connection:
        """One connection by id; NotFound lists the ids there are."""
        return connection_from_row(self._row(connection_id))

    def credentials(self, connection_id: str) -> VaultCredentials:
        """The `Credentials` a connector uses for this connection."""
        return VaultCredentials(self, self.get(connection_id))

    def remove(self, connection_id: str) -> None:
        """Forget a connection and its tokens locally (call `revoke` first to end them at the provider)."""
        self._row(connection_id)
        with self._engine.begin() as db:
            db.execute(delete(_t).where(_t.c.id == connection_id))
        log.info("removed connection %s", connection_id)

    def revoke(self, connection_id: str) -> Revocation:
        """End the token at the provider, then wipe it here and mark the connection revoked."""
        row = self._row(connection_id)
        remote, detail = False, "there was no token to revoke"
        token = self._open(row, "access_token")
        if self._provider(row).revoke_refresh_token:
            token = self._open(row, "refresh_token") or token
        if token:
            try:
                self._client(row).revoke(token)
                remote, detail = True, "the provider revoked the token"
            except CharterError as exc:
                detail = f"the provider did not confirm the revocation: {exc.message}"
                log.warning(
                    "remote revoke of %s failed; wiped locally anyway: %s", connection_id, exc.message
                )
        with self._engine.begin() as db:
            db.execute(
                update(_t)
                .where(_t.c.id == connection_id)
                .values(
                    status="revoked",
                    access_token=None,
                    refresh_token=None,
                    expires_at=None,
                    refresh_expires_at=None,
                    refresh_lease_until=None,
                    version=_t.c.version + 1,
                )
            )
        return Revocation(self.get(connection_id), remote, detail)

    def rotate(self) -> int:
        """Re-encrypt every stored secret under the newest key; returns how many rows changed."""
        with self._engine.connect() as db:
            ids = [r[0] for r in db.execute(select(_t.c.id))]
        changed = sum(self._reseal(cid) for cid in ids)
        log.info("re-encrypted %d connection(s) under key %s", changed, self._keys.primary)
        return changed

    def _reseal(self, connection_id: str) -> bool:
        deadline = time.monotonic() + self._wait
        while True:
            row = self._row(connection_id)
            m = row._mapping
            values = {
                f: self._seal(m["id"], f, self._open(row, f))
                for f in SECRET_FIELDS
                if m[f] is not None and self._keys.key_id(m[f]) != self._keys.primary
            }
            if not values or self._compare_and_swap(m["id"], m["version"], values, unleased=True):
                return bool(values)
            if time.monotonic() > deadline:
                raise UpstreamError(
                    f"connection {connection_id} kept changing during key rotation; run it again"
                )
            time.sleep(self._poll)

    # -- tokens --------------------------------------------------------------------------------------

    def access_token(self, connection_id: str) -> str:
        """A valid access token, refreshed first (once for all callers) if it expires soon."""
        return self._fresh_token(connection_id, rejected=None)

    def refresh(self, connection_id: str, rejected: str) -> str:
        """A new access token after the provider rejected `rejected`; reuses one another caller got."""
        return self._fresh_token(connection_id, rejected=rejected)

    def _fresh_token(self, connection_id: str, rejected: str | None) -> str:
        with self._process_lock(connection_id):
            deadline = time.monotonic() + self._wait
            while True:
                row = self._row(connection_id)
                self._require_active(row)
                current = self._open(row, "access_token") or ""
                if rejected is not None and current != rejected:
                    return current
                expires = row._mapping["expires_at"]
                if rejected is None and (expires is None or expires - self._clock() > self._margin):
                    return current
                if self._take_lease(row):
                    token = self._refresh_with_lease(row)
                    if token is not None:
                        return token
                    continue
                if time.monotonic() > deadline:
                    raise UpstreamError(
                        f"another worker has been refreshing connection {connection_id} for too long; retry"
                    )
                time.sleep(self._poll)

    def _take_lease(self, row: Row[tuple[object, ...]]) -> bool:
        m, now = row._mapping, self._clock()
        with self._engine.begin() as db:
            taken = db.execute(
                update(_t)
                .where(
                    _t.c.id == m["id"],
                    _t.c.version == m["version"],
                    (_t.c.refresh_lease_until.is_(None)) | (_t.c.refresh_lease_until < now),
                )
                .values(refresh_lease_until=now + self._lease)
            )
        return taken.rowcount == 1

    def _refresh_with_lease(self, row: Row[tuple[object, ...]]) -> str | None:
        m = row._mapping
        provider = self._provider(row)
        refresh_token = self._open(row, "refresh_token")
        try:
            if self._pasted(row):
                raise RefreshRejected(
                    f"paste the current token again: {provider.display_name} refused the pasted token (it "
                    "was replaced, or the integration was removed), and a pasted token cannot be refreshed"
                )
            if not refresh_token:
                raise RefreshRejected(
                    f"connect {provider.display_name} again: the access token expired and "
                    "this connection has no refresh token"
                )
            tokens = self._exchange(row, refresh_token)
        except RefreshRejected as exc:
            if not self._compare_and_swap(m["id"], m["version"], {"status": "needs_reconnect"}):
                return None  # someone saved newer tokens meanwhile: ours was stale, theirs may work
            log.warning("connection %s needs reconnecting: the provider refused its refresh token", m["id"])
            raise AuthRequired(
                f"{exc.message} (connection {m['id']}, account {m['account']}); run `{self._reconnect(row)}`",
                connection_id=m["id"],
            ) from None
        except BaseException:
            self._compare_and_swap(m["id"], m["version"], {})
            raise
        values = self._token_values(m["id"], tokens, refresh_fallback=m["refresh_token"])
        values["scopes"] = json.dumps(sorted(tokens.scopes))
        if not self._compare_and_swap(m["id"], m["version"], values):
            # Only possible if our lease ran out mid-call and someone else saved first: theirs stand.
            log.warning("connection %s changed while it was being refreshed; kept the other tokens", m["id"])
            return None
        log.info("refreshed connection %s", m["id"])
        return tokens.access_token

    def _exchange(self, row: Row[tuple[object, ...]], refresh_token: str) -> TokenSet:
        """Refresh at the provider, sending the same refresh token again after a lost answer.

        That recovers whenever the provider still takes it: one that does not rotate (Google), one
        within its reuse window, or a request that never arrived. A provider that rotated it and
        accepts it only once (GitHub) refuses; the error then says why plainly.
        """
        m, provider = row._mapping, self._provider(row)
        lost = False
        for attempt in range(1, self._refresh_attempts + 1):
            try:
                return self._client(row).refresh(refresh_token, previous_scopes=json.loads(m["scopes"]))
            except NoAnswer:
                lost = True
                log.warning("the answer to refreshing connection %s was lost (attempt %d)", m["id"], attempt)
                if attempt == self._refresh_attempts:
                    raise
            except RefreshRejected as exc:
                if not lost:
                    raise
                raise _lost_after_rotation(provider, exc) from None
        raise AssertionError("unreachable")

    def _compare_and_swap(
        self, connection_id: str, version: int, values: Mapping[str, object], *, unleased: bool = False
    ) -> bool:
        """Write `values` only if nobody changed the row since `version`; frees the refresh lease.

        With `unleased`, also only while nobody holds the lease: a refresh in flight must find the
        row as it left it, or its new refresh token would have nowhere to go.
        """
        query = update(_t).where(_t.c.id == connection_id, _t.c.version == version)
        if unleased:
            lease = _t.c.refresh_lease_until
            query = query.where(lease.is_(None) | (lease < self._clock()))
        with self._engine.begin() as db:
            done = db.execute(query.values(**values, version=version + 1, refresh_lease_until=None))
        return done.rowcount == 1

    # -- helpers -------------------------------------------------------------------------------------

    def _token_values(self, cid: str, tokens: TokenSet, *, refresh_fallback: str | None) -> dict[str, object]:
        # A provider that does not rotate sends no refresh token: keep the one we have (RFC 6749 §6).
        refresh = (
            self._seal(cid, "refresh_token", tokens.refresh_token)
            if tokens.refresh_token
            else refresh_fallback
        )
        return {
            "token_type": tokens.token_type,
            "access_token": self._seal(cid, "access_token", tokens.access_token),
            "refresh_token": refresh,
            "expires_at": tokens.expires_at,
            "refresh_expires_at": tokens.refresh_expires_at,
        }

    def _seal(self, cid: str, field: str, value: str | None) -> str | None:
        return None if value is None else self._keys.encrypt(value, f"{cid}/{field}".encode())

    def _open(self, row: Row[tuple[object, ...]], field: str) -> str | None:
        m = row._mapping
        value = m[field]
        return None if value is None else self._keys.decrypt(value, f"{m['id']}/{field}".encode())

    def _row(self, connection_id: str) -> Row[tuple[object, ...]]:
        with self._engine.connect() as db:
            row = db.execute(select(_t).where(_t.c.id == connection_id)).first()
            if row is None:
                known = [r[0] for r in db.execute(select(_t.c.id).order_by(_t.c.id))]
                raise NotFound(
                    f"no connection {connection_id!r}; known connections: {', '.join(known) or 'none'} "
                    "(connect one with `charter connect <service>`)"
                )
        return row

    def _provider(self, row: Row[tuple[object, ...]]) -> Provider:
        return get_provider(row._mapping["provider"])

    def _pasted(self, row: Row[tuple[object, ...]]) -> bool:
        pasted = self._provider(row).pasted_token
        return pasted is not None and row._mapping["client_id"] == pasted[0]

    def _reconnect(self, row: Row[tuple[object, ...]]) -> str:
        return reconnect_for(connection_from_row(row), self._provider(row))

    def _client(self, row: Row[tuple[object, ...]]) -> OAuthClient:
        from charter.auth.consent.oauth import OAuthClient

        m = row._mapping
        provider = self._provider(row)
        return OAuthClient(
            provider=provider,
            endpoints=provider.endpoints(m["oauth_base"], m["api_base"]),
            client=ClientAuth(m["client_id"], self._open(row, "client_secret")),
            http=self._http(),
            clock=self._clock,
        )

    def _http(self) -> httpx.Client:
        if self._http_given is not None:
            return self._http_given
        with self._http_guard:
            if self._http_made is None:
                import httpx

                self._http_made = httpx.Client(timeout=15.0)
            return self._http_made

    def _require_active(self, row: Row[tuple[object, ...]]) -> None:
        m = row._mapping
        if m["status"] == "active":
            return
        name = self._provider(row).display_name
        why = "was revoked" if m["status"] == "revoked" else "lost its authorization (refresh refused)"
        if m["status"] != "revoked" and self._pasted(row):
            why = "holds a pasted token that was refused; paste the current one"
        again = self._reconnect(row)
        raise AuthRequired(
            f"connect {name} again: connection {m['id']} ({m['account']}) {why}; run `{again}`",
            connection_id=m["id"],
        )

    def _process_lock(self, connection_id: str) -> threading.Lock:
        # Threads of one process queue here, so only one of them competes for the database lease.
        key = (str(self._engine.url), connection_id)
        with _process_locks_guard:
            return _process_locks.setdefault(key, threading.Lock())


def _lost_after_rotation(provider: Provider, refused: RefreshRejected) -> RefreshRejected:
    """The refusal of a refresh token sent again after the first answer was lost, said plainly."""
    name = provider.display_name
    if provider.refresh_reuse_window is None:
        # Declared as not rotating, so the lost answer does not explain it; still say both facts.
        what = f"{name}'s answer to a refresh was lost, and {name} then refused the same refresh token"
    else:
        what = (
            f"{name}'s answer to a refresh was lost after {name} had replaced the refresh token, and "
            f"{name} accepts a refresh token only once, so Charter cannot recover the new one"
        )
    return RefreshRejected(f"connect {name} again: {what}", **refused.details)


class VaultCredentials:
    """`charter.connectors.base.Credentials` backed by the vault; never shows its token."""

    def __init__(self, vault: Vault, connection: Connection) -> None:
        self._vault = vault
        self._connection = connection

    def __repr__(self) -> str:
        return f"VaultCredentials(connection_id={self.connection_id!r}, account={self.account!r})"

    @property
    def connection_id(self) -> str:
        return self._connection.id

    @property
    def account(self) -> str:
        return self._connection.account

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self._connection.scopes

    def access_token(self) -> str:
        """A token valid now, refreshed first if it is about to expire."""
        return self._vault.access_token(self.connection_id)

    def refresh(self, rejected: str) -> str:
        """Refresh after the provider rejected `rejected`; single-flight across callers."""
        return self._vault.refresh(self.connection_id, rejected)
