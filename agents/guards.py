"""Checks that read a write's arguments and the session's reads: recipient rules and taint.

They can only tighten the grant-and-policy decision: a deny or an approval here stands even where a
rule or the grant would otherwise allow the call.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import Any

from pydantic import BaseModel

from charter.agents.taint import TaintTracker
from charter.agents.untrusted import Quote
from charter.auth.policy import ActionFacts, Decision, Policy, combine, taint_decision
from charter.connectors.base import recipient_fields


def _nested(value: Any) -> list[str]:
    """Address-like strings inside an attendee object or list of them."""
    if isinstance(value, str):
        return [value] if "@" in value else []
    if isinstance(value, dict):
        return [a for v in value.values() for a in _nested(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in _nested(v)]
    return []


def addresses(request: BaseModel) -> list[str]:
    """Every address the fields marked `recipient_field` of `request` reach (to, cc, bcc, attendees)."""
    found: list[str] = []
    for name in recipient_fields(type(request)):
        value = getattr(request, name)
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        items = value if isinstance(value, list | tuple | set | frozenset) else [value]
        for item in items:
            if isinstance(item, str):
                # "Eve <eve@evil.test>, bob@acme.com" → both addresses; a non-address stays as written.
                found += [a for _, a in getaddresses([item]) if a] or [item]
            else:
                dumped = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
                found += _nested(dumped)
    return found


def own_domain(account: str) -> str | None:
    """The domain of the connection's account (`mona@acme.com` → `acme.com`), if it has one."""
    domain = account.rpartition("@")[2].strip().lower()
    return domain if "@" in account and domain else None


class SessionGuards:
    """The recipient and taint checks of one Toolkit session."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self.taint = TaintTracker(quote_words=policy.taint.quote_words, token_chars=policy.taint.token_chars)

    def record_read(self, quotes: list[Quote]) -> None:
        """Remember the texts a read returned, so later writes that quote them are recognised."""
        self.taint.record(quotes)

    def check(self, tool: str, spec: ActionFacts, request: BaseModel, account: str) -> Decision:
        """Recipient rules and taint for one write (including a draft's commit)."""
        if spec.verb != "write":
            return Decision("allow", (f"{tool} is not a write",))
        recipients = self._policy.check_recipients(tool, addresses(request), own_domain(account))
        tainted = [hit.reason() for hit in self.taint.check(request)] if "external" in spec.risks else []
        return combine(recipients, taint_decision(tool, spec, tainted))


__all__ = ["SessionGuards", "addresses", "own_domain"]
