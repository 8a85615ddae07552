"""Checks that read a write's arguments and the grant's reads: recipients, taint, secrets, links.

They can only tighten the grant-and-policy decision: a deny or an approval here stands even where a
rule or the grant would otherwise allow the call. Taint, the secret scan and the link check look
at every write, whatever its risks: a comment or an internal mail can leak as well as a forward.
A quote of text read from the very object the write goes to (a reply that quotes its thread) is
not a leak, and links to hosts the grant read about are not new channels.
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import Any

from pydantic import BaseModel

from charter.agents.links import Link, links
from charter.agents.taint import TaintHit, TaintTracker
from charter.agents.taintstore import TaintStore
from charter.agents.untrusted import Quote
from charter.auth.policy import ActionFacts, Decision, Policy, combine
from charter.connectors.base import recipient_fields

# Values the service issued (ids, shas, etags) are passed back as they were read, never secrets.
_ISSUED = re.compile(r"(?:^|[._])(?:id|ids|sha|etag|cursor|number)$")


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


def _texts(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [] if _ISSUED.search(path) else [(path or "arguments", value)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list | tuple):
        return [t for i, v in enumerate(value) for t in _texts(v, f"{path}.{i}" if path else str(i))]
    return []


def _places(data: dict[str, Any]) -> set[str]:
    """The objects a write goes to, named as read sources name them (`acme/web#12`, a message id)."""
    named = {str(v) for v in data.values() if isinstance(v, str | int) and not isinstance(v, bool)}
    if data.get("repo") and data.get("number"):
        named.add(f"{data['repo']}#{data['number']}")
    return named


def _elsewhere(hit: TaintHit, places: set[str]) -> TaintHit | None:
    """`hit`, unless the text is in the object written to already (a reply quoting its thread)."""
    back = any(s.rsplit(" ", 1)[-1] in places for s in hit.sources)
    return None if back else hit


def _approval(reasons: list[str]) -> Decision:
    if not reasons:
        return Decision("allow", ("no read text, secret or new link goes out",))
    return Decision("approval_required", tuple(f"approval required because {r}" for r in reasons))


class SessionGuards:
    """The recipient, taint, secret and link checks of one Toolkit session."""

    def __init__(self, policy: Policy, store: TaintStore | None = None) -> None:
        self._policy = policy
        self._store = store
        self._trackers: dict[str, TaintTracker] = {}

    @property
    def taint(self) -> TaintTracker:
        """The tracker of a Toolkit used without a grant id (tests, a single session)."""
        return self.tracker(None)

    def tracker(self, grant_id: str | None) -> TaintTracker:
        """The taint of `grant_id`, loaded from the home's database the first time."""
        key = grant_id or ""
        if key not in self._trackers:
            self._trackers[key] = TaintTracker(
                quote_words=self._policy.taint.quote_words,
                token_chars=self._policy.taint.token_chars,
                store=self._store,
                grant_id=grant_id,
            )
        return self._trackers[key]

    def record_read(self, quotes: list[Quote], grant_id: str | None = None) -> None:
        """Remember the texts a read returned, so later writes that carry them are recognised."""
        self.tracker(grant_id).record(quotes)

    def check(
        self, tool: str, spec: ActionFacts, request: BaseModel, account: str, grant_id: str | None = None
    ) -> Decision:
        """Recipient rules, taint, secrets and new links for one write (including a draft's commit)."""
        if spec.verb != "write":
            return Decision("allow", (f"{tool} is not a write",))
        recipients = self._policy.check_recipients(tool, addresses(request), own_domain(account))
        tracker = self.tracker(grant_id)
        data = request.model_dump(mode="json")
        texts = _texts(data)
        hits, pieces = tracker.inspect(dict(texts))
        places = _places(data)
        tainted = [h.reason() for hit in hits if (h := _elsewhere(hit, places)) is not None]
        reasons = tainted + _secrets(texts) + _new_links(tracker, texts, own_domain(account))
        if not reasons:
            tracker.went_out(pieces)
        return combine(recipients, _approval(reasons))


def _secrets(texts: list[tuple[str, str]]) -> list[str]:
    # Imported at the first write: detect-secrets' plugins cost a read-only session's start for nothing.
    from charter.agents.secretscan import secret_kinds

    found: list[str] = []
    for field, text in texts:
        kinds = secret_kinds(text)
        if kinds:
            found.append(f"the {field} carries what looks like a secret ({', '.join(kinds)})")
    return found


def _new_links(tracker: TaintTracker, texts: list[tuple[str, str]], domain: str | None) -> list[str]:
    found: list[str] = []
    for field, text in texts:
        named = [link for link in links(text) if link.host != domain]
        unseen = set(tracker.unseen_hosts(link.host for link in named))
        shown = [link for link in named if link.host in unseen or link.warnings]
        if shown:
            hosts = ", ".join(dict.fromkeys(_host_line(link, link.host in unseen) for link in shown))
            found.append(f"the {field} links to {hosts}")
    return found


def _host_line(link: Link, unseen: bool) -> str:
    notes = [*(["a host nothing read here mentions"] if unseen else []), *link.warnings]
    if link.carries_data:
        notes.append("its query carries data")
    return f"{link.host} ({'; '.join(notes)})"


__all__ = ["SessionGuards", "addresses", "own_domain"]
