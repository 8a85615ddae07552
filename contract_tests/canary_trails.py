"""The canary's trails outside the process: what reached the service, and what was written to disk.

The in-process canary (`canary.py`) sees results, errors, reprs, tool output, audit and logs; a
connector could still send the token to the service in a body, a header or a URL, or write it to a
file. These checks look there: the sandbox notes every request carrying the canary anywhere but the
connection's credential header, and the run happens with HOME, the temp dir and the working
directory pointed at fresh folders that are searched afterwards.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from charter.contract_tests.canary import CANARY, canary_exposure
from charter.contract_tests.harness import ContractHarness

_ENV = ("HOME", "TMPDIR", "TEMP", "TMP", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
# A file bigger than this is not read whole; a token would be in its first bytes anyway if at all.
_MAX_READ = 4 << 20


@dataclass
class Scratch:
    """The folders a run may write to: its own fresh ones, and the machine's temp dir since `started`."""

    fresh: list[Path]
    shared_tmp: Path
    started: float = field(default_factory=time.time)

    def files_holding(self, secret: str) -> list[str]:
        """Files in the fresh folders, or new in the shared temp dir, that hold `secret`."""
        found = [str(p) for root in self.fresh for p in _files(root) if _holds(p, secret)]
        recent = (p for p in _files(self.shared_tmp, depth=2) if _mtime(p) >= self.started - 1)
        # The fresh folders live under the shared temp dir: a file found twice is one file.
        return list(dict.fromkeys(found + [str(p) for p in recent if _holds(p, secret)]))


def _files(root: Path, depth: int = 12) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        if len(Path(dirpath).relative_to(root).parts) >= depth:
            dirnames.clear()
        yield from (Path(dirpath) / name for name in filenames)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _holds(path: Path, secret: str) -> bool:
    try:
        with path.open("rb") as f:
            return secret.encode() in f.read(_MAX_READ)
    except OSError:  # a file removed or unreadable meanwhile holds nothing we can show
        return False


@contextmanager
def scratch_dirs() -> Iterator[Scratch]:
    """Run the body with HOME, the temp dirs and the working directory in fresh folders."""
    shared_tmp = Path(tempfile.gettempdir())
    saved_env = {name: os.environ.get(name) for name in _ENV}
    saved_cwd, saved_tempdir = Path.cwd(), tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="charter-canary-") as base:
        home, tmp, work = (Path(base) / name for name in ("home", "tmp", "work"))
        for folder in (home, tmp, work):
            folder.mkdir()
        os.environ.update({"HOME": str(home), "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)})
        for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
            os.environ.pop(name, None)
        tempfile.tempdir = str(tmp)
        os.chdir(work)
        try:
            yield Scratch([home, tmp, work], shared_tmp)
        finally:
            os.chdir(saved_cwd)
            tempfile.tempdir = saved_tempdir
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def check_canary_leaves_only_as_credentials(harness: ContractHarness, canary: str = "") -> None:
    """The canary reaches the service only in the credential header, and is written to no file."""
    # A canary of this run's own, so a file another run left in the shared temp dir is not blamed.
    canary = canary or f"{CANARY}{secrets.token_hex(3)}"
    harness.watch_secret(canary)
    with scratch_dirs() as scratch:
        canary_exposure(harness, canary)
        files = scratch.files_holding(canary)
    sent = harness.secret_sightings(canary)
    problems = []
    if sent:
        problems.append(
            "the connector sent the secret canary to the service in: " + "; ".join(sorted(set(sent)))
        )
    if files:
        problems.append("the connector wrote the secret canary to: " + ", ".join(files))
    assert not problems, "\n".join(problems)


__all__ = ["Scratch", "check_canary_leaves_only_as_credentials", "scratch_dirs"]
