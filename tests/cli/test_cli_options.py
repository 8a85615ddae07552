"""Command-line values: comma lists, durations and constraints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.cli.options import format_duration, parse_constraints, parse_duration, split_csv
from charter.cli.output import UsageProblem, error_line, one_line
from charter.schemas import GrantDenied


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("8h", timedelta(hours=8)), ("1h30m", timedelta(minutes=90)),
     ("2d", timedelta(days=2)), ("1w", timedelta(weeks=1)), (" 1h 5m ", timedelta(minutes=65))],
)  # fmt: skip
def test_durations_read_as_a_person_writes_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "8", "h", "8 hours", "-1h", "0m", "1.5h"])
def test_unreadable_durations_are_refused(text: str) -> None:
    with pytest.raises(UsageProblem):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_a_formatted_duration_reads_back_the_same(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


def test_constraints_merge_repeated_names_and_comma_lists() -> None:
    assert parse_constraints(["repos=acme/web", "repos=acme/api,acme/web", "labels=bug"]) == {
        "repos": ["acme/web", "acme/api"],
        "labels": ["bug"],
    }


@pytest.mark.parametrize("raw", ["repos", "=acme/web", "repos=", "repos=,"])
def test_malformed_constraints_are_refused(raw: str) -> None:
    with pytest.raises(UsageProblem, match="name=value"):
        parse_constraints([raw])


def test_comma_lists_drop_blanks_and_duplicates_keeping_order() -> None:
    assert split_csv(["read, draft", "draft,,write", " "]) == ["read", "draft", "write"]
    assert split_csv(None) == []


def test_an_error_line_is_one_line_and_hides_secret_looking_text() -> None:
    exc = GrantDenied("refused\n  token chg_abc.def was\tmalformed")
    line = error_line(exc)
    assert line == "error[grant_denied]: refused token [redacted] was malformed"
    assert one_line("a\nb") == "a b"
