"""Type aliases shared across Charter: each defined here once, imported everywhere else."""

from __future__ import annotations

from typing import Any, Literal, get_args

# A decoded JSON value of any shape (object, array, string, number, bool or null), as a client
# library hands it back before a connector has checked it.
JsonValue = Any
# A decoded JSON object: a request body being built or a response already known to be an object.
JsonObject = dict[str, Any]

# What an action's effect may reach or undo; policy weighs these tags, connectors declare them.
Risk = Literal["external", "destructive", "sharing", "bulk"]
RISKS: tuple[Risk, ...] = get_args(Risk)

__all__ = ["RISKS", "JsonObject", "JsonValue", "Risk"]
