"""The Google benchmarks: 1,000 Gmail messages and 1,000 Calendar events read by Charter, by the naive
pattern and at the round-trip floor, then a repeat sync; figures, headline numbers and targets checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.figures import Figure, Report
from benchmarks.google_fetch import Contest, Fetch, calendar_contest, gmail_contest
from benchmarks.google_rig import CALENDAR_MAX_PAGE, GMAIL_MAX_PAGE, GoogleRig
from benchmarks.google_sync import RepeatSync, calendar_repeat_sync, gmail_repeat_sync
from benchmarks.rig import Sample
from charter.sandboxes.google.quota import gmail_units

GMAIL = "4. Gmail: {items} messages (metadata + snippet), {latency:g} ms latency"
CALENDAR = "5. Calendar: {items} events, {latency:g} ms latency"
GMAIL_FLOOR = f"floor: raw client, list {GMAIL_MAX_PAGE} + batch 100"
GMAIL_CHARTER = "Charter Toolkit: gmail_search_messages"
GMAIL_NAIVE = "naive: messages.list + messages.get each"
CALENDAR_FLOOR = f"floor: raw client, events.list at {CALENDAR_MAX_PAGE}"
CALENDAR_CHARTER = "Charter Toolkit: calendar_list_events"
CALENDAR_NAIVE = "naive: events.list + events.get each"
SCENARIOS = {
    "Gmail": (GMAIL_FLOOR, GMAIL_CHARTER, GMAIL_NAIVE),
    "Calendar": (CALENDAR_FLOOR, CALENDAR_CHARTER, CALENDAR_NAIVE),
}
CONNECTOR = "Charter connector alone (typed, no agent layer)"
# The targets: Charter's time within 1.2x of the floor's, at least 10x faster than the naive
# pattern, and one request for a repeat sync that finds nothing new.
MAX_VS_FLOOR = 1.2
MIN_VS_NAIVE = 10.0
REPEAT_SYNC_REQUESTS = 1
# Longer round trips at which the Calendar listing is timed again: Charter's own work per event is
# fixed, so its ratio to the floor depends on what one round trip costs.
SLOWER_ROUND_TRIPS_MS = (100.0, 200.0)


@dataclass(frozen=True)
class Outcome:
    """One contest's samples: the floor's and Charter's (medians of the rounds) and the naive one."""

    contest: Contest
    floor: Sample
    charter: Sample
    naive: Sample
    repeat: RepeatSync
    connector: Sample | None = None


def measure_google(rig: GoogleRig, report: Report, latency_ms: float, rounds: int) -> None:
    """Both contests and repeat syncs at `latency_ms`, quota off; figures, summary and notes."""
    rig.set_quota(False)
    kit = rig.toolkit()
    rig.set_latency(latency_ms / 1000)
    slower: list[str] = []
    try:
        gmail = _outcome(rig, gmail_contest(rig, kit), rounds, gmail_repeat_sync(rig, kit))
        calendar = _outcome(rig, calendar_contest(rig, kit), rounds, calendar_repeat_sync(rig, kit))
        if latency_ms > 0:
            slower = [_at_latency(rig, calendar.contest, ms, rounds) for ms in SLOWER_ROUND_TRIPS_MS]
    finally:
        rig.set_latency(0)
        rig.set_quota(True)
    for outcome, title in ((gmail, GMAIL), (calendar, CALENDAR)):
        bench = title.format(items=outcome.contest.items, latency=latency_ms)
        report.figures += figures(bench, outcome)
        summarise(report, outcome)
    if slower:
        report.notes.append(
            f"Calendar, Charter Toolkit vs the floor with longer round trips: {'; '.join(slower)}."
        )
    report.notes.append(quota_note(rig, gmail, calendar))
    if rounds > 1:
        report.notes.append(f"Google floor and Charter rows: the median of {rounds} runs each.")


def _outcome(rig: GoogleRig, contest: Contest, rounds: int, repeat: RepeatSync) -> Outcome:
    # Interleaved rounds, each contender warmed once first (connections open, clients built).
    contenders = [contest.floor, contest.charter, *([contest.connector] if contest.connector else [])]
    for fetch in contenders:
        _timed(rig, contest, fetch)
    samples: list[list[Sample]] = [[] for _ in contenders]
    for _ in range(rounds):
        for fetch, taken in zip(contenders, samples, strict=True):
            taken.append(_timed(rig, contest, fetch))
    naive = _timed(rig, contest, contest.naive)
    floor, charter, *connector = (_median(taken) for taken in samples)
    return Outcome(contest, floor, charter, naive, repeat, connector[0] if connector else None)


def _at_latency(rig: GoogleRig, contest: Contest, latency_ms: float, rounds: int) -> str:
    """The floor and the Toolkit timed again at `latency_ms` per request: their ratio, as a phrase."""
    rig.set_latency(latency_ms / 1000)
    pairs = [
        (_timed(rig, contest, contest.floor), _timed(rig, contest, contest.charter)) for _ in range(rounds)
    ]
    floor, charter = (_median([pair[i] for pair in pairs]) for i in (0, 1))
    return f"{charter.seconds / floor.seconds:.2f}x at {latency_ms:g} ms"


def _timed(rig: GoogleRig, contest: Contest, fetch: Fetch) -> Sample:
    got: list[int] = []
    sample = rig.measure(lambda: got.append(fetch()))
    if got != [contest.items]:
        raise RuntimeError(
            f"a {contest.service} benchmark read {got} items, not {contest.items}; the sandbox seed is "
            "not what the benchmark expects"
        )
    return sample


