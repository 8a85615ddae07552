"""Each decision keeps how the person was verified, in the approval and in its audit entry."""

from __future__ import annotations

import pytest

from charter.agents import ApprovalStore, AuditLog
from charter.auth.home import CharterHome
from charter.schemas import ValidationError


def held(store: ApprovalStore) -> str:
    return store.create(
        grant_id="grt_1",
        agent="bot",
        subject="mona",
        tool="notes_post_note",
        args={},
        preview="p",
        reasons=[],
    ).id


@pytest.mark.parametrize("how", ["passkey:AbC-_123", "cli:tty", "cli:no-tty", "console:session", "none"])
def test_the_verification_is_kept_with_the_decision_and_in_the_log(home: CharterHome, how: str) -> None:
    store = ApprovalStore(home)
    approval_id = held(store)
    assert store.get(approval_id).verified_by is None
    store.approve(approval_id, by="mona", verified_by=how)
    assert store.get(approval_id).verified_by == how
    assert [r.verified_by for r in store.list() if r.id == approval_id] == [how]
    entry = AuditLog(home).tail(1)[0]
    assert (entry.action, entry.verified_by) == ("approval.approve", how)
    assert AuditLog(home).verify().ok


@pytest.mark.parametrize("how", ["", "passkey:", "passkey:a b", "passkey:x\nforged", "cli:TTY", "person"])
def test_an_unknown_verification_is_refused_and_nothing_is_decided(home: CharterHome, how: str) -> None:
    store = ApprovalStore(home)
    approval_id = held(store)
    with pytest.raises(ValidationError):
        store.deny(approval_id, by="mona", verified_by=how)
    assert store.get(approval_id).status.value == "pending"


def test_entries_other_than_decisions_keep_their_shape(home: CharterHome) -> None:
    log = AuditLog(home)
    log.record(actor="agent", subject="mona", action="notes_list", outcome="ok")
    assert "verified_by" not in home.audit_file.read_text()
