"""`charter demo --scene sharepoint`: the upload goes through, sharing pauses, one link after approval."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Run


def test_sharepoint_scene_files_pauses_and_shares_once(run: Run, tmp_path: Path) -> None:
    ran = run("demo", "--scene", "sharepoint", "--pace", "0", "--home", str(tmp_path / "demo"))
    assert ran.code == 0, ran.err + ran.text
    text = ran.text
    assert "Scene 3 · SharePoint" in text
    assert "Links on the file: 0" in text
    assert len(re.findall(r"⏸ paused for a person's approval: apr_\S+", text)) == 1
    assert "1 organization link on Reports/Q3 board pack.txt, after two resumes" in text
    assert re.search(r"chain intact: \d+ entries", text)
