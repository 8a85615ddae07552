"""Audit sinks: every entry leaves the machine as it is written, so a rewritten home is still caught.

The operator names sinks in `CHARTER_AUDIT_SINKS` (comma-separated) or under `sinks:` in
`$CHARTER_HOME/audit.yaml`:

- `file:/abs/path` appends one JSON line per entry (make it append-only: `chattr +a`, or a mount
  the agent's user cannot rewrite);
- `syslog`, `syslog:/dev/log`, `syslog:udp://host:514`, `syslog:tcp://host:514` (stdlib);
- `otel` or `otel:http://collector:4318/v1/logs`: OpenTelemetry logs over OTLP/HTTP through the
  official SDK (`pip install 'charter[otel]'`); without an endpoint the SDK's `OTEL_EXPORTER_OTLP_*`
  variables apply.

Each shipped record is `{"home": id, "path": ..., "host": ..., "entry": {...}}` (an OpenTelemetry
record carries the entry line as its body and the rest as attributes). `read_shipped` reads such
records back from whatever file the sink's collector writes (the file sink itself, a syslog file,
an OTLP JSON file), and `compare_shipped` tells whether the local log still matches them.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import yaml

from charter.auth.home import CharterHome
from charter.schemas import ConfigurationError

SINKS_ENV = "CHARTER_AUDIT_SINKS"
CONFIG_FILE = "audit.yaml"
_log = logging.getLogger("charter.audit")


class AuditSink(Protocol):
    """Somewhere entries go as they are written; `send` gets each record as a JSON object."""

    def send(self, record: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class FileSink:
    """One JSON line per entry, appended and flushed to disk before the call goes on."""

    path: Path

    def send(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        # O_APPEND without O_TRUNC: works on a file the operator made append-only (chattr +a).
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


class SyslogSink:
    """Entries as syslog messages (`charter-audit: {...}`) through the standard library's handler."""

    def __init__(self, address: str | tuple[str, int], socktype: socket.SocketKind | None = None) -> None:
        self.address = address
        self._handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV, socktype=socktype
        )
        self._handler.ident = "charter-audit: "

    def __repr__(self) -> str:
        return f"<SyslogSink {self.address!r}>"

    def send(self, record: Mapping[str, Any]) -> None:
        message = json.dumps(record, sort_keys=True, separators=(",", ":"))
        self._handler.emit(
            logging.makeLogRecord({"msg": message, "levelno": logging.INFO, "levelname": "INFO"})
        )


class OtelSink:
    """Entries as OpenTelemetry log records, through any `LoggerProvider` of the official SDK."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self._logger = provider.get_logger("charter.audit")

    @classmethod
    def otlp(cls, endpoint: str | None = None) -> OtelSink:
        """A sink exporting over OTLP/HTTP in batches (off the call's path), flushed at exit."""
        try:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.resources import Resource
        except ImportError:
            raise ConfigurationError(
                "the otel audit sink needs the OpenTelemetry SDK: pip install 'charter[otel]'"
            ) from None
        provider = LoggerProvider(resource=Resource.create({"service.name": "charter"}))
        provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint)))
        return cls(provider)

    def send(self, record: Mapping[str, Any]) -> None:
        from opentelemetry._logs import SeverityNumber

        entry = record["entry"]
        self._logger.emit(
            body=json.dumps(entry, sort_keys=True, separators=(",", ":")),
            severity_number=SeverityNumber.INFO,
            event_name="charter.audit",
            attributes={
                "charter.home": record["home"],
                "charter.home.path": record["path"],
                "host.name": record["host"],
                "charter.audit.seq": entry["seq"],
                "charter.audit.hash": entry["hash"],
            },
        )

    def flush(self) -> None:
        self.provider.force_flush()


_opened: dict[str, AuditSink] = {}


def sinks_from_config(home: CharterHome) -> list[AuditSink]:
    """The sinks the operator named (env first, then the home's audit.yaml), opened once per process."""
    specs = _specs(home)
    for spec in specs:
        if spec not in _opened:
            _opened[spec] = open_sink(spec)
    return [_opened[spec] for spec in specs]


def _specs(home: CharterHome) -> list[str]:
    env = os.environ.get(SINKS_ENV)
    if env is not None:
        return [s.strip() for s in env.split(",") if s.strip()]
    config = home.path / CONFIG_FILE
    if not config.exists():
        return []
    try:
        data = yaml.safe_load(config.read_text()) or {}
        specs = data.get("sinks", []) if isinstance(data, dict) else None
    except yaml.YAMLError:
        specs = None
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ConfigurationError(
            f"{config} must hold `sinks:` as a list of sink names (file:/path, syslog, otel)"
        )
    return specs


def open_sink(spec: str) -> AuditSink:
    """The sink a name such as `file:/var/log/charter.jsonl`, `syslog:udp://host:514` or `otel` stands for."""
    kind, _, rest = spec.partition(":")
    if kind == "file" and rest.startswith("/"):
        return FileSink(Path(rest))
    if kind == "syslog":
        return _syslog(rest, spec)
    if kind == "otel":
        return OtelSink.otlp(rest or None)
    raise ConfigurationError(
        f"unknown audit sink {spec!r}: use file:/absolute/path, syslog[:/dev/log|:udp://host:port|"
        ":tcp://host:port] or otel[:http://collector:4318/v1/logs]"
    )


