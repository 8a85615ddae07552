"""A passkey approval runs only if its stored signed answer verifies for exactly that approval.

The attacker writes the database directly (an approved row naming the registered passkey id) with no
answer, a made-up one, one signed by another key, or a genuine one copied from another approval;
each is refused with `PasskeyProofRefused` and nothing is written. The control: the genuine answer runs.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from soft_passkey import SoftPasskey, b64
from test_rates import _label

from charter.agents.approvals import PASSKEY_ID_CHARS, VERIFIED_BY
from charter.agents.passkey_proof import PasskeyProofRefused, approval_challenge, check_answer
from charter.agents.person import PasskeyStore
from charter.auth.policy import Policy
from charter.schemas import ValidationError


@pytest.fixture
def setup(env: Any) -> tuple[Any, Any, SoftPasskey]:
    passkey = SoftPasskey()
    PasskeyStore(env.home).add(passkey.credential_id, passkey.public_key(), 0, "test key")
    env.clock.now = datetime.now(UTC) + timedelta(minutes=1)  # decisions come after the registration
    env.policy = Policy.from_dict({"bulk": {"writes": 1, "batch": 1}})
    kit = env.toolkit(env.grant().token)
    assert _label(kit, 0).status == "ok"
    return env, kit, passkey


def _paused(kit: Any, n: int) -> Any:
    result = _label(kit, n)
    assert result.status == "approval_required"
    return result.approval


def _genuine(env: Any, passkey: SoftPasskey, approval_id: str) -> str:
    request = env.approvals.get(approval_id)
    return passkey.answer(approval_challenge(os.urandom(16), request.id, request.payload_hash))


def _forge(env: Any, passkey: SoftPasskey, approval_id: str, answer: str | None) -> None:
    """What a process writing the database can do: approve, naming the passkey, with `answer`."""
    verified_by = f"passkey:{passkey.credential_id}"
    env.approvals.approve(approval_id, by="mona", verified_by=verified_by, passkey_answer=answer)


def test_the_genuine_answer_runs_and_is_kept_with_the_decision(setup: Any) -> None:
    env, kit, passkey = setup
    paused = _paused(kit, 1)
    answer = _genuine(env, passkey, paused.approval_id)
    _forge(env, passkey, paused.approval_id, answer)
    assert env.approvals.passkey_answer(paused.approval_id) == answer
    assert kit.resume(paused.approval_id).ok
    assert len(env.service.writes) == 2


def _refused_at_resume(env: Any, kit: Any, approval_id: str) -> str:
    writes = len(env.service.writes)
    result = kit.resume(approval_id)
    assert not result.ok
    assert result.error is not None
    assert len(env.service.writes) == writes  # nothing ran
    assert result.error["error"] == "grant_denied"
    assert result.error["details"]["reason"] == "passkey_proof_invalid"
    return str(result.error["message"])


def test_a_forged_row_naming_the_passkey_without_a_valid_answer_runs_nothing(setup: Any) -> None:
    env, kit, passkey = setup
    other_key = SoftPasskey(credential_id=passkey.credential_id)  # same id, not the person's key
    first = _paused(kit, 1)
    genuine_for_first = _genuine(env, passkey, first.approval_id)
    real = json.loads(genuine_for_first)
    made_up = json.dumps({**real, "response": {**real["response"], "signature": b64(os.urandom(70))}})
    forged = {
        "no answer": None,
        "unreadable": "{not json",
        "made-up signature": made_up,
        "another key": _genuine(env, other_key, first.approval_id),
        "replayed from another approval": genuine_for_first,
    }
    for n, (what, answer) in enumerate(forged.items(), start=2):
        paused = _paused(kit, n)
        _forge(env, passkey, paused.approval_id, answer)
        message = _refused_at_resume(env, kit, paused.approval_id)
        assert "signed answer" in message, what
    # The control: the answer made for the first approval still runs it.
    _forge(env, passkey, first.approval_id, genuine_for_first)
    assert kit.resume(first.approval_id).ok


def test_an_answer_for_another_payload_or_origin_is_a_typed_refusal(setup: Any) -> None:
    env, kit, passkey = setup
    paused = _paused(kit, 1)
    request = env.approvals.get(paused.approval_id)
    stored = PasskeyStore(env.home).get(passkey.credential_id)
    assert stored is not None
    cases = {
        "other payload": passkey.answer(approval_challenge(os.urandom(16), request.id, "0" * 64)),
        "other origin": passkey.answer(
            approval_challenge(os.urandom(16), request.id, request.payload_hash), origin="http://evil.example"
        ),
        "unbound challenge": passkey.answer(os.urandom(48)),
    }
    for what, answer in cases.items():
        with pytest.raises(PasskeyProofRefused) as refused:
            check_answer(stored, request, answer)
        assert refused.value.details["reason"] == "passkey_proof_invalid", what
    check_answer(stored, request, _genuine(env, passkey, request.id))  # the control


def test_a_credential_id_longer_than_a_decision_can_name_is_refused_at_registration(env: Any) -> None:
    store = PasskeyStore(env.home)
    longest, over = "k" * PASSKEY_ID_CHARS, "k" * (PASSKEY_ID_CHARS + 1)
    with pytest.raises(ValidationError, match="Register another passkey"):
        store.add(over, "pk", 0, "too long")
    assert not store.any()
    # The longest id kept is one every decision made with it can name, in the column that holds it.
    store.add(longest, "pk", 0, "longest")
    assert VERIFIED_BY.fullmatch(f"passkey:{longest}")
    assert len(f"passkey:{longest}") == 255
    assert not VERIFIED_BY.fullmatch(f"passkey:{over}")
