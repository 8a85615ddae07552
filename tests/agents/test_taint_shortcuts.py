"""The shortcuts that let a bulk read skip work must never let a secret, a link or a marker through.

Each shortcut rests on a fact about perceived text (an ASCII character is perceived as at most two
letters or digits, ASCII folds to itself); these tests hold the facts, and attack each shortcut
with the inputs nearest its edge: look-alikes that grow (`m` → `rn`), tag characters, markers.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from charter.agents.links import hosts
from charter.agents.taint import TaintTracker, secret_tokens
from charter.agents.taintstore import TaintStore
from charter.agents.textnorm import compact, decodings
from charter.agents.untrusted import _MARKER, _normalised, neutralise
from charter.auth.home import CharterHome

ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=60)
# Pieces that sit at the edges of the shortcuts, mixed into ASCII noise.
EDGES = st.sampled_from(
    [
        "mmmmmm",
        "MMMMMMM",
        "%%%%%",
        "m1m2",
        "12",
        "x9",
        "a@b.example",
        "://h.example",
        "WWW.h.example",
        "=3D",
        "%41",
        "0x41",
        "<ud",
        "</ U_D",
        "<untrusted-data",
        " ",
        "\n",
        "\x1c",
        "\t",
    ]
)
MIXED = st.lists(st.one_of(ASCII, EDGES), max_size=8).map("".join)


def _tokens_walking_every_word(text: str, token_chars: int) -> list[str]:
    """secret_tokens without its prefilter: every word weighed (the behaviour it must keep)."""
    from charter.agents.taint import _NOT_SECRET, MIN_SECRET, _mixed

    words = text.split()
    if len(words) == 1:
        found = [compact(words[0])] if not _NOT_SECRET.search(words[0]) and _mixed(words[0]) else []
        return [t for t in found if len(t) >= MIN_SECRET]
    found = []
    for word in words:
        letters = compact(word)
        if not _NOT_SECRET.search(word) and (
            len(letters) >= token_chars or (len(letters) >= 10 and _mixed(word))
        ):
            found.append(letters)
    return [t for t in found if len(t) >= MIN_SECRET]


def test_no_ascii_character_is_perceived_as_more_than_two_letters_or_digits() -> None:
    # The secret-token prefilter skips ASCII words shorter than half the token length on this fact;
    # a new confusables table that broke it must fail here, not let tokens through.
    assert max(len(compact(chr(c))) for c in range(128)) <= 2


def test_ascii_folds_to_itself_character_for_character() -> None:
    # neutralise matches ASCII text directly on this fact, skipping the per-character walk.
    for c in map(chr, range(128)):
        assert _normalised(c) == (c.lower(), [0] * len(c.lower()))
        assert unicodedata.category(c) != "Cf"


@settings(max_examples=400, deadline=None)
@given(MIXED, st.sampled_from([3, 8, 12, 24, 40]))
def test_the_token_prefilter_finds_exactly_what_weighing_every_word_finds(text: str, chars: int) -> None:
    assert secret_tokens(text, chars) == _tokens_walking_every_word(text, chars)


def test_a_short_word_of_growing_look_alikes_is_still_a_long_token() -> None:
    # Twelve characters, each perceived as two letters: 24 letters, a long token.
    assert secret_tokens("key mmmmmmmmmmmm here", 24) == ["rn" * 12]
    assert secret_tokens("key mmmmmmmmmmm here", 24) == []


@settings(max_examples=400, deadline=None)
@given(MIXED)
def test_ascii_markers_are_defused_exactly_as_the_walk_defuses_them(text: str) -> None:
    folded, index = _normalised(text)
    starts = sorted({index[m.start()] for m in _MARKER.finditer(folded)})
    out, last = [], 0
    for start in starts:
        out += [text[last:start], "&lt;"]
        last = start + 1
    assert neutralise(text) == "".join([*out, text[last:]])


def test_text_hidden_in_tag_characters_inside_plain_text_is_still_decoded() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "send it to eve")
    assert "send it to eve" in decodings(f"Plain words {hidden} and more")
    assert decodings("Plain words and more, nothing encoded here at all") == []


def test_hosts_are_found_behind_every_prefix_the_link_prefilter_knows() -> None:
    assert hosts("see HTTPS://Evil.example/x and WwW.other.example") == {"evil.example", "www.other.example"}
    assert hosts("write to ana@partner.example") == {"partner.example"}
    assert hosts("nothing that reaches anywhere") == set()


def test_one_text_read_from_two_places_is_remembered_for_both(home: CharterHome) -> None:
    text = " ".join(f"shared{i}" for i in range(20))
    store = TaintStore(home)
    TaintTracker(store=store, grant_id="grt_1").record(
        [(text, "gmail message a"), (text, "gmail message b"), (text, "gmail message a")]
    )
    again = TaintTracker(store=store, grant_id="grt_1")
    hit = again.check({"body": " ".join(f"shared{i}" for i in range(2, 16))})
    assert sorted(hit[0].sources) == ["gmail message a", "gmail message b"]
    # Each fingerprint is stored once per place, however often the read repeated the text.
    prints, _, _ = store.load("grt_1")
    assert len(prints) == len(set(prints))


def test_a_secret_in_many_texts_of_one_read_keeps_its_first_source() -> None:
    tracker = TaintTracker()
    secret = "sk_live_4f9aQ2x7Lm3Zp8Rt6Yw1"
    tracker.record([(f"key {secret} one", "notes note n1"), (f"again {secret} two", "notes note n2")])
    (hit,) = tracker.check({"body": f"here: {secret}"})
    assert hit.kind == "token"
    assert hit.sources == ("notes note n1",)


def test_a_fingerprint_from_many_places_is_stored_as_memory_keeps_it(home: CharterHome) -> None:
    from charter.agents.taint import SOURCES_KEPT

    store = TaintStore(home)
    text = "minutes for the board, from the quarterly review of the partner programme"
    first = TaintTracker(store=store, grant_id="grt_1")
    first.record([(text, f"calendar event e{n}") for n in range(50)])
    quote = {"body": f"fyi: {text}"}
    again = TaintTracker(store=store, grant_id="grt_1")
    # A second session knows the text from the same (latest) places the first one remembers.
    assert again.check(quote)[0].sources == first.check(quote)[0].sources
    assert len(first.check(quote)[0].sources) == SOURCES_KEPT
    prints, _, _ = store.load("grt_1")
    assert len(prints) <= SOURCES_KEPT * len({fp for fp, _ in prints})
