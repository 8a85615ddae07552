"""The vault against a scripted provider: storage, encryption at rest, refresh, revoke, rotation, secrecy."""

from __future__ import annotations

import json
import logging
import stat
import threading
import time
from urllib.parse import parse_qsl

import httpx
import pytest
from sqlalchemy import text

from charter.auth.consent import TokenSet
from charter.auth.crypto import KeySet, add_key_to_file, drop_keys_from_file, generate_key, load_keys
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.base import Credentials
from charter.schemas import AuthRequired, ConfigurationError, NotFound

CANARY = "CANARY7f3a9"
OAUTH = "https://github.test"
API = "https://api.github.test"


class ScriptedGitHub:
    """Answers GitHub's token and revoke endpoints; rotates refresh tokens like a GitHub App."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.refresh_calls = 0
        self.live_refresh = {f"ghr_{CANARY}_0"}
        self.revoked: list[str] = []
        self.revoke_status = 204
        self.refresh_delay = 0.0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login/oauth/access_token":
            return self._token(dict(parse_qsl(request.content.decode())))
        if request.method == "DELETE" and request.url.path == "/applications/Iv1.test/token":
            if request.headers.get("authorization", "") != httpx.BasicAuth("Iv1.test", "s3cret")._auth_header:
                return httpx.Response(401, json={"message": "Bad credentials"})
            self.revoked.append(json.loads(request.content)["access_token"])
            return httpx.Response(self.revoke_status)
        return httpx.Response(404)

    def _token(self, form: dict[str, str]) -> httpx.Response:
        time.sleep(self.refresh_delay)
        with self.lock:
            self.refresh_calls += 1
            n = self.refresh_calls
            if form.get("refresh_token") not in self.live_refresh:
                return httpx.Response(200, json={"error": "bad_refresh_token", "error_description": "no"})
            self.live_refresh = {f"ghr_{CANARY}_{n}"}
        return httpx.Response(
            200,
            json={
                "access_token": f"ghu_{CANARY}_{n}",
                "refresh_token": f"ghr_{CANARY}_{n}",
                "expires_in": 28800,
                "token_type": "bearer",
                "scope": "repo",
            },
        )


@pytest.fixture
def github() -> ScriptedGitHub:
    return ScriptedGitHub()


@pytest.fixture
def key_text() -> str:
    return generate_key()


@pytest.fixture
def keys(key_text: str) -> KeySet:
    return KeySet.parse(f"k1:{key_text}", source="test")


def make_vault(home: CharterHome, keys: KeySet, github: ScriptedGitHub) -> Vault:
    return Vault(home, keys=keys, http=httpx.Client(transport=github.transport()))


def add(
    vault: Vault, *, account: str = "mona", expires_in: float = 3600, client_secret: str = "s3cret"
) -> str:
    tokens = TokenSet(
        access_token=f"ghu_{CANARY}_start",
        refresh_token=f"ghr_{CANARY}_0",
        expires_at=time.time() + expires_in,
        scopes=frozenset({"repo"}),
    )
    conn = vault.add_connection(
        service="github",
        provider="github",
        account=account,
        tokens=tokens,
        api_base=API,
        oauth_base=OAUTH,
        client_id="Iv1.test",
        client_secret=client_secret,
    )
    return conn.id


def test_connections_are_listed_and_fetched_by_id(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    mona, hubot = add(vault, account="mona"), add(vault, account="hubot")
    assert mona != hubot
    assert mona.startswith("github-mona-")
    assert {c.account for c in vault.connections("github")} == {"mona", "hubot"}
    assert vault.connections("gmail") == []
    conn = vault.get(mona)
    assert (conn.service, conn.status, conn.api_base) == ("github", "active", API)
    assert conn.scopes == {"repo"}


def test_reconnecting_the_same_account_renews_the_existing_connection(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    assert add(vault) == add(vault)
    assert len(vault.connections()) == 1


def test_unknown_connection_lists_the_known_ids(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = add(vault)
    with pytest.raises(NotFound, match=cid):
        vault.get("github-nobody-0000")


def test_tokens_are_encrypted_at_rest_and_the_database_is_private(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    vault.credentials(add(vault)).access_token()
    with home.engine.connect() as db:
        stored = " ".join(map(str, db.execute(text("SELECT * FROM vault_connections")).one()))
    assert "github-mona" in stored
    assert CANARY not in stored
    assert "s3cret" not in stored
    if home.database_url is None:
        raw = b"".join(p.read_bytes() for p in home.path.glob("charter.db*"))
        assert b"github-mona" in raw
        assert CANARY.encode() not in raw
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in home.path.glob("charter.db*")}
        assert modes == dict.fromkeys(modes, 0o600)
        assert "charter.db" in modes


def test_a_vault_opened_with_another_key_says_which_key_is_missing(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    cid = add(make_vault(home, keys, github))
    other = Vault(home, keys=KeySet.parse(f"k2:{generate_key()}", source="$CHARTER_KEY"))
    with pytest.raises(ConfigurationError, match=r"'k1'.*CHARTER_KEY"):
        other.credentials(cid).access_token()


def test_rotation_re_encrypts_every_secret_under_the_newest_key(
    home: CharterHome, keys: KeySet, key_text: str, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cids = [add(vault, account="mona"), add(vault, account="hubot")]
    newest = generate_key()
    old_and_new = KeySet.parse(f"k2:{newest},k1:{key_text}", source="test")
    assert Vault(home, keys=old_and_new).rotate() == 2
    only_new = Vault(home, keys=KeySet.parse(f"k2:{newest}", source="test"))
    assert [only_new.access_token(c) for c in cids] == [f"ghu_{CANARY}_start"] * 2
    assert Vault(home, keys=old_and_new).rotate() == 0


def test_rotating_the_key_file_keeps_every_connection_readable(
    home: CharterHome, github: ScriptedGitHub
) -> None:
    cid = add(Vault(home, keys=load_keys(home.key_file, {}), http=httpx.Client(transport=github.transport())))
    old_kid = load_keys(home.key_file, {}).primary
    new_kid = add_key_to_file(home.key_file)
    assert Vault(home, keys=load_keys(home.key_file, {})).rotate() == 1
    drop_keys_from_file(home.key_file, {new_kid})
    rotated = Vault(home, keys=load_keys(home.key_file, {}))
    assert rotated.access_token(cid) == f"ghu_{CANARY}_start"
    assert old_kid not in rotated._keys.kids


def test_vault_credentials_fit_the_connector_protocol(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    creds: Credentials = vault.credentials(add(vault))
    assert (creds.connection_id.startswith("github-mona-"), creds.account) == (True, "mona")
    assert creds.granted_scopes == {"repo"}
    assert creds.access_token() == f"ghu_{CANARY}_start"


def test_expiring_token_is_refreshed_once_for_many_threads(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = add(vault, expires_in=10)
    github.refresh_delay = 0.05
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(vault.access_token(cid))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert github.refresh_calls == 1
    assert got == [f"ghu_{CANARY}_1"] * 8


def test_database_lease_alone_keeps_refresh_single_flight(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the in-process lock every thread behaves like a separate worker process.
    monkeypatch.setattr(Vault, "_process_lock", lambda self, cid: threading.Lock())
    vault = make_vault(home, keys, github)
    cid = add(vault, expires_in=10)
    github.refresh_delay = 0.05
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(vault.access_token(cid))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert github.refresh_calls == 1
    assert got == [f"ghu_{CANARY}_1"] * 6


def test_refresh_after_rejection_reuses_a_token_someone_else_already_got(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    creds = vault.credentials(add(vault))
    first = creds.refresh(f"ghu_{CANARY}_start")
    assert first == f"ghu_{CANARY}_1"
    assert creds.refresh(f"ghu_{CANARY}_start") == first
    assert github.refresh_calls == 1


def test_rotated_refresh_token_is_kept_for_the_next_refresh(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    creds = vault.credentials(add(vault))
    second = creds.refresh(creds.refresh(creds.access_token()))
    assert second == f"ghu_{CANARY}_2"
    assert vault.get(creds.connection_id).status == "active"


def test_refused_refresh_token_asks_the_person_to_connect_again(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = add(vault, expires_in=0)
    github.live_refresh = set()
    with pytest.raises(AuthRequired, match="connect GitHub again") as caught:
        vault.access_token(cid)
    assert caught.value.code == "auth_required"
    assert vault.get(cid).status == "needs_reconnect"
    with pytest.raises(AuthRequired, match="connect GitHub again"):
        vault.access_token(cid)
    assert github.refresh_calls == 1


def test_revoke_calls_the_provider_and_wipes_the_tokens(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = add(vault)
    result = vault.revoke(cid)
    assert result.remote_revoked
    assert github.revoked == [f"ghu_{CANARY}_start"]
    assert result.connection.status == "revoked"
    with pytest.raises(AuthRequired, match="revoked"):
        vault.access_token(cid)


def test_revoke_wipes_locally_and_says_so_when_the_provider_fails(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = add(vault)
    github.revoke_status = 500
    result = vault.revoke(cid)
    assert not result.remote_revoked
    assert "did not confirm" in result.detail
    assert vault.get(cid).status == "revoked"
    with home.engine.connect() as db:
        stored = db.execute(text("SELECT access_token, refresh_token FROM vault_connections")).one()
    assert tuple(stored) == (None, None)
    with pytest.raises(AuthRequired):
        vault.access_token(cid)


def test_remove_forgets_the_connection(home: CharterHome, keys: KeySet, github: ScriptedGitHub) -> None:
    vault = make_vault(home, keys, github)
    cid = add(vault)
    vault.remove(cid)
    with pytest.raises(NotFound):
        vault.get(cid)


def test_secrets_never_reach_reprs_errors_or_logs(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vault = make_vault(home, keys, github)
    cid = add(vault, expires_in=0)
    creds = vault.credentials(cid)
    seen = [repr(vault), repr(vault.get(cid)), repr(creds), str(creds), repr(vault.connections())]
    creds.access_token()
    github.live_refresh = set()
    github.revoke_status = 500
    try:
        creds.refresh(creds.access_token())
    except AuthRequired as exc:
        seen += [str(exc), repr(exc), json.dumps(exc.to_dict())]
    seen.append(repr(vault.revoke(cid)))
    seen += [r.getMessage() for r in caplog.records]
    assert caplog.records
    assert not [s for s in seen if CANARY in s or "s3cret" in s]
