"""The targets table: verdicts, the README block the bench writes, and floors that read what Charter reads."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import floors  # noqa: E402
from benchmarks.figures import Report  # noqa: E402
from benchmarks.readme import BEGIN, END, README, targets_block, write_readme  # noqa: E402
from benchmarks.targets import Target, table  # noqa: E402
from charter.connectors.gmail import GetMessages, GmailConnector, SearchMessages  # noqa: E402
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE, SandboxCredentials  # noqa: E402
from charter.sandboxes.google import GoogleSandbox  # noqa: E402

if TYPE_CHECKING:
    from conftest import GoogleConnectors


def _target(measured: float, *, higher: bool = False) -> Target:
    return Target(1, "a target", measured, 1.0, "x", "a floor", higher_is_better=higher)


@pytest.mark.parametrize(
    ("measured", "higher", "met"),
    [(0.9, False, True), (1.0, False, True), (1.1, False, False), (1.1, True, True), (0.9, True, False)],
)
def test_a_target_is_met_on_its_own_side_of_the_limit(measured: float, higher: bool, met: bool) -> None:
    assert _target(measured, higher=higher).met is met


def test_a_figure_that_could_not_be_measured_is_never_met() -> None:
    assert not _target(math.nan).met
    assert not _target(math.nan, higher=True).met
    assert "| n/a |" in table([_target(math.nan)])[-1]


def test_the_readme_block_is_replaced_and_nothing_around_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{BEGIN}\nold figures\n{END}\n\nafter\n", encoding="utf-8")
    report = Report("python -m benchmarks", {}, {"python": "3.11", "cpus": 2, "database": "sqlite"})
    report.targets = [_target(0.5), _target(2.0)]
    write_readme(readme, report)
    text = readme.read_text(encoding="utf-8")
    assert "old figures" not in text
    assert text.startswith("# Title\n\nbefore\n\n")
    assert text.endswith("\n\nafter\n")
    assert targets_block(report) in text
    assert "1 of 2 targets met" in text


def test_a_readme_without_the_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no block here\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="no"):
        write_readme(readme, Report("x", {}, {}))


def test_the_projects_readme_figures_are_the_generated_block() -> None:
    text = README.read_text(encoding="utf-8")
    block = text[text.index(BEGIN) : text.index(END)]
    rows = [
        line for line in block.splitlines() if line.startswith("| ") and not line.startswith(("| #", "| -"))
    ]
    # Every row the bench wrote carries its verdict; a hand-typed row would not be in this block.
    assert rows
    assert all(" met |" in row or " missed |" in row for row in rows)


def test_the_gmail_floor_reads_the_same_whole_messages_as_get_messages(
    gsb: GoogleSandbox, google_connector: GoogleConnectors
) -> None:
    gsb.seed_bulk(messages=120)
    gmail = google_connector(GmailConnector, SandboxCredentials, EVERY_SCOPE, None)
    ids = [m.id for m in gmail.read(SearchMessages(page_size=150)).items]
    token = gmail.credentials.access_token()
    with floors.client(gsb.url, token) as http:
        assert sorted(floors.gmail_ids(http, "")) == sorted(
            m.id for m in gmail.read(SearchMessages(page_size=500)).items
        )
        assert floors.gmail_full_messages(http, ids) == len(gmail.read(GetMessages(message_ids=ids)).items)


def test_every_target_is_measured_in_one_run_at_quick_sizes() -> None:
    # The run `make bench` makes, small: every row measured, each beside its floor, the reasons named.
    from benchmarks.target_suite import TargetSizes, measure_targets

    targets = measure_targets(TargetSizes.quick(), 20.0)
    assert sorted({t.item for t in targets}) == [1, 2, 3, 4, 5, 6]
    names = [t.name for t in targets]
    assert len(names) == len(set(names)) == 26
    assert all(t.floor for t in targets)
    unmeasured = [t.name for t in targets if not math.isfinite(t.measured)]
    assert unmeasured == [], unmeasured
    notes = {t.name: t.note for t in targets}
    assert (
        "one synced commit of a single row"
        in notes["Toolkit.call fixed cost on SQLite (median, durable audit)"]
    )
    for name in (
        "Calendar: Charter's own CPU per event",
        "SharePoint: Charter's own CPU per item",
        "Gmail 60 messages with bodies (search with bodies) at 20 ms",
    ):
        assert "untrusted marking" in notes[name], notes[name]
        assert "taint record" in notes[name], notes[name]
    assert [t.measured for t in targets if t.item == 4] == [1, 1, 1]
