"""Audit sinks: the log leaves the machine as it is written, and `verify_against` sees what changed since.

The attacker here can write the whole home (log file and database alike), so the local chain can be
made to verify; each attack is first shown to pass the local check (the control), then caught
against what left through a real sink: an append-only file, syslog over UDP, OpenTelemetry over
OTLP/HTTP through the official SDK.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import delete

from charter.auth.audit import GENESIS, AuditLog, audit_chain_table, entry_hash
from charter.auth.audit_sinks import FileSink, OtelSink, SyslogSink, open_sink, sinks_from_config
from charter.auth.home import CharterHome
from charter.schemas import ConfigurationError


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.record(
            actor="agent",
            subject="mona",
            agent="bot",
            action="github_list_issues",
            args={"i": i},
            outcome="ok",
        )


def _rewrite_home(log: AuditLog, entries: list[dict[str, object]]) -> None:
    """What someone with the whole home can do: a new chain, re-anchored in the database."""
    prev, lines = GENESIS, []
    for seq, entry in enumerate(entries, start=1):
        data = {k: v for k, v in entry.items() if k != "hash"} | {"seq": seq, "prev_hash": prev}
        prev = entry_hash(data)
        lines.append(json.dumps({**data, "hash": prev}, sort_keys=True, separators=(",", ":")))
    log.path.write_text("".join(line + "\n" for line in lines))
    t = audit_chain_table
    with log.home.engine.begin() as conn:
        conn.execute(delete(t).where(t.c.chain == log.chain))
        for seq, line in enumerate(lines, start=1):
            conn.execute(
                t.insert().values(chain=log.chain, seq=seq, hash=json.loads(line)["hash"], entry=line)
            )


def _entries(log: AuditLog) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.path.read_text().splitlines()]


def _truncate(log: AuditLog) -> None:
    _rewrite_home(log, _entries(log)[:3])


def _edit(log: AuditLog) -> None:
    entries = _entries(log)
    entries[1]["action"] = "github_merge_pull_request"
    _rewrite_home(log, entries)


def _restart(log: AuditLog) -> None:
    _rewrite_home(log, [e | {"action": "github_get_issue"} for e in _entries(log)])


def _append_forged(log: AuditLog) -> None:
    entries = _entries(log)
    _rewrite_home(log, [*entries, entries[-1] | {"action": "approval.approve"}])


ATTACKS: dict[str, tuple[Callable[[AuditLog], None], str]] = {
    "truncate": (_truncate, "ends at seq 3"),
    "edit": (_edit, "seq 2 differs"),
    "re-anchor": (_restart, "seq 1 differs"),
    "append": (_append_forged, "seq 6 never left"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_rewritten_home_is_caught_against_an_append_only_file(
    home: CharterHome, tmp_path: Path, attack: str
) -> None:
    sink = tmp_path / "elsewhere" / "audit-sink.jsonl"
    sink.parent.mkdir()
    log = AuditLog(home, sinks=[FileSink(sink)])
    _fill(log, 5)
    assert log.verify_against(sink).ok  # control: nothing changed, the two agree

    change, problem = ATTACKS[attack]
    change(log)
    assert log.verify().ok  # the local check alone cannot see it
    report = log.verify_against(sink)
    assert not report.ok
    assert report.problem is not None
    assert problem in report.problem


@pytest.mark.skipif(shutil.which("chattr") is None, reason="chattr (e2fsprogs) is not installed")
def test_the_file_sink_appends_to_a_file_made_append_only(home: CharterHome, tmp_path: Path) -> None:
    sink = tmp_path / "audit-sink.jsonl"
    sink.touch()
    if subprocess.run(["chattr", "+a", str(sink)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not take the append-only attribute")
    try:
        log = AuditLog(home, sinks=[FileSink(sink)])
        _fill(log, 3)
        with pytest.raises(PermissionError):
            sink.write_text("")  # what a rewrite of the sink would need
        assert len(sink.read_text().splitlines()) == 3
        assert log.verify_against(sink).ok
    finally:
        subprocess.run(["chattr", "-a", str(sink)], check=True)


class _SyslogCollector:
    """A syslog receiver on 127.0.0.1 (UDP, port 0) writing each message to a file, as rsyslog would."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            data = self.sock.recv(65535)
            if data == b"stop":
                return
            with self.file.open("ab") as f:
                f.write(b"Dec  3 10:00:00 worker-1 " + data.rstrip(b"\x00") + b"\n")
            self.received += 1

    def stop(self) -> None:
        self.sock.sendto(b"stop", ("127.0.0.1", self.port))
        self._thread.join()
        self.sock.close()


@pytest.fixture
def syslog(tmp_path: Path) -> Iterator[_SyslogCollector]:
    collector = _SyslogCollector(tmp_path / "syslog")
    yield collector
    collector.stop()


@pytest.mark.parametrize("attack", ["truncate", "edit"])
def test_a_rewritten_home_is_caught_against_syslog(
    home: CharterHome, syslog: _SyslogCollector, monkeypatch: pytest.MonkeyPatch, attack: str
) -> None:
    monkeypatch.setenv("CHARTER_AUDIT_SINKS", f"syslog:udp://127.0.0.1:{syslog.port}")
    log = AuditLog(home)
    assert [type(s) for s in log.sinks] == [SyslogSink]
    _fill(log, 5)
    _wait(lambda: syslog.received == 5)
    assert "charter-audit: " in syslog.file.read_text()
    assert log.verify_against(syslog.file).ok

    change, problem = ATTACKS[attack]
    change(log)
    assert log.verify().ok
    report = log.verify_against(syslog.file)
    assert not report.ok
    assert report.problem is not None
    assert problem in report.problem


