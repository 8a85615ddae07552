"""The Calendar connector passes the contract suite against the Google sandbox."""

from charter.contract_tests import contract_suite
from charter.contract_tests.harnesses.calendar import CalendarHarness

TestCalendarContract = contract_suite(CalendarHarness)


def test_fidelity_reports_an_event_that_breaks_the_discovery_schema() -> None:
    from charter.sandboxes import Exchange

    harness = CalendarHarness()
    harness.start()
    try:
        harness.reset()
        log = harness.sandbox.requests
        bad = b'{"kind": "calendar#event", "id": "e1", "attendees": "everyone"}'
        path = "/calendar/v3/calendars/primary/events/e1"
        log.add(Exchange(log.next_seq(), 0.0, "GET", path, "", {}, b"", 200, {}, bad))
        problems = harness.fidelity_problems()
        assert problems
        assert all(p.startswith(f"GET {path} -> 200") for p in problems)
    finally:
        harness.stop()
