"""Local emulators of the services Charter connects to, with fault injection and inspection."""

from charter.sandboxes.catalog import SANDBOXES, create_sandbox, sandbox_names, serve
from charter.sandboxes.clock import Clock
from charter.sandboxes.faults import FaultRule, Faults, RetryObservation
from charter.sandboxes.framework import ConnectionDropped, Reply, Sandbox
from charter.sandboxes.recording import Exchange, RequestLog
from charter.sandboxes.server import SandboxServer, serve_forever
from charter.sandboxes.tokens import IssuedTokens, TokenFormat, TokenStore

__all__ = [
    "SANDBOXES",
    "Clock",
    "ConnectionDropped",
    "Exchange",
    "FaultRule",
    "Faults",
    "IssuedTokens",
    "Reply",
    "RequestLog",
    "RetryObservation",
    "Sandbox",
    "SandboxServer",
    "TokenFormat",
    "TokenStore",
    "create_sandbox",
    "sandbox_names",
    "serve",
    "serve_forever",
]