class _OtlpCollector:
    """An OTLP/HTTP logs receiver on 127.0.0.1 writing each request as one line of OTLP JSON."""

    def __init__(self, file: Path) -> None:
        from google.protobuf.json_format import MessageToJson
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = ExportLogsServiceRequest()
                request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
                with file.open("a") as f:
                    f.write(MessageToJson(request, indent=None) + "\n")
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.file = file
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/logs"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("attack", ["re-anchor", "append"])
def test_a_rewritten_home_is_caught_against_opentelemetry(
    home: CharterHome, tmp_path: Path, attack: str
) -> None:
    pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
    collector = _OtlpCollector(tmp_path / "otlp.jsonl")
    try:
        sink = OtelSink.otlp(collector.url)
        log = AuditLog(home, sinks=[sink])
        _fill(log, 5)
        sink.flush()
        assert "resourceLogs" in collector.file.read_text()
        assert log.verify_against(collector.file).ok

        change, problem = ATTACKS[attack]
        change(log)
        assert log.verify().ok
        report = log.verify_against(collector.file)
        assert not report.ok
        assert report.problem is not None
        assert problem in report.problem
    finally:
        sink.provider.shutdown()
        collector.stop()


def test_opentelemetry_records_carry_the_entry_and_its_home(home: CharterHome) -> None:
    pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    log = AuditLog(home, sinks=[OtelSink(provider)])
    event = log.record(
        actor="person",
        subject="mona",
        action="approval.approve",
        reasons=("ghp_abcdefghijklmnop0123456789",),
        outcome="ok",
    )

    (record,) = [r.log_record for r in exporter.get_finished_logs()]
    assert json.loads(str(record.body))["hash"] == event.hash
    assert record.attributes is not None
    assert record.attributes["charter.home"] == home.identity
    assert record.attributes["charter.audit.seq"] == 1
    assert "ghp_" not in str(record.body)  # what leaves is the redacted entry
    provider.shutdown()


def test_a_sink_that_fails_never_fails_the_call_and_is_named_later(
    home: CharterHome, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = tmp_path / "sink.jsonl"
    log = AuditLog(home, sinks=[FileSink(sink)])
    _fill(log, 2)
    sink.rename(tmp_path / "shipped.jsonl")
    sink.mkdir()  # the sink can no longer be written
    event = log.record(actor="person", subject="mona", action="approval.approve", outcome="ok")
    assert event.seq == 3
    assert log.verify().ok
    assert "audit sink" in caplog.text
    report = log.verify_against(tmp_path / "shipped.jsonl")
    assert not report.ok
    assert report.problem is not None
    assert "seq 3 never left the machine" in report.problem
    with pytest.raises(ConfigurationError, match="cannot read"):
        log.verify_against(tmp_path / "no-such-file")


def test_a_home_whose_identity_was_replaced_is_named(home: CharterHome, tmp_path: Path) -> None:
    sink = tmp_path / "sink.jsonl"
    _fill(AuditLog(home, sinks=[FileSink(sink)]), 3)
    # Start over: a new identity, an empty log, no chain in the database.
    (home.path / "home.id").unlink()
    home.audit_file.unlink()
    fresh = AuditLog(CharterHome(home.path, database_url=home.database_url), sinks=[FileSink(sink)])
    assert fresh.verify().ok
    report = fresh.verify_against(sink)
    assert not report.ok
    assert report.problem is not None
    assert "identity changed" in report.problem


def test_sinks_come_from_the_environment_or_the_home(
    home: CharterHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARTER_AUDIT_SINKS", raising=False)
    assert sinks_from_config(home) == []
    (home.path / "audit.yaml").write_text("sinks: ['file:/var/tmp/charter-test-sink.jsonl']\n")
    assert sinks_from_config(home) == [FileSink(Path("/var/tmp/charter-test-sink.jsonl"))]
    monkeypatch.setenv("CHARTER_AUDIT_SINKS", "")
    assert sinks_from_config(home) == []  # the environment wins, even to turn sinks off


@pytest.mark.parametrize("spec", ["file:relative/path", "syslog:udp://", "syslog:http://h:1", "kafka:x", ""])
def test_an_unknown_sink_is_a_configuration_error(spec: str) -> None:
    with pytest.raises(ConfigurationError, match=r"file:/absolute/path|syslog:udp://host:port"):
        open_sink(spec)


def test_a_malformed_sink_config_is_a_configuration_error(
    home: CharterHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARTER_AUDIT_SINKS", raising=False)
    (home.path / "audit.yaml").write_text("sinks: file:/x\n")
    with pytest.raises(ConfigurationError, match="list"):
        AuditLog(home)


def _wait(done: Callable[[], bool]) -> None:
    event = threading.Event()
    for _ in range(500):
        if done():
            return
        event.wait(0.01)
    raise AssertionError("the collector did not receive every entry")
