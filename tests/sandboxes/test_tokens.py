"""Token lifetimes, rotation and revocation, independent of any provider."""

from __future__ import annotations

import pytest

from charter.sandboxes.clock import Clock
from charter.sandboxes.tokens import RefreshRejected, TokenFormat, TokenStore


@pytest.fixture
def store() -> TokenStore:
    return TokenStore(Clock(), TokenFormat(access_prefix="acc_", refresh_prefix="ref_", access_ttl=100))


def test_an_access_token_is_valid_until_its_expiry(store: TokenStore) -> None:
    issued = store.issue("mona", {"repo"}, "client")

    assert store.lookup(issued.access_token) is not None
    store.clock.advance(100)
    assert store.lookup(issued.access_token) is None


def test_rotation_is_single_use(store: TokenStore) -> None:
    issued = store.issue("mona", {"repo"}, "client")

    rotated = store.rotate(issued.refresh_token or "", "client")

    assert rotated.scopes == frozenset({"repo"})
    with pytest.raises(RefreshRejected, match="already used"):
        store.rotate(issued.refresh_token or "", "client")
    assert (store.refreshes, store.refresh_reuses) == (1, 1)


def test_a_refresh_token_belongs_to_its_client(store: TokenStore) -> None:
    issued = store.issue("mona", {"repo"}, "client")

    with pytest.raises(RefreshRejected):
        store.rotate(issued.refresh_token or "", "another-client")


def test_revoking_one_token_revokes_its_whole_family(store: TokenStore) -> None:
    issued = store.issue("mona", {"repo"}, "client")
    rotated = store.rotate(issued.refresh_token or "", "client")

    assert store.revoke(issued.access_token)

    assert store.lookup(rotated.access_token) is None
    with pytest.raises(RefreshRejected):
        store.rotate(rotated.refresh_token or "", "client")


def test_revoke_all_can_target_one_person(store: TokenStore) -> None:
    mona = store.issue("mona", {"repo"}, "client")
    hubot = store.issue("hubot", {"repo"}, "client")

    store.revoke_all("hubot")

    assert store.lookup(mona.access_token) is not None
    assert store.lookup(hubot.access_token) is None


def test_issued_tokens_hide_their_secrets_in_repr(store: TokenStore) -> None:
    issued = store.issue("mona", {"repo"}, "client")

    assert issued.access_token not in repr(issued)
    assert issued.refresh_token not in repr(issued)
    assert issued.access_token not in repr(store.lookup(issued.access_token))


def test_tokens_carry_the_provider_prefix(store: TokenStore) -> None:
    issued = store.issue("mona", set(), "client")

    assert issued.access_token.startswith("acc_")
    assert (issued.refresh_token or "").startswith("ref_")
    assert len(issued.access_token) == 4 + 36