def _median(samples: list[Sample]) -> Sample:
    return sorted(samples, key=lambda s: s.seconds)[len(samples) // 2]


def figures(bench: str, outcome: Outcome) -> list[Figure]:
    """The rows of one contest, each timed as a ratio of the measured floor."""
    floor, charter, naive = SCENARIOS[outcome.contest.service]
    rows = [
        (floor, outcome.floor),
        (charter, outcome.charter),
        *([(CONNECTOR, outcome.connector)] if outcome.connector else []),
        (naive, outcome.naive),
        (outcome.repeat.scenario, outcome.repeat.sample),
    ]
    base = outcome.floor.seconds
    return [
        Figure(
            bench=bench,
            scenario=name,
            runs=1,
            requests=sample.requests,
            not_modified=0,
            body_bytes=sample.body_bytes,
            seconds=sample.seconds,
            ratio=sample.seconds / base if base > 0 else float("nan"),
            baseline=name == floor,
        )
        for name, sample in rows
    ]


def summarise(report: Report, outcome: Outcome) -> None:
    """The headline numbers of one contest, and its targets, met or missed, as notes."""
    contest, repeat = outcome.contest, outcome.repeat
    key = contest.service.lower()
    vs_floor = outcome.charter.seconds / outcome.floor.seconds
    vs_naive = outcome.naive.seconds / outcome.charter.seconds
    report.summary.update(
        {
            f"{key}_items": contest.items,
            f"{key}_requests_floor_computed": contest.floor_requests,
            f"{key}_requests_floor": outcome.floor.requests,
            f"{key}_requests_charter": outcome.charter.requests,
            f"{key}_requests_naive": outcome.naive.requests,
            f"{key}_charter_vs_floor": vs_floor,
            f"{key}_charter_speedup_vs_naive": vs_naive,
            f"{key}_repeat_sync_requests": repeat.sample.requests,
            f"{key}_repeat_sync_changes": repeat.changes,
        }
    )
    what = "messages" if key == "gmail" else "events"
    if outcome.connector:
        report.summary[f"{key}_connector_vs_floor"] = outcome.connector.seconds / outcome.floor.seconds
        report.notes.append(added_time(contest, outcome, outcome.connector, what))
    report.notes += [
        f"{contest.service}, {contest.items} {what}: requests: Charter {outcome.charter.requests}, the "
        f"floor {contest.floor_requests} (measured {outcome.floor.requests}), naive "
        f"{outcome.naive.requests}.",
        _target(
            f"Charter's time within {MAX_VS_FLOOR:g}x of the floor's",
            f"{vs_floor:.2f}x",
            vs_floor <= MAX_VS_FLOOR and outcome.charter.requests <= contest.floor_requests,
        ),
        _target(
            f"Charter at least {MIN_VS_NAIVE:g}x faster than naive",
            f"{vs_naive:.1f}x",
            vs_naive >= MIN_VS_NAIVE,
        ),
        _target(
            f"a repeat sync with no changes costs {REPEAT_SYNC_REQUESTS} request",
            f"{repeat.sample.requests} ({repeat.changes} changes)",
            repeat.sample.requests == REPEAT_SYNC_REQUESTS and repeat.changes == 0,
        ),
    ]
    if repeat.problem:
        report.notes.append(
            f"  MISSED  a repeat sync through the Toolkit: {repeat.problem} (measured on the bare "
            "connector instead)"
        )


def added_time(contest: Contest, outcome: Outcome, connector: Sample, what: str) -> str:
    """Where Charter's time beyond the floor goes: the connector's typed parsing, then the agent layer."""
    parsing = (connector.seconds - outcome.floor.seconds) * 1000
    agent_layer = (outcome.charter.seconds - connector.seconds) * 1000
    return (
        f"{contest.service}, {contest.items} {what}: against the floor, Charter's connector (typed, "
        f"validated results) takes {parsing:+.1f} ms and its agent layer (text delimited as untrusted, "
        f"grant, policy, audit) {agent_layer:+.1f} ms more."
    )


def _target(what: str, got: str, met: bool) -> str:
    return f"  {'met   ' if met else 'MISSED'}  {what}: {got}"


def quota_note(rig: GoogleRig, gmail: Outcome, calendar: Outcome) -> str:
    """Why the sandbox's quota was off for the timed runs, and what it would have done."""
    quota = rig.sandbox.quota
    units = gmail.contest.items * gmail_units("gmail.users.messages.get")
    burst, rate = quota.gmail_capacity, quota.gmail_units_per_second
    naive, per_minute = calendar.naive.requests, quota.calendar_per_minute
    gmail_text = (
        f"more than the {burst:.0f}-unit burst at {rate} units/s, so quota, not round trips, would bound "
        "every client (batches save round trips, not units)"
        if units > burst
        else f"within the {burst:.0f}-unit burst"
    )
    calendar_text = (
        f"; the naive Calendar pattern's {naive} requests exceed the {per_minute} allowed per minute"
        if naive > per_minute
        else ""
    )
    return (
        "The Google sandbox's per-user quota was OFF for the timed runs. With it on, "
        f"{gmail.contest.items} messages.get cost {units} Gmail units, {gmail_text}{calendar_text}."
    )
