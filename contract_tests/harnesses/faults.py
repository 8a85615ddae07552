"""Faults aimed at state-changing requests, for harnesses of sandboxes built on `charter.sandboxes`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from charter.sandboxes.faults import FaultKind, FaultRule, Faults

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class StateChangingRule(FaultRule):
    """A fault rule for the next requests that may change state, whatever their method and path.

    The suite injects a fault into the attempt that commits, not into the reads a write handler
    makes first (the current sha of a file, the head of a branch).
    """

    def matches(self, method: str, path: str) -> bool:
        return method.upper() not in SAFE_METHODS


def arm_state_changing(faults: Faults, kind: str, times: int, status: int = 503) -> None:
    """Arm `kind` (fail, drop_before, drop_after) for the next `times` state-changing requests."""
    faults.arm(StateChangingRule(cast(FaultKind, kind), times, status=status))
