"""The header Charter adds to mail an agent writes, naming the agent and the grant it acted under."""

from __future__ import annotations

import hashlib
import re

from charter.connectors.base import Attribution

AGENT_HEADER = "X-Charter-Agent"
_UNSAFE = re.compile(r"[^A-Za-z0-9._:/+=@-]")


def _clean(value: str) -> str:
    # A header value must stay on one line and keep the `; grant=` structure readable.
    return _UNSAFE.sub("_", value)[:200]


def agent_header(attribution: Attribution) -> str:
    """`triage-bot; grant=grt_…`: the value of X-Charter-Agent."""
    return f"{_clean(attribution.agent)}; grant={_clean(attribution.grant_id)}"


def charter_headers(attribution: Attribution | None) -> dict[str, str]:
    """The headers to add to a message: the attribution, when an agent acts."""
    return {AGENT_HEADER: agent_header(attribution)} if attribution is not None else {}


def write_message_id(connection: str, key: str, account: str) -> str:
    """The Message-ID of mail sent directly under idempotency key `key`: a lost send can be found.

    Gmail search finds it (`rfc822msgid:`) among drafts with only the compose scope.
    """
    digest = hashlib.sha256(f"charter-mail\x00{connection}\x00{key}".encode()).hexdigest()[:40]
    domain = _clean(account.rpartition("@")[2]) or "charter.invalid"
    return f"<charter.{digest}@{domain}>"
