"""The grant-claim rules of `charter.auth.attenuation`, pinned where mutation testing found them loose.

Each test names the boundary it holds: the glob's one-character cut, a budget equal to what the
parent has left, an expiry equal to the parent's, the order in which axes are judged, and the
messages a person reads when a grant is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from charter.auth.attenuation import (
    MAX_AGENT_CHAIN,
    attenuation_problem,
    check_agent_name,
    check_agent_pattern,
    check_constraints,
    check_patterns,
    check_verbs,
    child_agent,
    covered,
    covers,
    matches,
    matches_agent,
)
from charter.schemas import GrantClaims, ValidationError

NOW = datetime(2026, 1, 1, tzinfo=UTC)
END = NOW + timedelta(hours=1)


def claims(**fields: object) -> GrantClaims:
    base: dict[str, object] = {
        "id": "g1",
        "subject": "mona",
        "agent": "bot",
        "connections": ("c1",),
        "verbs": ("read", "draft"),
        "issued_at": NOW,
        "expires_at": NOW + timedelta(hours=1),
    }
    return GrantClaims.model_validate(base | fields)


def child(**fields: object) -> GrantClaims:
    """Claims of a sub-agent of `bot`: a child is always named under its parent."""
    return claims(**({"agent": "bot/sub"} | fields))


# -- patterns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("acme/*", "acme/web", True),
        ("acme/*", "acme/", True),
        ("acme/*", "acme", False),  # the cut removes the `*` only, not the `/` before it
        ("acme/*", "acmex/web", False),
        ("*", "anything", True),
        ("acme/web", "acme/web", True),
        ("acme/web", "acme/web2", False),
        ("acme/web", "acme/we", False),
        ("acme/web*", "acme/web-2", True),
        ("acme/web*", "acme/we", False),
    ],
)
def test_a_trailing_star_matches_any_suffix_and_nothing_shorter(
    pattern: str, value: str, expected: bool
) -> None:
    assert matches(pattern, value) is expected


def test_a_parent_glob_covers_a_narrower_child_glob_but_not_a_wider_one() -> None:
    assert covers("acme/*", "acme/web*")
    assert not covers("acme/web*", "acme/*")
    assert covered(["acme/web", "mona/*"], ["acme/web", "mona/notes", "acme/api", "mona*"]) == [
        "acme/api",
        "mona*",
    ]
    assert covered((p for p in ["acme/*"]), ["acme/a", "acme/b"]) == []  # a one-shot iterable, used per child


def test_patterns_are_returned_as_given_when_valid() -> None:
    assert check_patterns("repos", ["acme/*", "mona/notes"]) == ("acme/*", "mona/notes")
    assert check_patterns("actions", ["github_get_issue"], globs=False) == ("github_get_issue",)


@pytest.mark.parametrize("bad", ["", 3, None])
def test_an_empty_or_non_string_pattern_is_refused_naming_the_axis(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        check_patterns("repos", ["acme/web", bad])  # type: ignore[list-item]
    assert caught.value.message == "repos values must be non-empty strings"


def test_a_star_before_the_end_is_refused_saying_where_it_may_go() -> None:
    with pytest.raises(ValidationError) as caught:
        check_patterns("repos", ["ac*me/web"])
    assert caught.value.message == "repos value 'ac*me/web': `*` is allowed only as the last character"
    with pytest.raises(ValidationError):
        check_patterns("repos", ["**"])


def test_a_star_is_refused_anywhere_when_the_axis_takes_no_globs() -> None:
    with pytest.raises(ValidationError) as caught:
        check_patterns("destructive", ["github_*"], globs=False)
    assert caught.value.message == (
        "destructive value 'github_*': `*` is allowed nowhere (name each one explicitly)"
    )


# -- constraints and verbs --------------------------------------------------------------------


def test_a_bare_string_constraint_counts_as_one_value() -> None:
    assert check_constraints({"repos": "acme/web"}) == {"repos": ("acme/web",)}
    assert check_constraints({"repos": ["acme/*", "mona/notes"], "labels": ("bug",)}) == {
        "repos": ("acme/*", "mona/notes"),
        "labels": ("bug",),
    }


def test_an_empty_constraint_is_refused_saying_what_to_do() -> None:
    with pytest.raises(ValidationError) as caught:
        check_constraints({"repos": []})
    assert caught.value.message == "constraint 'repos' has no values; drop it or name what is allowed"


def test_a_constraint_value_is_checked_under_the_constraints_name() -> None:
    with pytest.raises(ValidationError) as caught:
        check_constraints({"repos": ["a*b"]})
    assert caught.value.message.startswith("constraint 'repos' value 'a*b': ")


def test_verbs_come_back_in_canonical_order_without_repeats() -> None:
    assert check_verbs(["write", "read", "read"]) == ("read", "write")
    assert check_verbs(iter(["draft"])) == ("draft",)


@pytest.mark.parametrize("verbs", [[], ["read", "delete"]])
def test_no_verbs_or_an_unknown_verb_is_refused_listing_the_known_ones(verbs: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        check_verbs(verbs)
    assert caught.value.message == (
        f"verbs must be a non-empty subset of ('read', 'draft', 'write'); got {sorted(set(verbs))}"
    )


# -- attenuation ------------------------------------------------------------------------------


def test_an_identical_child_is_no_wider() -> None:
    parent = claims(actions=("github_*",), destructive=("github_merge",), constraints={"repos": ("acme/*",)})
    assert attenuation_problem(parent, child(**parent.model_dump(exclude={"agent"})), None) is None


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        ({"connections": ("c1", "c2")}, ("connections", "connections ['c2'] are not in the parent grant")),
        ({"verbs": ("read", "write")}, ("verbs", "verbs ['write'] are not in the parent grant")),
        (
            {"actions": None},
            ("actions", "the parent lists its allowed actions; the child must list a subset"),
        ),
        (
            {"actions": ("gmail_send",)},
            ("actions", "actions ['gmail_send'] are not allowed by the parent grant"),
        ),
        (
            {"destructive": ("github_merge", "gmail_trash")},
            ("destructive", "destructive actions ['gmail_trash'] are not named by the parent grant"),
        ),
        ({"constraints": {}}, ("constraints", "constraint 'repos' of the parent cannot be dropped")),
        (
            {"constraints": {"repos": ("acme/web", "mona/x")}},
            ("constraints", "constraint 'repos': values ['mona/x'] are outside the parent's ['acme/*']"),
        ),
        (
            {"expires_at": NOW + timedelta(hours=1, seconds=1)},
            (
                "expiry",
                f"expiry: the child may not outlive its parent (expires {END.isoformat()})",
            ),
        ),
    ],
)
def test_each_wider_axis_is_named_with_what_is_extra(
    child: dict[str, object], expected: tuple[str, str]
) -> None:
    parent = claims(actions=("github_*",), destructive=("github_merge",), constraints={"repos": ("acme/*",)})
    narrow = {
        "actions": ("github_get_issue",),
        "destructive": ("github_merge",),
        "constraints": {"repos": ("acme/web",)},
    }
    assert attenuation_problem(parent, claims(**({"agent": "bot/sub"} | narrow | child)), None) == expected


def test_the_first_wider_axis_is_the_one_reported() -> None:
    parent = claims()
    wider = child(connections=("c1", "c9"), verbs=("read", "write"), expires_at=NOW + timedelta(days=9))
    assert attenuation_problem(parent, wider, None) == (
        "connections",
        "connections ['c9'] are not in the parent grant",
    )


def test_a_parent_without_an_action_list_lets_the_child_list_any() -> None:
    assert attenuation_problem(claims(), child(actions=("github_get_issue",)), None) is None


def test_a_child_may_add_constraints_the_parent_does_not_have() -> None:
    assert attenuation_problem(claims(), child(constraints={"repos": ("acme/web",)}), None) is None


def test_the_budget_may_equal_but_not_exceed_what_the_parent_has_left() -> None:
    message = ("budget", "the budget may be at most the parent's remaining 3 calls")
    assert attenuation_problem(claims(budget=10), child(budget=3), 3) is None
    assert attenuation_problem(claims(budget=10), child(budget=4), 3) == message
    assert attenuation_problem(claims(budget=10), child(budget=None), 3) == message
    assert attenuation_problem(claims(budget=10), child(budget=0), 0) is None
    assert attenuation_problem(claims(), child(budget=None), None) is None


def test_the_child_may_expire_with_its_parent_but_not_after() -> None:
    parent = claims()
    assert attenuation_problem(parent, child(expires_at=parent.expires_at), None) is None
    assert (
        attenuation_problem(parent, child(expires_at=parent.expires_at - timedelta(seconds=1)), None) is None
    )


# -- agent names, chains and the policy's agent patterns -------------------------------------------

NAME_RULE = (
    "must be 1-64 ASCII letters, digits or . _ @ + -, starting with a letter or digit, with no `/` or `*`"
)


def test_a_bad_root_agent_name_is_refused_saying_what_a_name_is() -> None:
    with pytest.raises(ValidationError) as exc:
        check_agent_name("triage/bot")
    assert exc.value.message == f"an agent name {NAME_RULE}; got 'triage/bot'"


def test_a_bad_sub_agent_name_is_refused_saying_it_is_named_under_its_parent() -> None:
    with pytest.raises(ValidationError) as exc:
        child_agent("triage-bot", "triage-bot/sub-1")
    assert exc.value.message == (
        f"a sub-agent's name {NAME_RULE} (it is named under its parent: parent/NAME, so give NAME "
        "only); got 'triage-bot/sub-1'"
    )
    assert child_agent("triage-bot", None) == "triage-bot/sub"


def test_a_chain_may_be_as_long_as_the_table_keeps_and_no_longer() -> None:
    parent = "/".join(["a" * 63] * 3) + "/" + "b" * 61  # 253 characters
    assert len(child_agent(parent, "c")) == MAX_AGENT_CHAIN
    with pytest.raises(ValidationError) as exc:
        child_agent(parent, "cd")
    longer = f"{parent}/cd"
    assert exc.value.message == (
        f"the sub-agent chain {longer[:60]!r}… is longer than {MAX_AGENT_CHAIN} characters"
    )


def test_a_child_named_outside_its_parent_is_refused_on_the_agent_axis() -> None:
    assert attenuation_problem(claims(), child(agent="other/sub"), None) == (
        "agent",
        "a sub-agent is named under its parent 'bot', not 'other/sub'",
    )


@pytest.mark.parametrize(
    "pattern", ["*", "triage-*", "triage-bot/*", "triage-bot/**", "triage-bot/sub-1/**", "*/**", "a/b*/c"]
)
def test_agent_patterns_of_names_prefixes_and_a_last_double_star_are_accepted(pattern: str) -> None:
    assert check_agent_pattern(pattern) == pattern


@pytest.mark.parametrize("pattern", ["**", "a/**/b", "a**", "", "a//b", "a/b/", "tri age"])
def test_other_agent_patterns_are_refused_saying_what_a_segment_is(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"agent pattern .*") as exc:
        check_agent_pattern(pattern)
    assert str(exc.value) == (
        f"agent pattern {pattern!r}: each `/` segment is a name, a name prefix ending in `*`, "
        "or (last, after a name) `**`"
    )


def test_a_double_star_after_two_names_matches_the_descendants_of_the_second() -> None:
    assert matches_agent("triage-bot/sub-1/**", "triage-bot/sub-1/x")
    assert matches_agent("triage-bot/sub-1/**", "triage-bot/sub-1/x/y")
    assert not matches_agent("triage-bot/sub-1/**", "triage-bot/sub-1")
    assert not matches_agent("triage-bot/sub-1/**", "triage-bot/sub-2/x")