def _syslog(rest: str, spec: str) -> SyslogSink:
    if not rest:
        return SyslogSink("/dev/log" if Path("/dev/log").exists() else ("localhost", 514))
    if rest.startswith("/"):
        return SyslogSink(rest)
    url = urlsplit(rest)
    kinds = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}
    if url.scheme not in kinds or not url.hostname:
        raise ConfigurationError(
            f"audit sink {spec!r}: write syslog:udp://host:port or syslog:tcp://host:port"
        )
    return SyslogSink((url.hostname, url.port or 514), kinds[url.scheme])


def ship(sinks: Sequence[AuditSink], home: CharterHome, lines: Iterable[str]) -> None:
    """Send entries to every sink; a failing sink is logged, never fails the call it records."""
    if not sinks:
        return
    meta = {"home": home.identity, "path": str(home.path), "host": socket.gethostname()}
    for line in lines:
        record = {**meta, "entry": json.loads(line)}
        for sink in sinks:
            try:
                sink.send(record)
            except Exception as exc:
                # `verify --against` will name the entries this sink never got.
                _log.warning("audit sink %r failed: %s", sink, type(exc).__name__)


@dataclass(frozen=True)
class Shipped:
    """One entry as a sink received it."""

    home: str
    path: str
    host: str
    seq: int
    hash: str


def read_shipped(source: Path) -> list[Shipped]:
    """Records read back from a sink's file: file-sink lines, syslog lines, OTLP JSON lines."""
    try:
        text = source.read_text(errors="replace")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read {source} ({exc.strerror}): name the file the sink writes"
        ) from None
    found: list[Shipped] = []
    for line in text.splitlines():
        found.extend(_parse(line))
    return found


def _parse(line: str) -> Iterator[Shipped]:
    start = line.find("{")
    if start < 0:
        return
    try:
        data = json.loads(line[start:])
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    if "resourceLogs" in data:
        yield from _parse_otlp(data)
    elif isinstance(data.get("entry"), dict):
        yield from _shipped(data.get("home"), data.get("path"), data.get("host"), data["entry"])


def _parse_otlp(data: Mapping[str, Any]) -> Iterator[Shipped]:
    for resource in data.get("resourceLogs", []):
        for scope in resource.get("scopeLogs", []):
            for item in scope.get("logRecords", []):
                attrs = {a.get("key"): _any(a.get("value", {})) for a in item.get("attributes", [])}
                try:
                    entry = json.loads(_any(item.get("body", {})) or "")
                except ValueError:
                    continue
                yield from _shipped(
                    attrs.get("charter.home"), attrs.get("charter.home.path"), attrs.get("host.name"), entry
                )


def _any(value: Mapping[str, Any]) -> Any:
    """An OTLP JSON AnyValue's content (`{"stringValue": ...}`, `{"intValue": "7"}`)."""
    for key in ("stringValue", "intValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    return None


def _shipped(home: object, path: object, host: object, entry: object) -> Iterator[Shipped]:
    if isinstance(entry, dict) and isinstance(entry.get("seq"), int) and isinstance(entry.get("hash"), str):
        yield Shipped(str(home), str(path), str(host), entry["seq"], entry["hash"])


def compare_shipped(
    local: Sequence[tuple[int, str]], shipped: Sequence[Shipped], home: CharterHome
) -> tuple[str | None, int | None]:
    """The first way the local (seq, hash) list departs from what left the machine, and its seq."""
    mine = [s for s in shipped if s.home == home.identity]
    if not mine:
        return _no_record(local, shipped, home)
    left: dict[int, set[str]] = {}
    for s in mine:
        left.setdefault(s.seq, set()).add(s.hash)
    here = dict(local)
    for seq in sorted(left):
        if len(left[seq]) > 1:
            return (
                f"the sink received {len(left[seq])} different entries seq {seq}: the log was rewritten",
                seq,
            )
        if seq not in here:
            end = max(here, default=0)
            where = f"ends at seq {end}" if seq > end else "lacks it"
            return (
                f"seq {seq} left the machine but the local log {where}: entries were deleted",
                seq,
            )
        if here[seq] not in left[seq]:
            return f"seq {seq} differs from the entry that left the machine: the local log was rewritten", seq
    last = max(left)
    after = [seq for seq, _ in local if seq > last]
    if after:
        span = f"seq {after[0]}" + (f" to {after[-1]}" if len(after) > 1 else "")
        return (
            f"{span} never left the machine: written outside Charter, or lost on the way",
            after[0],
        )
    return None, None


def _no_record(
    local: Sequence[tuple[int, str]], shipped: Sequence[Shipped], home: CharterHome
) -> tuple[str | None, int | None]:
    same_place = sorted(
        {s.home for s in shipped if s.path == str(home.path) and s.host == socket.gethostname()}
    )
    if same_place:
        return (
            f"this home's identity changed: the sink holds entries of {', '.join(same_place)} from here",
            1,
        )
    if local:
        return f"none of this home's entries ({home.identity}) left the machine through this sink", local[0][
            0
        ]
    return None, None


__all__ = [
    "CONFIG_FILE",
    "SINKS_ENV",
    "AuditSink",
    "FileSink",
    "OtelSink",
    "Shipped",
    "SyslogSink",
    "compare_shipped",
    "open_sink",
    "read_shipped",
    "ship",
    "sinks_from_config",
]
