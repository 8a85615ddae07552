"""Grant tokens have one spelling: every other string, however close, is refused as a typed denial."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.auth.grants import GrantAuthority, IssuedGrant
from charter.auth.home import CharterHome
from charter.schemas import GrantDenied

B64URL = string.ascii_letters + string.digits + "-_"


@pytest.fixture
def authority(home: CharterHome) -> GrantAuthority:
    return GrantAuthority(home)


@pytest.fixture
def issued(authority: GrantAuthority) -> IssuedGrant:
    return authority.issue("mona", "triage-bot", ("github-mona",), ("read",), constraints={"repos": "acme/*"})


def _reason(token: object, authority: GrantAuthority) -> str:
    with pytest.raises(GrantDenied) as exc:
        authority.verify(token)  # type: ignore[arg-type]
    assert exc.value.code == "grant_denied"
    return str(exc.value.details["reason"])


def _same_bytes_other_spelling(part: str) -> str:
    """`part` with the spare low bits of its last character set: different text, same bytes."""
    spare = {2: 4, 3: 2}[len(part) % 4]  # bits of the last character that carry no data
    last = B64URL.index(part[-1]) if part[-1] in B64URL else 0
    for bits in range(1, 1 << spare):
        other = part[:-1] + B64URL[last | bits]
        if other != part:
            return other
    raise AssertionError("no spare bits")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_issued_spelling_verifies(authority: GrantAuthority, issued: IssuedGrant) -> None:
    # Control: everything refused below is refused for its spelling, not because the token is bad.
    assert authority.verify(issued.token) == issued.claims


def test_signature_with_spare_bits_set_is_malformed(authority: GrantAuthority, issued: IssuedGrant) -> None:
    body, signature = issued.token.split(".")
    other = _same_bytes_other_spelling(signature)
    assert _b64(other) == _b64(signature)  # the attack: the same signature bytes, spelled otherwise
    assert _reason(f"{body}.{other}", authority) == "malformed"


def test_claims_with_spare_bits_set_are_malformed(authority: GrantAuthority) -> None:
    # Claims whose encoding ends mid-quantum, so their last character has spare bits to set.
    tokens = (authority.issue("mona" + "a" * n, "bot", ("github-mona",), ("read",)).token for n in range(4))
    body, signature = next(t for t in tokens if len(t.split(".")[0].removeprefix("chg_")) % 4).split(".")
    claims = body.removeprefix("chg_")
    other = _same_bytes_other_spelling(claims)
    assert _b64(other) == _b64(claims)
    assert _reason(f"chg_{other}.{signature}", authority) == "malformed"


@pytest.mark.parametrize("padding", ["=", "==", "===="])
def test_padding_is_malformed(authority: GrantAuthority, issued: IssuedGrant, padding: str) -> None:
    body, signature = issued.token.split(".")
    assert _reason(f"{body}.{signature}{padding}", authority) == "malformed"
    assert _reason(f"{body}{padding}.{signature}", authority) == "malformed"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-1] + "\udcff", id="lone-surrogate"),
        pytest.param(lambda t: "\ud800" + t, id="lone-surrogate-first"),
        pytest.param(lambda t: t.replace("a", "\u0430", 1), id="cyrillic-look-alike"),
        pytest.param(lambda t: t + "é", id="non-ascii"),
        pytest.param(lambda t: t.replace(".", "\x00", 1) + ".x", id="nul"),
        pytest.param(lambda t: t.split(".")[0] + ".", id="empty-signature"),
        pytest.param(lambda t: "chg_." + t.split(".")[1], id="empty-claims"),
        pytest.param(lambda t: "chg_.", id="both-empty"),
        pytest.param(lambda t: t + "." + t.split(".")[1], id="three-parts"),
        pytest.param(lambda t: t.split(".")[0] + "." + t.split(".")[1][:-4], id="short-signature"),
        pytest.param(lambda t: t + "A" * 20, id="long-signature"),
        pytest.param(lambda t: t.split(".")[0] + ".+/" + t.split(".")[1][2:], id="standard-alphabet"),
        pytest.param(lambda t: t.split(".")[0] + "." + "A" * 2_000_000, id="huge"),
        pytest.param(lambda t: " " + t, id="leading-space"),
        pytest.param(lambda t: t.upper(), id="upper-case"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: None, id="none"),
        pytest.param(lambda t: t.encode(), id="bytes"),
    ],
)
def test_malformed_tokens_are_typed_denials(authority: GrantAuthority, issued: IssuedGrant, mangle) -> None:  # type: ignore[no-untyped-def]
    assert _reason(mangle(issued.token), authority) in {"malformed", "forged"}


def test_non_canonical_spellings_never_count_as_forged(
    authority: GrantAuthority, issued: IssuedGrant
) -> None:
    # Encoding problems are `malformed`: `forged` is kept for a well-formed token with a bad signature.
    body, signature = issued.token.split(".")
    for token in (f"{body}.{signature}=", f"{body}.{signature}\udcff", f"{body}.{signature[:-1]}é"):
        assert _reason(token, authority) == "malformed"
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert _reason(f"{body}.{flipped}", authority) == "forged"


_ODD = ["=", ".", "+", "/", " ", "\x00", "é", "\u0430", "\udcff", "\ud800", "💥"]
_EDIT_CHARS = st.sampled_from([*B64URL, *_ODD])


@st.composite
def mutations(draw: st.DrawFn, token: str) -> str:
    """`token` after a few edits: replace, insert or delete characters anywhere."""
    text = list(token)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        if kind == "insert" or at == len(text):
            text.insert(at, draw(_EDIT_CHARS))
        elif kind == "replace":
            text[at] = draw(_EDIT_CHARS)
        else:
            del text[at]
    return "".join(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_other_string_is_refused_with_a_typed_reason(
    authority: GrantAuthority, issued: IssuedGrant, data: st.DataObject
) -> None:
    mutated = data.draw(mutations(issued.token))
    if mutated == issued.token:
        assert authority.verify(mutated) == issued.claims
        return
    # Whatever the edit, never an untyped exception and never a second accepted spelling.
    assert _reason(mutated, authority) in {"malformed", "forged"}
