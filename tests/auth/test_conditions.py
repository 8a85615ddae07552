"""The condition language: parsing, typing against request models, evaluation, time windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from charter.auth.conditions import CallContext, Condition, PolicyInvalid, parse_conditions, within_hours


class Attachment(BaseModel):
    name: str
    size: int


class Mail(BaseModel):
    to: list[str]
    cc: list[str] = []
    subject: str | None = None
    body: str = ""
    scope: Literal["organization", "anonymous"] = "organization"
    labels: list[str] = []
    size: int | None = None
    attachment: Attachment | None = None
    urgent: bool = False


CONTEXT = CallContext(agent="triage-bot/sub-1", grant_id="g1", now=datetime(2026, 12, 3, 10, tzinfo=UTC))


def holds(text: str, request: BaseModel, context: CallContext = CONTEXT) -> bool:
    condition = Condition.parse(text)
    condition.check("mail_send", type(request))
    return condition.holds(request, context)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len(to) > 5", False),
        ("len(to) + len(cc) > 5", True),
        ("size > 10MB", True),
        ("size > 11MB", False),
        ('labels contains "triage"', True),
        ('labels contains "bug"', False),
        ('subject startswith "Re:"', True),
        ('lower(subject) endswith "plan"', True),
        ('scope in ["anonymous"]', False),
        ('scope not in ["anonymous"]', True),
        ('scope == "organization" and not urgent', True),
        ("attachment.size >= 1KB or urgent", True),
        ("size(body) > 3", True),
        ('grant.agent startswith "triage-bot/"', True),
        ("grant.depth == 1", True),
        ('grant.id == "g1"', True),
        ("subject != null", True),
    ],
)
def test_condition_reads_the_arguments_and_the_grant(text: str, expected: bool) -> None:
    mail = Mail(
        to=["a@x.test", "b@x.test", "c@x.test"],
        cc=["d@x.test", "e@x.test", "f@x.test"],
        subject="Re: the plan",
        body="four",
        labels=["triage"],
        size=10 * 1024 * 1024 + 1,
        attachment=Attachment(name="a.pdf", size=2048),
    )
    assert holds(text, mail) is expected


def test_a_missing_optional_value_satisfies_no_comparison() -> None:
    mail = Mail(to=["a@x.test"])
    assert holds("size > 0", mail) is False
    assert holds("size < 0", mail) is False
    assert holds("attachment.size > 0", mail) is False
    assert holds("size == null", mail) is True


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("len(too) > 5", "has no field `too`"),
        ("to > 5", "compares numbers"),
        ('size > "big"', "compares numbers"),
        ('scope == "public"', "never a value of this field"),
        ("labels contains 3", "never equal"),
        ("urgent == 1", "never equal"),
        ("len(urgent) > 1", "does not apply"),
        ("attachment.colour == 1", "has no field `colour`"),
        ("len(to)", "not a condition"),
        ('hours("mon-fri 9-18", "UTC")', "not a window"),
        ('hours("mon-fri 09:00-18:00", "Mars/Olympus")', "not a time zone"),
        ('grant.name == "x"', "has no field `name`"),
        ("urgent and len(to)", "joins conditions"),
        ("body == null", "never null"),
    ],
)
def test_a_condition_of_the_wrong_type_is_refused_with_the_reason(text: str, reason: str) -> None:
    condition = Condition.parse(text)
    with pytest.raises(PolicyInvalid, match=reason):
        condition.check("mail_send", Mail)


@pytest.mark.parametrize(
    "text", ["", "len(to) >", "to ==", "(urgent", "foo(to) > 1", "urgent urgent", "§", "[to]"]
)
def test_a_condition_that_does_not_parse_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="does not parse"):
        parse_conditions(text)


def test_a_huge_condition_is_refused_before_parsing() -> None:
    with pytest.raises(ValueError, match="at most"):
        parse_conditions("urgent or " * 500 + "urgent")


@pytest.mark.parametrize(
    "text", ["(" * 900 + "urgent" + ")" * 900, "not " * 400 + "urgent", "(not " * 300 + "urgent" + ")" * 300]
)
def test_deep_nesting_is_refused_as_syntax_not_a_crash(text: str) -> None:
    with pytest.raises(ValueError, match="nests deeper than 32"):
        parse_conditions(text)
    # Control: nesting within the bound parses and holds.
    assert Condition.parse("(" * 30 + "urgent" + ")" * 30).holds(Mail(to=[], urgent=True), CONTEXT)


@given(st.text(max_size=80))
def test_any_text_parses_or_is_refused_as_syntax(text: str) -> None:
    try:
        conditions = parse_conditions(text)
    except ValueError:
        return
    for condition in conditions:
        try:
            condition.check("mail_send", Mail)
        except PolicyInvalid:
            continue
        assert condition.holds(Mail(to=["a@x.test"]), CONTEXT) in (True, False)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 12, 3, 7, 59, tzinfo=UTC), False),  # Thursday 08:59 in Paris
        (datetime(2026, 12, 3, 8, 0, tzinfo=UTC), True),  # 09:00 in Paris
        (datetime(2026, 12, 3, 16, 59, tzinfo=UTC), True),
        (datetime(2026, 12, 3, 17, 0, tzinfo=UTC), False),  # 18:00 in Paris
        (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2026, 7, 2, 7, 30, tzinfo=UTC), True),  # 09:30 in Paris in summer time
    ],
)
def test_working_hours_are_read_on_the_clocks_of_the_zone(moment: datetime, inside: bool) -> None:
    assert within_hours("mon-fri 09:00-18:00", "Europe/Paris", moment) is inside


def test_a_window_may_cross_midnight_and_the_week() -> None:
    saturday_late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert within_hours("fri-mon 22:00-06:00", "UTC", saturday_late)
    assert not within_hours("mon-fri 22:00-06:00", "UTC", saturday_late)
