"""Many threads of one worker through a pool smaller than their number: every call finishes, none is lost."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

from charter.auth.storage import POOL_SIZE_ENV, close_engines

if TYPE_CHECKING:
    from conftest import Env

THREADS = 24


@pytest.fixture
def tight_env(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, database_url: str | None
) -> Env:
    """The Toolkit environment on a pool of one connection (plus one for bursts) per process."""
    monkeypatch.setenv(POOL_SIZE_ENV, "1")
    close_engines()
    env: Env = request.getfixturevalue("env")
    return env


def test_more_threads_than_pooled_connections_all_finish_their_calls(tight_env: Env) -> None:
    grant = tight_env.grant(budget=THREADS * 3)
    kit = tight_env.toolkit(grant.token)
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def agent() -> None:
        try:
            outcomes.append(kit.call("notes_list_notes", {"repo": "acme/web"}).ok)
            paused = kit.call("notes_post_note", {"repo": "acme/web", "text": f"t{threading.get_ident()}"})
            assert paused.approval is not None
            tight_env.approvals.approve(paused.approval.approval_id, by="mona")
            outcomes.append(kit.resume(paused.approval.approval_id).ok)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=agent) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert outcomes == [True] * (THREADS * 2)
    assert len(tight_env.service.writes) == THREADS
    assert tight_env.audit.verify().ok
    if tight_env.home.database_url is not None:
        assert tight_env.home.engine.pool.size() == 1  # type: ignore[attr-defined]
