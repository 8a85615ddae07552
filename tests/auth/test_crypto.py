"""AES-GCM key set: sealing, binding to a row, key ids for rotation, key sources and their permissions."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from charter.auth.crypto import (
    KeySet,
    add_key_to_file,
    drop_keys_from_file,
    generate_key,
    load_keys,
)
from charter.schemas import ConfigurationError

AAD = b"github-mona-1a2b/access_token"


def test_sealed_value_opens_with_the_same_key_and_row() -> None:
    keys = KeySet.parse(generate_key(), source="test")
    sealed = keys.encrypt("ghu_secret", AAD)
    assert "ghu_secret" not in sealed
    assert keys.decrypt(sealed, AAD) == "ghu_secret"


def test_each_encryption_uses_a_fresh_nonce() -> None:
    keys = KeySet.parse(generate_key(), source="test")
    assert keys.encrypt("same", AAD) != keys.encrypt("same", AAD)


def test_a_value_moved_to_another_row_does_not_open() -> None:
    keys = KeySet.parse(generate_key(), source="test")
    sealed = keys.encrypt("ghu_secret", AAD)
    with pytest.raises(ConfigurationError, match="does not open"):
        keys.decrypt(sealed, b"github-hubot-9f9f/access_token")


def test_newest_key_encrypts_and_older_keys_still_decrypt() -> None:
    old_key, new_key = generate_key(), generate_key()
    sealed_old = KeySet.parse(f"old:{old_key}", source="test").encrypt("v", AAD)
    both = KeySet.parse(f"new:{new_key},old:{old_key}", source="test")
    assert both.primary == "new"
    assert both.key_id(both.encrypt("v", AAD)) == "new"
    assert both.decrypt(sealed_old, AAD) == "v"


def test_a_value_sealed_by_an_unknown_key_names_the_missing_key() -> None:
    sealed = KeySet.parse(f"gone:{generate_key()}", source="test").encrypt("v", AAD)
    with pytest.raises(ConfigurationError, match=r"'gone'.*restore that key"):
        KeySet.parse(f"new:{generate_key()}", source="$CHARTER_KEY").decrypt(sealed, AAD)


def test_a_replaced_key_with_the_same_id_gives_a_clear_error() -> None:
    sealed = KeySet.parse(f"k1:{generate_key()}", source="test").encrypt("v", AAD)
    with pytest.raises(ConfigurationError, match="key was replaced"):
        KeySet.parse(f"k1:{generate_key()}", source="test").decrypt(sealed, AAD)


@pytest.mark.parametrize("bad", ["k1:short", "k1:!!!notbase64!!!", ","])
def test_malformed_charter_key_is_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="CHARTER_KEY"):
        load_keys(Path("/nonexistent/vault.key"), {"CHARTER_KEY": bad})


def test_charter_key_takes_precedence_over_the_key_file(tmp_path: Path) -> None:
    keys = load_keys(tmp_path / "vault.key", {"CHARTER_KEY": f"envkey:{generate_key()}"})
    assert keys.kids == ("envkey",)
    assert not (tmp_path / "vault.key").exists()


def test_generated_key_file_is_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    first = load_keys(path, {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(path, {}).kids == first.kids


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    load_keys(path, {})
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_keys(path, {})


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    found: list[tuple[str, ...]] = []
    threads = [threading.Thread(target=lambda: found.append(load_keys(path, {}).kids)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1


def test_a_new_key_in_the_file_becomes_primary_and_old_ones_can_be_dropped(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    old = load_keys(path, {})
    sealed = old.encrypt("v", AAD)
    kid = add_key_to_file(path)
    rotated = load_keys(path, {})
    assert rotated.primary == kid
    assert rotated.decrypt(sealed, AAD) == "v"
    drop_keys_from_file(path, {kid})
    assert load_keys(path, {}).kids == (kid,)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ConfigurationError, match="refusing"):
        drop_keys_from_file(path, set())


def test_key_set_repr_shows_ids_not_keys() -> None:
    key = generate_key()
    assert key not in repr(KeySet.parse(f"k1:{key}", source="test"))
