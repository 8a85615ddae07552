"""The whole contract suite fails on each negative-control connector, in the check about its fault.

The suite runs in a child pytest, as a connector author runs it, over the honest notes connector
and each deliberately wrong one; its JUnit report says which checks failed for which connector.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SUITES = {
    "TestHonest": "NotesHarness",
    "TestSendsTokenInBody": "SendsTokenInBodyHarness",
    "TestCachesTokenOnDisk": "CachesTokenOnDiskHarness",
    "TestHidesRefusals": "HidesRefusalsHarness",
    "TestPublishesOnDraft": "PublishesOnDraftHarness",
}
CANARY_TRAILS = "test_secret_canary_reaches_the_service_only_as_the_credential_and_no_file"
REFUSALS = "test_input_the_service_refuses_gives_a_typed_error_and_changes_nothing"
DRAFT_SEEN = "test_draft_leaves_nothing_another_user_can_see"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each suite's failed checks, by suite; the failure text of each."""
    tmp = tmp_path_factory.mktemp("negative")
    lines = [
        "from negative_connectors import *  # noqa: F403",
        "from charter_notes.testing import NotesHarness",
        "from charter.contract_tests import contract_suite",
        *(f"{suite} = contract_suite({harness})" for suite, harness in SUITES.items()),
    ]
    (tmp / "test_suites.py").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    env.pop("CHARTER_LIVE_NOTES_TOKEN", None)
    report = tmp / "report.xml"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    run = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert report.exists(), run.stdout + run.stderr
    failed: dict[str, dict[str, str]] = defaultdict(dict)
    seen = set()
    for case in ET.parse(report).iter("testcase"):
        suite, name = case.get("classname", "").rsplit(".", 1)[-1], case.get("name", "").split("[")[0]
        seen.add(suite)
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            failed[suite][name] = problem.get("message", "")
    assert seen == set(SUITES), f"suites that ran: {sorted(seen)}\n{run.stdout}{run.stderr}"
    return dict(failed)


def test_the_honest_notes_connector_passes_every_check(outcomes: dict[str, dict[str, str]]) -> None:
    assert outcomes.get("TestHonest", {}) == {}


def test_a_connector_sending_the_token_in_a_body_fails_the_canary_trail_check(
    outcomes: dict[str, dict[str, str]],
) -> None:
    failed = outcomes.get("TestSendsTokenInBody", {})
    assert set(failed) == {CANARY_TRAILS}, failed
    assert "sent the secret canary to the service in: " in failed[CANARY_TRAILS]
    assert "body of POST /notes;" in failed[CANARY_TRAILS]


def test_a_connector_caching_the_token_on_disk_fails_the_canary_trail_check(
    outcomes: dict[str, dict[str, str]],
) -> None:
    failed = outcomes.get("TestCachesTokenOnDisk", {})
    assert set(failed) == {CANARY_TRAILS}, failed
    assert "wrote the secret canary to: " in failed[CANARY_TRAILS]
    assert "notes-connector/last-token" in failed[CANARY_TRAILS]


def test_a_connector_hiding_the_services_refusal_fails_the_refused_input_check(
    outcomes: dict[str, dict[str, str]],
) -> None:
    failed = outcomes.get("TestHidesRefusals", {})
    assert set(failed) == {REFUSALS}, failed
    message = failed[REFUSALS]
    assert "get_note({'number': 999}): succeeded with Note" in message
    assert "create_note({'title': ' \\t '}): succeeded with WriteResult" in message


def test_a_connector_keeping_drafts_where_others_see_them_fails_the_others_view_check(
    outcomes: dict[str, dict[str, str]],
) -> None:
    # The older draft check allows a native draft its own keys; what another user sees allows none.
    failed = outcomes.get("TestPublishesOnDraft", {})
    assert set(failed) == {DRAFT_SEEN}, failed
    assert "draft_note: the draft left what another user of notes can see: ['note/" in failed[DRAFT_SEEN]
