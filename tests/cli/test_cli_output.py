"""How the CLI writes times left: what a person reads next to a grant or an approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from charter.cli.output import until

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(hours=8) - timedelta(milliseconds=30), "in 8h"),  # issued for 8h, read a moment later
        (timedelta(hours=24) - timedelta(seconds=1), "in 1d"),
        (timedelta(hours=1), "in 1h"),
        (timedelta(minutes=59, seconds=30), "in 59m 30s"),
        (timedelta(hours=7, minutes=30), "in 7h 30m"),
        (timedelta(days=1, hours=4, minutes=10), "in 1d 4h"),
        (timedelta(days=1, minutes=5), "in 1d"),
        (timedelta(seconds=0.4), "in 1s"),
        (timedelta(0), "expired"),
        (-timedelta(hours=1), "expired"),
    ],
)
def test_time_left_reads_as_the_person_set_it(left: timedelta, shown: str) -> None:
    assert until(NOW + left, NOW) == shown
