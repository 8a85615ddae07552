"""A Toolkit given a malformed grant token answers a typed denial, for every call, and audits it."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-1] + "\udcff", id="lone-surrogate"),
        pytest.param(lambda t: t + "=", id="padding"),
        pytest.param(lambda t: t + "\u00e9", id="non-ascii"),
        pytest.param(lambda t: "chg_." + t.split(".")[1], id="empty-claims"),
        pytest.param(lambda t: t + "A" * 100_000, id="huge"),
    ],
)
def test_a_malformed_token_is_a_typed_denial_with_one_audit_entry(env: Any, mangle: Any) -> None:
    kit = env.toolkit(mangle(env.grant().token))
    before = env.audit_lines()
    result = kit.call("notes_list_notes", {"repo": "acme/web"})
    assert result.status == "error"
    assert result.error is not None
    assert (result.error["error"], result.error["details"]["reason"]) == ("grant_denied", "malformed")
    assert env.audit_lines() == before + 1
    assert env.service.requests == []


def test_the_token_as_issued_works(env: Any) -> None:
    # Control: the same call with the token unchanged reads the notes.
    assert env.toolkit(env.grant().token).call("notes_list_notes", {"repo": "acme/web"}).status == "ok"
