"""One token per call: the pinned token follows a refresh made inside the call."""

from __future__ import annotations

from charter.connectors.credentials import PinnedCredentials


class Rotating:
    """Credentials whose every refresh hands out a new token, counting them."""

    connection_id, account, granted_scopes = "c1", "mona", frozenset({"repo"})

    def __init__(self) -> None:
        self.current, self.refreshes = "t0", 0

    def access_token(self) -> str:
        return self.current

    def refresh(self, rejected: str) -> str:
        if rejected == self.current:
            self.refreshes += 1
            self.current = f"t{self.refreshes}"
        return self.current


def test_a_refresh_inside_a_call_is_what_the_call_sends_next() -> None:
    inner = Rotating()
    pinned = PinnedCredentials(inner)
    with pinned.pinned():
        sent = pinned.access_token()
        pinned.refresh(sent)  # what a connector does on a 401 it handles itself
        assert pinned.access_token() == "t1"
        pinned.refresh_rejected()  # a second 401 in the same call names the new token, not the old one
        assert pinned.access_token() == "t2"
    assert inner.refreshes == 2


def test_control_outside_a_call_nothing_is_pinned() -> None:
    inner = Rotating()
    pinned = PinnedCredentials(inner)
    assert pinned.access_token() == "t0"
    inner.current = "t9"  # another caller refreshed meanwhile
    assert pinned.access_token() == "t9"
