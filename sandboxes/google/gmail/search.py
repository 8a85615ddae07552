"""A subset of Gmail's search syntax for messages.list `q`.

Supported: terms joined by AND, `OR` and `{a b}` alternatives; from:, to:, cc:, bcc:, subject:,
label:, in: (inbox, sent, drafts, trash, spam, starred, anywhere), is: (unread, read, starred,
important), has:attachment, filename:, newer_than: and older_than: (d, m, y), after: and before:
(YYYY/MM/DD or epoch seconds), rfc822msgid:, quoted phrases, free words, and `-` to negate any of
them. Unknown operators are searched as words, as Gmail does. Spam and trash are left out unless the
query names them or asks for `in:anywhere`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import UTC, datetime

from charter.sandboxes.google.gmail.state import Mailbox, StoredMessage

Predicate = Callable[[StoredMessage], bool]
_UNITS = {"d": 86_400, "m": 30 * 86_400, "y": 365 * 86_400, "h": 3_600}


def _tokens(query: str) -> list[str]:
    lexer = shlex.shlex(query, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return query.split()


def _contains(haystack: str, needle: str) -> bool:
    return needle.lower() in haystack.lower()


def _date_ms(value: str) -> int | None:
    if value.isdigit():
        return int(value) * 1000
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return int(datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp() * 1000)
        except ValueError:
            continue
    return None


def _age_ms(value: str) -> int | None:
    found = re.fullmatch(r"(\d+)([dmyh])", value.lower())
    return None if found is None else int(found[1]) * _UNITS[found[2]] * 1000


def _text(msg: StoredMessage) -> str:
    p = msg.parsed
    return " ".join(
        [p.header("Subject"), p.header("From"), p.header("To"), p.header("Cc"), p.text, *p.filenames]
    )


def _in(mailbox: Mailbox, where: str) -> Predicate:
    where = where.lower()
    if where == "anywhere":
        return lambda m: True
    label = {"drafts": "DRAFT", "draft": "DRAFT", "chats": "CHAT"}.get(where, where.upper())
    return lambda m: label in m.label_ids


def _is(what: str) -> Predicate:
    what = what.lower()
    if what == "read":
        return lambda m: "UNREAD" not in m.label_ids
    return lambda m: what.upper() in m.label_ids


def _label(mailbox: Mailbox, name: str) -> Predicate:
    label = mailbox.label_by_name(name)
    if label is None:
        return lambda m: False
    return lambda m: label.id in m.label_ids


def _operator(mailbox: Mailbox, key: str, value: str, now_ms: int) -> Predicate | None:
    headers = {"from": ("From",), "to": ("To", "Cc", "Bcc"), "cc": ("Cc",), "bcc": ("Bcc",)}
    if key in headers:
        names = headers[key]
        return lambda m: any(_contains(m.header(h), value) for h in names)
    if key == "subject":
        return lambda m: _contains(m.header("Subject"), value)
    if key == "label":
        return _label(mailbox, value)
    if key == "in":
        return _in(mailbox, value)
    if key == "is":
        return _is(value)
    if key == "has" and value.lower() == "attachment":
        return lambda m: bool(m.parsed.filenames)
    if key == "filename":
        return lambda m: any(_contains(f, value) for f in m.parsed.filenames)
    if key == "rfc822msgid":
        return lambda m: value.strip("<>") == m.header("Message-ID").strip("<>")
    if key in ("after", "before", "newer", "older") and (ms := _date_ms(value)) is not None:
        return (
            (lambda m: m.internal_date >= ms)
            if key in ("after", "newer")
            else (lambda m: m.internal_date < ms)
        )
    if key in ("newer_than", "older_than") and (age := _age_ms(value)) is not None:
        cutoff = now_ms - age
        return (
            (lambda m: m.internal_date >= cutoff)
            if key == "newer_than"
            else (lambda m: m.internal_date < cutoff)
        )
    return None


def _word(word: str) -> Predicate:
    return lambda m: _contains(_text(m), word)


def _negated(predicate: Predicate) -> Predicate:
    return lambda m: not predicate(m)


def _term(mailbox: Mailbox, token: str, now_ms: int) -> tuple[Predicate, bool]:
    """One search term as a predicate, and whether it reaches spam or trash."""
    negate = token.startswith("-") and len(token) > 1
    term = token[1:] if negate else token
    key, sep, value = term.partition(":")
    predicate = _operator(mailbox, key.lower(), value, now_ms) if sep and value else None
    hidden = predicate is not None and key.lower() == "in" and value.lower() in ("trash", "spam", "anywhere")
    if predicate is None:
        predicate = _word(term)
    return (_negated(predicate) if negate else predicate), hidden


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda m: first(m) or second(m)


def compile_query(mailbox: Mailbox, query: str, now_ms: int) -> tuple[list[Predicate], bool]:
    """(predicates every message must pass, whether the query itself reaches spam or trash).

    Terms are joined by AND; `OR` (and a `{…}` group) binds its neighbours into one alternative.
    """
    predicates: list[Predicate] = []
    reaches_hidden = join_next = in_group = False
    for token in _tokens(query.replace("{", " { ").replace("}", " } ")):
        if token == "{":
            predicates.append(lambda m: False)
            in_group = join_next = True
            continue
        if token == "}":
            in_group = join_next = False
            continue
        if token == "OR":
            join_next = bool(predicates)
            continue
        predicate, hidden = _term(mailbox, token, now_ms)
        reaches_hidden = reaches_hidden or hidden
        if join_next:
            predicates[-1] = _either(predicates[-1], predicate)
        else:
            predicates.append(predicate)
        join_next = in_group
    return predicates, reaches_hidden


def search(
    mailbox: Mailbox, query: str, label_ids: list[str], include_spam_trash: bool, now_ms: int
) -> list[StoredMessage]:
    """Messages matching the query and carrying every label in `label_ids`, newest first."""
    predicates, reaches_hidden = compile_query(mailbox, query, now_ms)
    hidden = not (include_spam_trash or reaches_hidden or {"SPAM", "TRASH"} & set(label_ids))
    found = [
        m
        for m in mailbox.messages.values()
        if not (hidden and {"SPAM", "TRASH"} & set(m.label_ids))
        and all(lb in m.label_ids for lb in label_ids)
        and all(p(m) for p in predicates)
    ]
    return sorted(found, key=lambda m: (m.internal_date, m.id), reverse=True)
