"""The audit log (`charter.auth.audit`), pinned where mutation testing found it loose.

Each test names the promise it holds, through the log's public API, its file and its table: the
digest a verifier can recompute, what an entry keeps and what it leaves out, the lines the next
append writes back (and those it never chains onto), what `verify` and `verify_against` report,
and the refusal of two copies of one home appending to one database at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select
from test_audit import _fill, _lines, _write
from test_audit_durable import _notes
from test_audit_group import _wait_until
from test_audit_tamper import _with_db
from waiting import PATIENCE

from charter.auth.audit import AuditLog, VerifyReport, _path_anchors, audit_chain_table, digest, entry_hash
from charter.auth.audit_sinks import FileSink
from charter.auth.home import CharterHome
from charter.auth.storage import create_tables, synced_engine
from charter.schemas import ConfigurationError


@pytest.fixture
def log(home: CharterHome) -> AuditLog:
    return AuditLog(home)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(log: AuditLog, **fields: Any) -> Any:
    return log.record(actor="person", subject="mona", action="approval.approve", outcome="ok", **fields)


# -- the arguments' digest: what a verifier recomputes from the arguments it holds -------------


def test_the_arguments_digest_is_sha256_over_their_canonical_json(log: AuditLog) -> None:
    args = {"repo": "acme/web", "labels": ["b", "a"], "n": 1, "é": "ü"}
    canonical = b'{"labels":["b","a"],"n":1,"repo":"acme/web","\\u00e9":"\\u00fc"}'
    assert digest(args) == _sha(canonical)
    assert _record(log, args=args).args_digest == _sha(canonical)
    assert digest({"n": 1, "repo": "acme/web"}) == digest({"repo": "acme/web", "n": 1})


def test_values_json_cannot_spell_are_digested_as_their_text(log: AuditLog) -> None:
    at = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    assert digest({"at": at}) == _sha(b'{"at":"2026-12-03 10:30:00+00:00"}')
    assert digest({"at": at}) != digest({"at": at.replace(minute=31)})


def test_a_value_that_is_not_json_at_all_is_still_recorded(log: AuditLog) -> None:
    cyclic_list: list[object] = []
    cyclic_list.append(cyclic_list)
    cyclic_dict: dict[str, object] = {}
    cyclic_dict["self"] = cyclic_dict
    assert _record(log, args=cyclic_list).args_digest == _sha(b"unserializable list")
    assert _record(log, args=cyclic_dict).args_digest == _sha(b"unserializable dict")
    assert log.verify().ok


def test_a_value_whose_text_fails_under_a_name_that_is_not_utf8_is_still_recorded(log: AuditLog) -> None:
    class Named(type):
        __name__ = property(lambda cls: "caf\udce9")  # type: ignore[assignment]

    class Unprintable(metaclass=Named):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    event = _record(log, args=Unprintable())
    assert event.args_digest == _sha(b"unserializable caf\\udce9")
    assert log.verify().ok


def test_an_entry_without_arguments_has_no_digest(log: AuditLog) -> None:
    assert _record(log).args_digest is None
    assert _record(log, args={}).args_digest == _sha(b"{}")
    assert [json.loads(line)["args_digest"] for line in _lines(log)] == [None, _sha(b"{}")]


# -- the chain's hash: checkable without Charter, by the recipe the module states ----------------


def test_an_entry_hash_is_sha256_over_the_previous_hash_and_the_canonical_entry() -> None:
    fields = {"seq": 1, "prev_hash": "ab" * 32, "reasons": ["café"]}
    body = '{"prev_hash":"' + "ab" * 32 + '","reasons":["café"],"seq":1}'
    assert entry_hash(fields) == _sha(("ab" * 32 + body).encode())


def test_every_line_hashes_by_that_recipe(log: AuditLog) -> None:
    _record(log, reasons=("approved by Zoë ✓",), agent="bot")
    _record(log, reasons=("plain",))
    prev = "0" * 64
    for line in _lines(log):
        data = json.loads(line)
        body = {k: v for k, v in data.items() if k != "hash"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert data["prev_hash"] == prev
        assert data["hash"] == _sha((prev + canonical).encode())
        prev = data["hash"]


# -- the chain's key in the database ---------------------------------------------------------------


def test_the_home_log_is_recorded_under_the_home_identity_and_another_file_apart(home: CharterHome) -> None:
    log = AuditLog(home)
    _fill(log, 2)
    other = AuditLog(home, path=home.path / "other.jsonl")
    assert _record(other).seq == 1  # its own chain, not the home log's
    with home.engine.connect() as conn:
        chains = conn.execute(select(audit_chain_table.c.chain, audit_chain_table.c.seq)).all()
    assert sorted(chains) == sorted(
        [(home.identity, 1), (home.identity, 2), (f"{home.identity}:other.jsonl", 1)]
    )
    assert (log.verify().entries, other.verify().entries) == (2, 1)


def test_rows_in_another_physical_order_still_verify_and_write_back_in_order(log: AuditLog) -> None:
    # A restored database need not keep the rows in the order they were written.
    _fill(log, 5)
    t = audit_chain_table
    with log.home.engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(t).where(t.c.chain == log.chain))]
        conn.execute(delete(t).where(t.c.chain == log.chain))
        for row in sorted(rows, key=lambda r: -r["seq"]):
            conn.execute(t.insert().values(**row))
    assert (log.verify().ok, log.verify().entries) == (True, 5)
    original = _lines(log)
    _write(log, original[:2])
    _fill(log, 1)
    assert _lines(log)[:5] == original
    assert log.verify().ok


def test_a_path_anchor_whose_file_is_damaged_is_not_carried_over(home: CharterHome) -> None:
    log = AuditLog(home)
    _fill(log, 3)
    head = json.loads(_lines(log)[-1])
    lines = _lines(log)
    _write(log, [lines[0], "not an entry", lines[2]])
    _path_anchors.create(home.engine)
    with home.engine.begin() as conn:
        conn.execute(delete(audit_chain_table))
        conn.execute(_path_anchors.insert().values(log=str(log.path), seq=3, hash=head["hash"]))
    reopened = AuditLog(home)  # opens: nothing to carry over
    report = reopened.verify()
    assert (report.ok, report.seq) == (False, 1)
    assert report.problem == "line 1: seq 1 is not in the database: it was written outside Charter"


# -- what an entry keeps -------------------------------------------------------------------------


def test_the_approver_and_result_are_kept_redacted(log: AuditLog) -> None:
    kept = _record(log, approver="mona", result_ref="github:acme/web#3")
    assert (kept.approver, kept.result_ref) == ("mona", "github:acme/web#3")
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    hidden = _record(log, approver=f"mona {secret}", result_ref=f"ref {secret}")
    assert (hidden.approver, hidden.result_ref) == ("mona [redacted]", "ref [redacted]")
    assert secret not in log.path.read_text()
    last = json.loads(_lines(log)[-1])
    assert (last["approver"], last["result_ref"]) == ("mona [redacted]", "ref [redacted]")


def test_the_duration_is_kept_to_the_microsecond(log: AuditLog) -> None:
    assert _record(log, duration_ms=12.3456789).duration_ms == 12.346
    assert json.loads(_lines(log)[-1])["duration_ms"] == 12.346
    assert _record(log, duration_ms=0.25).duration_ms == 0.25
    assert _record(log).duration_ms is None


def test_how_the_person_was_verified_is_kept_only_when_given(log: AuditLog) -> None:
    assert _record(log, verified_by="passkey:cred-1").verified_by == "passkey:cred-1"
    assert _record(log).verified_by is None
    first, second = (json.loads(line) for line in _lines(log))
    assert first["verified_by"] == "passkey:cred-1"
    assert "verified_by" not in second  # entries without one keep the shape (and hash) they always had
    assert [e.verified_by for e in log.entries()] == ["passkey:cred-1", None]
    assert log.verify().ok


# -- reading the end ----------------------------------------------------------------------------


def test_tail_reads_the_last_twenty_unless_told_and_one_when_asked(log: AuditLog) -> None:
    _fill(log, 25)
    assert [e.seq for e in log.tail()] == list(range(6, 26))
    assert [e.seq for e in log.tail(1)] == [25]


# -- lines the file lost come back with the next append ------------------------------------------


@pytest.mark.parametrize("kept", [0, 1], ids=["file-deleted", "one-line-left"])
def test_a_deleted_or_cut_file_is_written_back_whole(log: AuditLog, kept: int) -> None:
    _fill(log, 3)
    original = _lines(log)
    if kept:
        _write(log, original[:kept])
    else:
        log.path.unlink()
    _fill(log, 1)
    assert _lines(log)[:3] == original
    assert (log.verify().ok, log.verify().entries) == (True, 4)


def test_writing_back_says_where_and_how_many(log: AuditLog, caplog: pytest.LogCaptureFixture) -> None:
    _fill(log, 4)
    _write(log, _lines(log)[:2])
    with caplog.at_level(logging.WARNING, logger="charter.audit"):
        _fill(log, 1)
    assert f"audit log {log.path} lacked 2 recorded entries: written back" in caplog.messages


def test_written_back_entries_leave_through_the_sinks(home: CharterHome, tmp_path: Path) -> None:
    sink = tmp_path / "sink.jsonl"
    log = AuditLog(home, sinks=[FileSink(sink)])
    _fill(log, 3)
    # The crash came after the commit of seq 3, before its line was written or shipped.
    _write(log, _lines(log)[:2])
    sink.write_text("".join(line + "\n" for line in sink.read_text().splitlines()[:2]))

    _fill(log, 1)
    shipped = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [r["entry"]["seq"] for r in shipped] == [1, 2, 3, 4]
    assert {r["home"] for r in shipped} == {home.identity}
    assert [r["entry"] for r in shipped] == [json.loads(line) for line in _lines(log)]
    assert log.verify_against(sink).ok


def test_writing_back_takes_only_this_homes_entries(home: CharterHome, tmp_path: Path) -> None:
    # Two workers' homes on one database; the other home wrote first, so its rows come first.
    other = AuditLog(_with_db(home, tmp_path / "worker-2"))
    _fill(other, 3)
    log = AuditLog(_with_db(home, tmp_path / "worker-1"))
    _fill(log, 3)
    original = _lines(log)
    _write(log, original[:1])
    _fill(log, 1)
    assert _lines(log)[:3] == original
    assert (log.verify().ok, log.verify().entries) == (True, 4)
    assert (other.verify().ok, other.verify().entries) == (True, 3)


@pytest.mark.parametrize(
    "junk",
    ["not an entry", '{"seq":-1,"hash":"None"}'],
    ids=["not-json", "claims-seq-minus-one"],
)
def test_a_whole_line_written_by_hand_is_never_chained_onto_nor_written_after(
    log: AuditLog, junk: str, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(log, 3)
    original = _lines(log)
    _write(log, [*original, junk])
    with caplog.at_level(logging.WARNING, logger="charter.audit"):
        event = _record(log)
    # Nothing written back after the junk: exactly the one new entry, chained onto the recorded head.
    assert _lines(log) == [*original, junk, _lines(log)[-1]]
    assert (event.seq, event.prev_hash) == (4, json.loads(original[-1])["hash"])
    assert f"audit log {log.path} does not end at the recorded seq 3: see charter audit verify" in (
        caplog.messages
    )
    report = log.verify()
    assert (report.ok, report.seq) == (False, 4)
    assert report.problem == "line 4: not a valid audit entry (edited by hand?)"


# -- what verify reports: the first problem, where it is, and what it means ---------------------


def test_verify_names_the_line_the_seq_and_what_was_done(log: AuditLog) -> None:
    _fill(log, 4)
    lines = _lines(log)
    edited = lines[2].replace('"outcome":"ok"', '"outcome":"error"')
    _write(log, [*lines[:2], edited, lines[3]])
    assert log.verify() == VerifyReport(
        False, 2, "line 3: seq 3 was edited: its hash does not match its content", 3
    )


def test_verify_says_which_entry_does_not_follow_its_predecessor(log: AuditLog) -> None:
    _fill(log, 3)
    lines = _lines(log)
    data = json.loads(lines[1]) | {"prev_hash": "f" * 64}
    data.pop("hash")
    _write(log, [lines[0], json.dumps({**data, "hash": entry_hash(data)}), lines[2]])
    assert log.verify() == VerifyReport(
        False, 1, "line 2: seq 2 does not follow seq 1: an entry was deleted, inserted or reordered", 2
    )


def test_verify_says_where_a_cut_log_ends_and_what_the_next_append_does(log: AuditLog) -> None:
    _fill(log, 5)
    _write(log, _lines(log)[:3])
    assert log.verify() == VerifyReport(
        False,
        3,
        "the log ends at seq 3 but the database recorded seq 4 and on: entries at the end were deleted, "
        "or an append was cut short (the next one writes them back)",
        4,
    )


def test_the_repr_names_the_file(log: AuditLog) -> None:
    assert repr(log) == f"<AuditLog {str(log.path)!r}>"


# -- what verify_against reports ---------------------------------------------------------------


def _shipped_log(home: CharterHome, tmp_path: Path) -> tuple[AuditLog, Path]:
    sink = tmp_path / "sink.jsonl"
    log = AuditLog(home, sinks=[FileSink(sink)])
    _fill(log, 5)
    return log, sink


def test_verify_against_names_the_first_entry_that_left_and_is_gone(
    home: CharterHome, tmp_path: Path
) -> None:
    log, sink = _shipped_log(home, tmp_path)
    _write(log, _lines(log)[:3])
    assert log.verify_against(sink) == VerifyReport(
        False, 3, "seq 4 left the machine but the local log ends at seq 3: entries were deleted", 4
    )


def test_verify_against_reads_past_a_line_it_cannot_parse(home: CharterHome, tmp_path: Path) -> None:
    log, sink = _shipped_log(home, tmp_path)
    lines = _lines(log)
    _write(log, [lines[0], "not an entry", *lines[2:]])
    report = log.verify_against(sink)
    assert (report.ok, report.seq, report.entries) == (False, 2, 4)
    assert report.problem == "seq 2 left the machine but the local log lacks it: entries were deleted"


# -- two copies of one home appending to one database at once ------------------------------------


def test_two_copies_of_a_home_appending_at_once_are_refused_by_name(
    home: CharterHome, tmp_path: Path
) -> None:
    log = AuditLog(home)
    _fill(log, 3)
    copy = _with_db(home, tmp_path / "copy")
    (copy.path / "home.id").write_text((home.path / "home.id").read_text())
    twin = AuditLog(copy)
    assert twin.chain == log.chain  # control: the same home, so the same chain
    raced: list[int] = []
    started: list[bool] = []

    def twin_appends_first(conn: object, cursor: object, statement: str, *rest: object) -> None:
        # The twin commits the same seq between this log's read of the head and its insert.
        # Once only: on Postgres the twin shares this engine, and its own insert comes here too.
        if statement.startswith("INSERT INTO charter_audit_chain") and not started:
            started.append(True)
            raced.append(twin.record(actor="agent", subject="mona", action="x", outcome="ok").seq)

    # The audit commits on its own synced engine (on Postgres, the home's engine itself).
    audit_engine = synced_engine(log.home.engine)
    event.listen(audit_engine, "before_cursor_execute", twin_appends_first)
    try:
        with pytest.raises(ConfigurationError) as refused:
            _record(log)
    finally:
        event.remove(audit_engine, "before_cursor_execute", twin_appends_first)
    assert raced == [4]
    assert refused.value.code == "configuration_error"
    assert refused.value.message == (
        "another process appended seq 4 to this home's audit chain without its lock: two copies of "
        f"the home {home.identity} write to one database. Give each worker its own home (a new one "
        "gets a new identity), or let them share one home directory"
    )
    assert len(_lines(log)) == 3  # nothing half-written


# -- rows attached to the entries of one group ------------------------------------------------------


def test_each_entry_of_a_group_keeps_its_own_attached_row_whatever_its_neighbours_carry(
    home: CharterHome, caplog: pytest.LogCaptureFixture
) -> None:
    create_tables(_notes.metadata, home.engine)
    log = AuditLog(home, sinks=[])
    entered, release = threading.Event(), threading.Event()

    def held(entry: Any) -> Any:
        # The first commit waits here, so the entries recorded meanwhile commit as one group.
        entered.set()
        assert release.wait(PATIENCE)
        return _notes.insert(), {"seq": entry.seq, "note": "first"}

    def broken(entry: Any) -> Any:
        raise RuntimeError("no key")

    def note(entry: Any) -> Any:
        return _notes.insert(), {"seq": entry.seq, "note": "last"}

    made: dict[str, Any] = {}

    def record(name: str, attach: Any) -> threading.Thread:
        def run() -> None:
            made[name] = log.record(actor="agent", subject="mona", action=name, outcome="ok", attach=attach)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    threads = [record("first", held)]
    assert entered.wait(PATIENCE)
    # In this order: an entry with no row, one whose row cannot be made, one with a row.
    for n, (name, attach) in enumerate((("bare", None), ("broken", broken), ("last", note)), start=1):
        threads.append(record(name, attach))
        _wait_until(lambda n=n: len(log._commits._waiting) == n)
    with caplog.at_level(logging.WARNING, logger="charter.audit"):
        release.set()
        for thread in threads:
            thread.join(PATIENCE)
    assert [e.action for e in log.entries()] == ["first", "bare", "broken", "last"]
    with home.engine.connect() as conn:
        rows = conn.execute(select(_notes.c.seq, _notes.c.note).order_by(_notes.c.seq)).all()
    assert rows == [(made["first"].seq, "first"), (made["last"].seq, "last")]
    assert caplog.messages == [
        f"a row kept beside audit entry {made['broken'].seq} was not made: RuntimeError"
    ]
