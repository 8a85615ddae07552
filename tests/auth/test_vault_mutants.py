"""The vault (`charter.auth.vault`), pinned where mutation testing found it loose.

Each test names the promise it holds: when a token is refreshed and how long a refresh holds its
lease, a failed refresh freeing it, a rotation that waits for a refresh in flight, ciphertexts that
open only in their own connection and field, what a re-consent renews, what revoking wipes, and the
wording of every refusal (which never carries a token).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import test_vault
from sqlalchemy import select, update
from test_refresh_single_flight import connect_google
from test_vault import API, CANARY, OAUTH, ScriptedGitHub, add, make_vault

from charter.auth.consent import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.providers.notion import INTERNAL_CLIENT
from charter.auth.vault import Vault
from charter.auth.vault_table import connections_table
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import AuthRequired, CharterError, ConfigurationError, NoAnswer, NotFound, UpstreamError

T0 = 1_900_000_000.0
RECONNECT = "charter connect github --sandbox https://github.test"
_t = connections_table
# The fixtures of the tests these extend.
github, key_text, keys = test_vault.github, test_vault.key_text, test_vault.keys


class Clock:
    """The vault's clock, moved by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _vault(
    home: CharterHome,
    keys: KeySet,
    handler: Callable[[httpx.Request], httpx.Response],
    clock: Clock | None = None,
    **options: float,
) -> Vault:
    transport = httpx.MockTransport(handler)
    return Vault(home, keys=keys, http=httpx.Client(transport=transport), clock=clock or time.time, **options)


def _connect_google(vault: Vault) -> str:
    """A Gmail connection of mona@acme.com whose tokens hold the canary (Google does not rotate)."""
    tokens = TokenSet(access_token=f"ya29.{CANARY}", refresh_token=f"1//{CANARY}", expires_at=None)
    return vault.add_connection(
        service="gmail", provider="google", account="mona@acme.com", tokens=tokens,
        api_base="https://google.test", oauth_base="https://google.test",
        client_id="client.apps.googleusercontent.com", client_secret="s3cret",
    ).id  # fmt: skip


def _connect(
    vault: Vault,
    *,
    expires_at: float | None,
    refresh_token: str | None = f"ghr_{CANARY}_0",
    scopes: tuple[str, ...] = ("repo",),
    **given: str,
) -> str:
    tokens = TokenSet(
        access_token=f"ghu_{CANARY}_start",
        refresh_token=refresh_token,
        expires_at=expires_at,
        scopes=frozenset(scopes),
    )
    fields = {"service": "github", "provider": "github", "account": "mona", "api_base": API} | given
    return vault.add_connection(
        **fields, tokens=tokens, oauth_base=OAUTH, client_id="Iv1.test", client_secret="s3cret"
    ).id


def _row(home: CharterHome, cid: str) -> dict[str, object]:
    with home.engine.connect() as db:
        return dict(db.execute(select(_t).where(_t.c.id == cid)).one()._mapping)


def _set(home: CharterHome, cid: str, **values: object) -> None:
    with home.engine.begin() as db:
        db.execute(update(_t).where(_t.c.id == cid).values(**values))


# -- when a token is refreshed, and the lease a refresh holds -----------------------------------


