"""Notifiers: a paused call reaches a signed webhook with a link, never the payload; reminders come due."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from waiting import PATIENCE

from charter.agents.notifiers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Notice,
    NotifierConfig,
    WebhookNotifier,
    due_reminders,
    sign,
    verify_signature,
)
from charter.sandboxes.server import SandboxServer
from charter.schemas import utcnow

if TYPE_CHECKING:
    from conftest import Env

SECRET = b"webhook-shared-secret-0123456789"
PAYLOAD_CANARY = "CANARY-the-body-of-the-mail-0451"


class Receiver:
    """A chat tool's incoming webhook on loopback: it keeps what verifies, and counts what does not."""

    def __init__(self) -> None:
        self.verified: queue.Queue[dict[str, str]] = queue.Queue()
        self.refused = 0
        self.raw: list[bytes] = []

        async def hook(request: Request) -> Response:
            body = await request.body()
            self.raw.append(body)
            stamp = request.headers.get(TIMESTAMP_HEADER, "")
            if not verify_signature(SECRET, stamp, body, request.headers.get(SIGNATURE_HEADER, "")):
                self.refused += 1
                return Response("bad signature", 401)
            self.verified.put(json.loads(body))
            return Response(status_code=204)

        self.server = SandboxServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.server.start()
    yield r
    r.server.stop()


def configure(home: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_TEST_WEBHOOK_SECRET", SECRET.decode())
    config = {
        "link": "http://localhost:8770/approvals",
        "webhooks": [{"url": receiver.server.url + "/hook", "secret_env": "CHARTER_TEST_WEBHOOK_SECRET"}],
    }
    (home / "notifiers.yaml").write_text(yaml.safe_dump(config))


def test_a_paused_call_reaches_the_webhook_signed_with_a_link_and_no_payload(
    env: Env, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(env.home.path, receiver, monkeypatch)
    kit = env.toolkit(env.grant().token)
    paused = kit.call("notes_post_note", {"repo": "acme/web", "text": PAYLOAD_CANARY})
    assert paused.approval is not None
    got = receiver.verified.get(timeout=PATIENCE)
    assert got["approval_id"] == paused.approval.approval_id
    assert got["link"] == "http://localhost:8770/approvals"
    assert got["tool"] == "notes_post_note"
    assert PAYLOAD_CANARY not in json.dumps(got)
    assert all(PAYLOAD_CANARY.encode() not in raw for raw in receiver.raw)
    # Asking again for the same call is the same approval: the person is not told twice.
    again = kit.call("notes_post_note", {"repo": "acme/web", "text": PAYLOAD_CANARY})
    assert again.approval is not None
    assert again.approval.approval_id == paused.approval.approval_id
    assert receiver.verified.empty()


def test_a_broken_webhook_never_fails_the_agents_call(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_TEST_WEBHOOK_SECRET", "x")
    dead = {"webhooks": [{"url": "http://127.0.0.1:9/hook", "secret_env": "CHARTER_TEST_WEBHOOK_SECRET"}]}
    (env.home.path / "notifiers.yaml").write_text(yaml.safe_dump(dead))
    paused = env.toolkit(env.grant().token).call("notes_post_note", {"repo": "acme/web", "text": "hi"})
    assert paused.status == "approval_required"


def test_the_receiver_refuses_a_forged_altered_or_replayed_notice(receiver: Receiver) -> None:
    import httpx

    notice = Notice("waiting", "apr_1", "bot", "notes_post_note", utcnow(), "http://localhost:1/approvals")
    WebhookNotifier(receiver.server.url + "/hook", SECRET).send(notice)  # the control: ours verifies
    assert receiver.verified.get(timeout=PATIENCE)["approval_id"] == "apr_1"
    before = receiver.refused
    body = json.dumps(notice.body(), sort_keys=True).encode()
    stamp = str(int(utcnow().timestamp()))
    url = receiver.server.url + "/hook"
    forged = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(b"another key", stamp, body)}
    altered = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, stamp, body)}
    old = str(int(utcnow().timestamp()) - 3600)
    replayed = {TIMESTAMP_HEADER: old, SIGNATURE_HEADER: sign(SECRET, old, body)}
    assert httpx.post(url, content=body, headers=forged).status_code == 401
    assert httpx.post(url, content=body.replace(b"apr_1", b"apr_2"), headers=altered).status_code == 401
    assert httpx.post(url, content=body, headers=replayed).status_code == 401
    assert httpx.post(url, content=body, headers={}).status_code == 401
    assert receiver.refused == before + 4


def test_a_webhook_without_its_secret_is_a_configuration_error(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARTER_NO_SUCH_SECRET", raising=False)
    (env.home.path / "notifiers.yaml").write_text(
        yaml.safe_dump({"webhooks": [{"url": "http://127.0.0.1:9/", "secret_env": "CHARTER_NO_SUCH_SECRET"}]})
    )
    from charter.schemas import ConfigurationError

    with pytest.raises(ConfigurationError, match="CHARTER_NO_SUCH_SECRET"):
        NotifierConfig.for_home(env.home).notifiers(env.home)


def test_reminders_are_due_every_interval_while_the_request_waits(env: Env) -> None:
    grant = env.grant()
    store = env.toolkit(grant.token)._approvals
    request = store.create(
        grant_id=grant.id,
        agent="bot",
        subject="mona",
        tool="notes_post_note",
        args={},
        preview="p",
        reasons=[],
    )
    asked = request.created_at
    every = timedelta(minutes=30)
    assert due_reminders([request], every, {}, now=asked + timedelta(minutes=29)) == []
    assert due_reminders([request], every, {}, now=asked + timedelta(minutes=30)) == [request]
    last = {request.id: asked + timedelta(minutes=30)}
    assert due_reminders([request], every, last, now=asked + timedelta(minutes=45)) == []
    assert due_reminders([request], timedelta(0), {}, now=asked + timedelta(days=1)) == []
