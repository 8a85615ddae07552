"""`charter demo --interactive`: the person at the terminal approves or denies; the demo shows the effect."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from charter.cli.main import main


def play_scene(tmp_path: Path, answer: bytes, scene: str = "github") -> tuple[int, str]:
    """Run one scene on a terminal; type `answer` at the approval prompt."""
    code = "import sys; from charter.cli.main import main; sys.exit(main(sys.argv[1:]))"
    home = str(tmp_path / "demo-home")
    args = [sys.executable, "-c", code, "demo", "--scene", scene, "--pace", "0", "--interactive"]
    pid, terminal = pty.fork()
    if pid == 0:
        os.environ["COLUMNS"] = "200"
        os.execv(sys.executable, [*args, "--home", home])
    seen, answered, status = b"", False, None
    deadline = time.monotonic() + 120
    try:
        while status is None and time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):
                    seen += os.read(terminal, 65536)
            if not answered and b"[y/N]" in seen:
                os.write(terminal, answer + b"\n")
                answered = True
            done, raw = os.waitpid(pid, os.WNOHANG)
            status = raw if done else None
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)
    assert answered, seen.decode(errors="replace")[-2000:]
    assert status is not None, "the demo did not finish"
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status), " ".join(text.split())


def test_denying_at_the_prompt_posts_nothing(tmp_path: Path) -> None:
    code, text = play_scene(tmp_path, b"n")
    assert code == 0, text[-2000:]
    assert "Your turn, as Mona" in text
    assert "denied apr_" in text
    assert "0 comment on acme/web" in text


def test_approving_at_the_prompt_posts_once(tmp_path: Path) -> None:
    code, text = play_scene(tmp_path, b"y")
    assert code == 0, text[-2000:]
    assert "approved apr_" in text
    assert "1 comment on acme/web" in text


def test_denying_the_mail_to_the_partner_sends_it_never(tmp_path: Path) -> None:
    code, text = play_scene(tmp_path, b"n", "google")
    assert code == 0, text[-2000:]
    assert "0 messages to legal@partner.example: it stays denied" in text


def test_interactive_without_a_terminal_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115
    code = main(["demo", "--interactive", "--home", str(tmp_path / "h")])
    assert code == 1
    assert "error[usage_error]: --interactive asks you at the terminal" in capsys.readouterr().err


def test_the_scripted_demo_says_it_approved_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--scene", "github", "--pace", "0", "--home", str(tmp_path / "h")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "the demo approved for Mona; `charter demo --interactive` lets you decide" in out


@pytest.mark.parametrize("on_path", [False, True], ids=["not on PATH", "on PATH"])
def test_the_demo_says_how_to_run_charter_when_it_is_not_on_path(tmp_path: Path, on_path: bool) -> None:
    import subprocess

    charter = Path(sys.executable).with_name("charter")
    path = f"{charter.parent}:/usr/bin:/bin" if on_path else "/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(tmp_path)}
    args = [str(charter), "demo", "--scene", "github", "--pace", "0", "--home", str(tmp_path / "h")]
    ran = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    text = " ".join(ran.stdout.split())
    assert ran.returncode == 0, ran.stderr
    assert ("charter is not on your PATH: run `source" in text) is not on_path
    assert "charter demo --interactive" in text