def test_a_token_is_refreshed_within_a_minute_of_its_expiry_and_not_before(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    later = _connect(vault, expires_at=T0 + 60.5)
    assert vault.access_token(later) == f"ghu_{CANARY}_start"
    soon = _connect(vault, expires_at=T0 + 60, account="hubot")
    assert vault.access_token(soon) == f"ghu_{CANARY}_1"
    never = _connect(vault, expires_at=None, account="octocat")
    assert vault.access_token(never) == f"ghu_{CANARY}_start"
    assert github.refresh_calls == 1


def test_a_refresh_holds_its_lease_for_thirty_seconds(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    seen: list[object] = []
    cid = ""

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(_row(home, cid)["refresh_lease_until"])
        return github.handle(request)

    vault = _vault(home, keys, token_endpoint, Clock())
    cid = _connect(vault, expires_at=T0)
    vault.access_token(cid)
    assert seen == [T0 + 30]
    assert _row(home, cid)["refresh_lease_until"] is None  # freed with the new tokens


def test_a_lease_is_held_until_its_end_and_free_after_it(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    clock = Clock()
    vault = _vault(home, keys, github.handle, clock, wait_seconds=0.0)
    cid = _connect(vault, expires_at=T0)
    _set(home, cid, refresh_lease_until=T0)  # another worker's refresh, its lease ending now
    with pytest.raises(UpstreamError) as waited:
        vault.access_token(cid)
    assert waited.value.message == (
        f"another worker has been refreshing connection {cid} for too long; retry"
    )
    assert github.refresh_calls == 0
    clock.now = T0 + 0.001
    assert vault.access_token(cid) == f"ghu_{CANARY}_1"


@pytest.mark.parametrize("changed", [False, True])
def test_a_lease_is_not_taken_on_a_row_another_worker_has_changed_since_it_was_read(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub, changed: bool
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=T0)
    take = vault._take_lease

    def after_another_worker(row: Any) -> bool:
        # Between this caller's read of the expiring row and its lease, another worker refreshed:
        # a new version of the row whose token lasts an hour (its lease already freed).
        if changed:
            version = int(_row(home, cid)["version"])  # type: ignore[call-overload]
            _set(home, cid, version=version + 1, expires_at=T0 + 3600)
        return take(row)

    vault._take_lease = after_another_worker  # type: ignore[method-assign]
    token = vault.access_token(cid)
    # The control: with nothing changed, the lease is taken and the token refreshed.
    assert (token, github.refresh_calls) == (
        (f"ghu_{CANARY}_start", 0) if changed else (f"ghu_{CANARY}_1", 1)
    )


def test_a_refresh_that_fails_frees_its_lease_for_the_next_caller(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    failures = [httpx.Response(500, json={"message": "down"})]

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        return failures.pop() if failures else github.handle(request)

    vault = _vault(home, keys, token_endpoint, Clock(), wait_seconds=0.0)
    cid = _connect(vault, expires_at=T0)
    with pytest.raises(CharterError):
        vault.access_token(cid)
    assert _row(home, cid)["refresh_lease_until"] is None
    assert vault.access_token(cid) == f"ghu_{CANARY}_1"  # at once, not after the lease


def test_refreshed_tokens_carry_their_new_expiry(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=T0)
    version = _row(home, cid)["version"]
    vault.access_token(cid)
    row = _row(home, cid)
    assert (row["expires_at"], row["token_type"], row["status"]) == (T0 + 28800, "bearer", "active")
    assert row["version"] == version + 1  # a new version: a writer holding the old one cannot save


def test_an_answer_without_a_refresh_token_or_scopes_keeps_those_held(
    home: CharterHome, keys: KeySet
) -> None:
    # RFC 6749 §6: a provider that does not rotate sends no refresh token, and may omit the scope.
    sent: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        sent.append(dict(parse_qsl(request.content.decode()))["refresh_token"])
        if len(sent) > 2:  # a vault refreshing again and again is refused, not waited on
            return httpx.Response(200, json={"error": "bad_refresh_token", "error_description": "again"})
        return httpx.Response(200, json={"access_token": f"ghu_{CANARY}_{len(sent)}", "expires_in": 60})

    vault = _vault(home, keys, provider, Clock())
    cid = _connect(vault, expires_at=T0)
    assert vault.access_token(cid) == f"ghu_{CANARY}_1"
    assert vault.access_token(cid) == f"ghu_{CANARY}_2"  # expires within the minute: refreshed again
    assert sent == [f"ghr_{CANARY}_0"] * 2
    assert vault.get(cid).scopes == {"repo"}


# -- key rotation and where a ciphertext opens ---------------------------------------------------


def test_rotation_waits_for_a_refresh_in_flight(
    home: CharterHome, keys: KeySet, key_text: str, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=None)
    _set(home, cid, refresh_lease_until=T0)  # a refresh's lease, ending now: still held
    newer = KeySet.parse(f"k2:{generate_key()},k1:{key_text}", source="test")
    clock = Clock()
    rotating = Vault(home, keys=newer, clock=clock, wait_seconds=0.0)
    with pytest.raises(UpstreamError) as refused:
        rotating.rotate()
    assert refused.value.message == f"connection {cid} kept changing during key rotation; run it again"
    clock.now = T0 + 0.001
    assert rotating.rotate() == 1
    assert rotating.access_token(cid) == f"ghu_{CANARY}_start"


class Ticking(Clock):
    """A clock that moves a second each time it is read."""

    def __call__(self) -> float:
        self.now += 1
        return self.now


def test_rotation_retries_until_a_refresh_lease_ends_then_re_encrypts(
    home: CharterHome, keys: KeySet, key_text: str, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=None)
    _set(home, cid, refresh_lease_until=T0 + 3)
    new_key = generate_key()
    clock = Ticking()
    both = KeySet.parse(f"k2:{new_key},k1:{key_text}", source="test")
    # A few polls suffice; 2 s of patience instead of 20 ends a rotation that never gets through.
    assert Vault(home, keys=both, clock=clock, wait_seconds=2.0).rotate() == 1
    assert clock.now > T0 + 3  # it retried past the lease's end
    only_new = Vault(home, keys=KeySet.parse(f"k2:{new_key}", source="test"))
    assert only_new.access_token(cid) == f"ghu_{CANARY}_start"


def test_a_rotation_nothing_contends_re_encrypts_at_its_first_try(
    home: CharterHome, keys: KeySet, key_text: str, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=None)
    new_key = generate_key()
    both = KeySet.parse(f"k2:{new_key},k1:{key_text}", source="test")
    # No patience at all: a rotation that needed a second try would give up.
    assert Vault(home, keys=both, clock=Clock(), wait_seconds=0.0).rotate() == 1
    only_new = Vault(home, keys=KeySet.parse(f"k2:{new_key}", source="test"))
    assert only_new.access_token(cid) == f"ghu_{CANARY}_start"


def test_a_ciphertext_opens_only_in_its_own_connection_and_field(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    mona, hubot = add(vault, account="mona"), add(vault, account="hubot")
    assert vault.access_token(hubot) == f"ghu_{CANARY}_start"  # control: untouched, it opens
    _set(home, hubot, access_token=_row(home, mona)["access_token"])
    with pytest.raises(ConfigurationError, match="does not open this value"):
        vault.access_token(hubot)
    _set(home, mona, access_token=_row(home, mona)["refresh_token"])
    with pytest.raises(ConfigurationError, match="does not open this value"):
        vault.access_token(mona)


# -- what a re-consent renews ------------------------------------------------------------------


def test_a_connection_id_names_the_service_and_account_with_four_random_hex(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = _connect(vault, expires_at=None, account="Mona Lisa")
    assert re.fullmatch(r"github-mona-lisa-[0-9a-f]{4}", cid)


def test_the_same_account_elsewhere_is_another_connection(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    first = _connect(vault, expires_at=None)
    assert _connect(vault, expires_at=None, api_base="https://ghe.acme.test/api/v3") != first
    assert _connect(vault, expires_at=None, account="hubot") != first
    assert _connect(vault, expires_at=None, service="github-enterprise") != first
    assert _connect(vault, expires_at=None) == first
    assert len(vault.connections()) == 4


def test_connecting_again_makes_a_refused_connection_active_and_keeps_the_refresh_token(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=T0)
    _set(home, cid, status="needs_reconnect", refresh_lease_until=T0 + 10)
    version = _row(home, cid)["version"]
    # A repeat consent without a refresh token (Google's way): the one held is kept.
    assert _connect(vault, expires_at=T0, refresh_token=None) == cid
    row = _row(home, cid)
    assert (row["status"], row["refresh_lease_until"], row["version"]) == ("active", None, version + 1)
    assert vault.access_token(cid) == f"ghu_{CANARY}_1"  # refreshed with the refresh token kept


def test_connections_are_listed_oldest_first_then_by_id(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    clock = Clock()
    vault = _vault(home, keys, github.handle, clock)
    clock.now = T0 + 5
    newer = _connect(vault, expires_at=None, account="amy")
    clock.now = T0
    older = _connect(vault, expires_at=None, account="zed")
    same = sorted([_connect(vault, expires_at=None, account=a) for a in ("zoe", "bob")])
    assert [c.id for c in vault.connections()] == [*sorted([older, *same]), newer]
    assert sorted([older, *same])[0] != older  # control: the id order differs from the age order
    assert [c.id for c in vault.connections("github")] == [*sorted([older, *same]), newer]


def test_a_vault_given_no_keys_uses_the_homes_key_file(home: CharterHome, github: ScriptedGitHub) -> None:
    cid = _connect(Vault(home, http=httpx.Client(transport=github.transport())), expires_at=None)
    assert home.key_file.exists()
    assert Vault(home).access_token(cid) == f"ghu_{CANARY}_start"


# -- refusals say what happened and what to run ------------------------------------------------


def test_an_unknown_connection_names_those_there_are(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    with pytest.raises(NotFound) as none:
        vault.get("github-nobody-0000")
    assert none.value.message == (
        "no connection 'github-nobody-0000'; known connections: none "
        "(connect one with `charter connect <service>`)"
    )
    ids = sorted([_connect(vault, expires_at=None, account=a) for a in ("zed", "amy")])
    with pytest.raises(NotFound) as known:
        vault.remove("github-nobody-0000")
    assert known.value.message == (
        f"no connection 'github-nobody-0000'; known connections: {ids[0]}, {ids[1]} "
        "(connect one with `charter connect <service>`)"
    )
    assert len(vault.connections()) == 2


def test_an_inactive_connection_says_why_and_what_to_run(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = _connect(vault, expires_at=None)
    _set(home, cid, status="needs_reconnect")
    with pytest.raises(AuthRequired) as refused:
        vault.access_token(cid)
    assert refused.value.message == (
        f"connect GitHub again: connection {cid} (mona) lost its authorization (refresh refused); "
        f"run `{RECONNECT}`"
    )
    assert refused.value.details["connection_id"] == cid
    vault.revoke(cid)
    with pytest.raises(AuthRequired) as revoked:
        vault.access_token(cid)
    revoked_message = f"connect GitHub again: connection {cid} (mona) was revoked; run `{RECONNECT}`"
    assert revoked.value.message == revoked_message


def test_an_expired_token_without_a_refresh_token_asks_to_connect_again(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=T0, refresh_token=None)
    with pytest.raises(AuthRequired) as refused:
        vault.access_token(cid)
    assert refused.value.message == (
        "connect GitHub again: the access token expired and this connection has no refresh token "
        f"(connection {cid}, account mona); run `{RECONNECT}`"
    )
    assert refused.value.details["connection_id"] == cid
    assert (vault.get(cid).status, github.refresh_calls) == ("needs_reconnect", 0)


def test_a_refused_refresh_token_names_the_connection_and_the_command(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    cid = _connect(vault, expires_at=T0)
    github.live_refresh = set()
    with pytest.raises(AuthRequired) as refused:
        vault.access_token(cid)
    assert refused.value.message == (
        "connect GitHub again: GitHub refused the refresh token (bad_refresh_token); it was revoked, "
        f"expired or already used (connection {cid}, account mona); run `{RECONNECT}`"
    )


def _pasted_notion(vault: Vault) -> str:
    tokens = TokenSet(access_token=f"ntn_{CANARY}", expires_at=None, scopes=frozenset())
    return vault.add_connection(
        service="notion",
        provider="notion",
        account="acme",
        tokens=tokens,
        api_base="https://api.notion.test",
        oauth_base="https://api.notion.test",
        client_id=INTERNAL_CLIENT,
    ).id


def test_a_refused_pasted_token_asks_for_the_current_one(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = _pasted_notion(vault)
    again = "charter connect notion --sandbox https://api.notion.test --internal"
    with pytest.raises(AuthRequired) as refused:
        vault.refresh(cid, f"ntn_{CANARY}")
    assert refused.value.message == (
        "paste the current token again: Notion refused the pasted token (it was replaced, or the "
        "integration was removed), and a pasted token cannot be refreshed "
        f"(connection {cid}, account acme); run `{again}`"
    )
    with pytest.raises(AuthRequired) as still:
        vault.access_token(cid)
    assert still.value.message == (
        f"connect Notion again: connection {cid} (acme) holds a pasted token that was refused; "
        f"paste the current one; run `{again}`"
    )
    vault.revoke(cid)
    with pytest.raises(AuthRequired) as revoked:
        vault.access_token(cid)
    assert (
        revoked.value.message == f"connect Notion again: connection {cid} (acme) was revoked; run `{again}`"
    )
    assert github.refresh_calls == 0


# -- a lost answer -------------------------------------------------------------------------------


def test_a_refresh_is_sent_three_times_when_its_answers_are_lost(
    home: CharterHome, keys: KeySet, gsb: GoogleSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    vault = Vault(home, keys=keys)
    cid = connect_google(vault, gsb)
    rejected = vault.access_token(cid)
    gsb.faults.drop_next(3, when="after", path="/token")
    with caplog.at_level(logging.WARNING, logger="charter.auth.vault"), pytest.raises(NoAnswer):
        vault.refresh(cid, rejected)
    assert gsb.tokens.refreshes == 3
    assert caplog.messages == [
        f"the answer to refreshing connection {cid} was lost (attempt {n})" for n in (1, 2, 3)
    ]
    gsb.faults.drop_next(2, when="after", path="/token")
    assert vault.refresh(cid, rejected) != rejected
    assert gsb.tokens.refreshes == 6


def test_a_lost_answer_then_a_refusal_from_a_provider_that_does_not_rotate_says_both(
    home: CharterHome, keys: KeySet
) -> None:
    answers: list[httpx.Response | None] = [httpx.Response(400, json={"error": "invalid_grant"}), None]

    def google(request: httpx.Request) -> httpx.Response:
        answer = answers.pop()
        if answer is None:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return answer

    vault = _vault(home, keys, google)
    cid = _connect_google(vault)
    with pytest.raises(AuthRequired) as refused:
        vault.refresh(cid, f"ya29.{CANARY}")
    assert refused.value.message.startswith(
        "connect Google again: Google's answer to a refresh was lost, and Google then refused the same "
        f"refresh token (connection {cid}, account mona@acme.com); run `charter connect gmail"
    )
    assert answers == []


# -- someone else's newer tokens stand -------------------------------------------------------


@pytest.mark.parametrize("refused", [False, True], ids=["refreshed", "refused"])
def test_tokens_saved_by_a_new_consent_during_a_refresh_stand(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub, refused: bool, caplog: pytest.LogCaptureFixture
) -> None:
    vault: Vault | None = None

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        # The person connects again while this refresh is at the provider.
        assert vault is not None
        fresh = TokenSet(
            access_token=f"ghu_{CANARY}_consent", refresh_token=f"ghr_{CANARY}_c", expires_at=T0 + 3600
        )
        vault.add_connection(
            service="github",
            provider="github",
            account="mona",
            tokens=fresh,
            api_base=API,
            oauth_base=OAUTH,
            client_id="Iv1.test",
        )
        return github.handle(request)

    vault = _vault(home, keys, token_endpoint, Clock())
    cid = _connect(vault, expires_at=T0)
    if refused:
        github.live_refresh = set()
    with caplog.at_level(logging.WARNING, logger="charter.auth.vault"):
        assert vault.access_token(cid) == f"ghu_{CANARY}_consent"
    assert vault.get(cid).status == "active"
    assert github.refresh_calls == 1
    kept = (
        [] if refused else [f"connection {cid} changed while it was being refreshed; kept the other tokens"]
    )
    assert caplog.messages == kept


# -- revoking ----------------------------------------------------------------------------------


def test_revoking_wipes_every_token_and_says_what_the_provider_did(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    hosts: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return github.handle(request)

    vault = _vault(home, keys, provider)
    cid = _connect(vault, expires_at=T0 + 3600)
    _set(home, cid, refresh_expires_at=T0 + 7200)
    version = _row(home, cid)["version"]
    done = vault.revoke(cid)
    assert (done.remote_revoked, done.detail) == (True, "the provider revoked the token")
    assert done.connection.expires_at is None
    row = _row(home, cid)
    wiped = ("access_token", "refresh_token", "expires_at", "refresh_expires_at", "refresh_lease_until")
    assert [row[f] for f in wiped] == [None] * 5
    assert (row["status"], row["version"]) == ("revoked", version + 1)
    again = vault.revoke(cid)
    assert (again.remote_revoked, again.detail) == (False, "there was no token to revoke")
    assert github.revoked == [f"ghu_{CANARY}_start"]
    assert hosts == ["api.github.test"]  # the connection's own API base, not github.com's


def test_a_revocation_the_provider_did_not_confirm_says_its_answer(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    vault = make_vault(home, keys, github)
    cid = _connect(vault, expires_at=None)
    github.revoke_status = 500
    with caplog.at_level(logging.WARNING, logger="charter.auth.vault"):
        done = vault.revoke(cid)
    answer = "GitHub answered 500 to the token revocation; the token may still be valid"
    assert done.detail == f"the provider did not confirm the revocation: {answer}"
    assert caplog.messages == [f"remote revoke of {cid} failed; wiped locally anyway: {answer}"]


def test_google_revokes_the_refresh_token_which_ends_the_whole_grant(home: CharterHome, keys: KeySet) -> None:
    sent: list[str] = []

    def google(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.url} {request.content.decode()}")
        return httpx.Response(200)

    vault = _vault(home, keys, google)
    cid = _connect_google(vault)
    assert vault.revoke(cid).remote_revoked
    assert len(sent) == 1
    assert f"1//{CANARY}".replace("/", "%2F") in sent[0] or f"1//{CANARY}" in sent[0]
    assert f"ya29.{CANARY}" not in sent[0]


# -- rotation, reprs and the operator's log ------------------------------------------------------


def test_a_connection_without_a_client_secret_rotates(
    home: CharterHome, keys: KeySet, key_text: str, github: ScriptedGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    cid = _pasted_notion(make_vault(home, keys, github))
    newer = KeySet.parse(f"k2:{generate_key()},k1:{key_text}", source="test")
    with caplog.at_level(logging.INFO, logger="charter.auth.vault"):
        assert Vault(home, keys=newer).rotate() == 1
    assert "re-encrypted 1 connection(s) under key k2" in caplog.messages
    assert Vault(home, keys=newer).access_token(cid) == f"ntn_{CANARY}"
    assert _row(home, cid)["client_secret"] is None


def test_reprs_name_the_database_the_key_ids_and_the_account_only(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    vault = make_vault(home, keys, github)
    cid = _connect(vault, expires_at=None)
    assert repr(vault) == f"Vault(database={home.engine.url!r}, keys={keys!r})"
    assert repr(vault.credentials(cid)) == f"VaultCredentials(connection_id={cid!r}, account='mona')"
    assert CANARY not in repr(vault) + repr(vault.credentials(cid))


def test_the_operators_log_says_what_happened_to_which_connection(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    vault = _vault(home, keys, github.handle, Clock())
    with caplog.at_level(logging.INFO, logger="charter.auth.vault"):
        cid = _connect(vault, expires_at=T0, scopes=("repo", "read:org"))
        vault.access_token(cid)
        github.live_refresh = set()
        with pytest.raises(AuthRequired):
            vault.refresh(cid, f"ghu_{CANARY}_1")
        vault.remove(cid)
    assert caplog.messages == [
        f"saved connection {cid} (github, scopes read:org,repo)",
        f"refreshed connection {cid}",
        f"connection {cid} needs reconnecting: the provider refused its refresh token",
        f"removed connection {cid}",
    ]
    assert CANARY not in " ".join(caplog.messages)


def test_a_refresh_in_flight_holds_up_only_its_own_connection(
    home: CharterHome, keys: KeySet, github: ScriptedGitHub
) -> None:
    at_provider, other_done = threading.Event(), threading.Event()
    waited: list[bool] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        # Mona's refresh stays at the provider, holding her lock, until hubot's token was read.
        at_provider.set()
        waited.append(other_done.wait(timeout=10))
        return github.handle(request)

    vault = _vault(home, keys, token_endpoint, Clock())
    mona = _connect(vault, expires_at=T0)
    hubot = _connect(vault, expires_at=None, account="hubot")
    refreshing = threading.Thread(target=vault.access_token, args=(mona,))
    refreshing.start()
    assert at_provider.wait(timeout=10)
    assert vault.access_token(hubot) == f"ghu_{CANARY}_start"
    other_done.set()
    refreshing.join()
    assert waited == [True]
