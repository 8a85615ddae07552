"""The SQL draft store and write ledger: they outlive the process and keep the first result."""

from __future__ import annotations

import pytest

from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
from charter.auth.home import CharterHome
from charter.schemas import Draft, NotFound, WriteResult, payload_hash


def _draft() -> Draft:
    change = {"repo": "acme/web", "text": "hi"}
    return Draft(
        id="drf_1",
        connector="notes",
        connection="notes-mona",
        action="post_note",
        change=change,
        payload_hash=payload_hash("post_note", change),
        preview="acme/web: hi",
        location="store",
    )


def test_draft_survives_a_new_store_and_is_marked_committed(home: CharterHome) -> None:
    draft = _draft()
    SQLDraftStore(home).save(draft)
    store = SQLDraftStore(CharterHome(home.path, database_url=home.database_url))
    assert store.get("drf_1") == draft
    store.mark_committed("drf_1")
    loaded = store.get("drf_1")
    assert loaded is not None
    assert loaded.committed
    assert store.get("drf_missing") is None
    with pytest.raises(NotFound):
        store.mark_committed("drf_missing")


def test_saving_a_draft_again_updates_it(home: CharterHome) -> None:
    store = SQLDraftStore(home)
    store.save(_draft())
    store.save(_draft().model_copy(update={"url": "https://notes.test/d/1"}))
    loaded = store.get("drf_1")
    assert loaded is not None
    assert loaded.url == "https://notes.test/d/1"


def test_ledger_keeps_the_first_result_for_a_key(home: CharterHome) -> None:
    ledger = SQLWriteLedger(home)
    first = WriteResult(action="post_note", id="1", idempotency_key="k")
    ledger.put("k", first)
    SQLWriteLedger(home).put("k", WriteResult(action="post_note", id="2", idempotency_key="k"))
    assert SQLWriteLedger(home).get("k") == first
    assert ledger.get("other") is None
