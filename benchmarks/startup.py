"""How fast Charter starts: `charter --help`, `import charter.agents`, the first MCP tool call.

Each is a fresh process, timed best of a few (the least disturbed run of a shared machine), beside
the floor of the same interpreter starting and doing nothing.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from benchmarks.remote_rigs import RemoteGitHubRig
from benchmarks.rig import WEB
from benchmarks.targets import Target

PYTHON = sys.executable
CHARTER = str(Path(PYTHON).with_name("charter"))
MCP_FLOOR = str(Path(__file__).with_name("mcp_floor.py"))
# What Charter's first call may cost beside the SDK's own server answering one: Charter's part is
# its grant, database and connector (with its client library and a real request), the SDK's the rest.
MCP_FLOOR_RATIO = 1.5


def best_of(command: list[str], times: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """The fastest of `times` runs of `command`: (wall seconds, CPU seconds of that process)."""
    runs = []
    for _ in range(times):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, timeout=120)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return min(runs)


def first_mcp_call(rig: RemoteGitHubRig) -> tuple[float, float]:
    """Seconds from starting `charter mcp serve` to the answer of its first tools/call, and the CPU
    seconds the whole serving process took (its start, that call and its exit)."""
    env = {**os.environ, "CHARTER_HOME": str(rig.home.path), "CHARTER_KEY": rig.key}
    env.pop("CHARTER_DATABASE_URL", None)
    command = [CHARTER, "mcp", "serve", "--grant", rig.grant_token]
    return _first_call(command, "github_get_issue", {"repo": WEB, "number": 1}, env)


def floor_mcp_call() -> tuple[float, float]:
    """The same for the SDK-only server of `benchmarks.mcp_floor`: the floor of a first call."""
    return _first_call([PYTHON, MCP_FLOOR], "echo", {"repo": WEB}, None)


def _first_call(
    command: list[str], tool: str, arguments: dict[str, object], env: dict[str, str] | None
) -> tuple[float, float]:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": _hello()},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        },
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    proc.stdin.flush()
    try:
        wall = _first_answer(proc.stdout, started)
    finally:
        proc.stdin.close()
        proc.wait(30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _first_answer(lines: Iterable[str], started: float) -> float:
    for line in lines:
        answer = json.loads(line)
        if answer.get("id") == 2:
            if "error" in answer or answer.get("result", {}).get("isError"):
                raise RuntimeError(f"the first MCP call failed: {line[:300]}")
            return time.perf_counter() - started
    raise RuntimeError("charter mcp serve ended before answering its first call")


def _hello() -> dict[str, object]:
    return {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    }


def startup_targets(rig: RemoteGitHubRig, times: int) -> list[Target]:
    floor, floor_cpu = best_of([PYTHON, "-c", "pass"], times)
    floor_text = f"absolute; `python -c pass` takes {floor:.2f} s here ({floor_cpu:.2f} s CPU)"
    agents, agents_cpu = best_of([PYTHON, "-c", "import charter.agents"], times)
    help_, help_cpu = best_of([CHARTER, "--help"], times)
    # The root's help is drawn without Typer; a command's own help still goes through it.
    sub_help, sub_help_cpu = best_of([CHARTER, "mcp", "--help"], times)
    mcp, mcp_cpu = min(first_mcp_call(rig) for _ in range(max(1, times - 1)))
    sdk, sdk_cpu = min(floor_mcp_call() for _ in range(max(1, times - 1)))
    bare, bare_cpu = best_of([PYTHON, "-c", "import mcp"], times)
    sdk_text = (
        f"the official SDK alone: a stdio server (benchmarks/mcp_floor.py) answering one call, "
        f"{sdk:.2f} s ({sdk_cpu:.2f} s CPU); `import mcp` alone takes {bare:.2f} s ({bare_cpu:.2f} s CPU)"
    )
    return [
        Target(
            5,
            "`charter --help`",
            help_,
            0.2,
            "s",
            floor_text,
            note=f"{help_cpu:.2f} s CPU; `charter mcp --help` (through Typer) {sub_help:.2f} s "
            f"({sub_help_cpu:.2f} s CPU)",
        ),
        Target(
            5, "`import charter.agents`", agents * 1000, 100, "ms", floor_text, note=f"{agents_cpu:.2f} s CPU"
        ),
        Target(
            5,
            "first MCP tool call after process start",
            mcp,
            0.4,
            "s",
            floor_text,
            note=f"{mcp_cpu:.2f} s CPU for the whole serve; the SDK's own floor is {sdk:.2f} s",
        ),
        Target(5, "first MCP tool call / the SDK's own server", mcp / sdk, MCP_FLOOR_RATIO, "x", sdk_text),
    ]
