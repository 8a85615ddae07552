"""The sandboxes Charter ships, by service name, for `charter sandbox up` and test fixtures."""

from __future__ import annotations

import importlib

from charter.sandboxes.framework import Sandbox
from charter.schemas import ConfigurationError, missing_extra

# Imported on demand so that naming one sandbox never loads the others.
SANDBOXES: dict[str, str] = {
    "github": "charter.sandboxes.github:GitHubSandbox",
    "google": "charter.sandboxes.google:GoogleSandbox",
    "microsoft": "charter.sandboxes.microsoft:GraphSandbox",
    "notion": "charter.sandboxes.notion:NotionSandbox",
}


def sandbox_names() -> list[str]:
    """Names accepted by `create_sandbox`."""
    return sorted(SANDBOXES)


def create_sandbox(name: str) -> Sandbox:
    """A new, not yet started sandbox of the service `name`."""
    try:
        module_name, _, attr = SANDBOXES[name].partition(":")
    except KeyError:
        raise ConfigurationError(f"no sandbox named {name!r}; known: {', '.join(sandbox_names())}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise (missing_extra(exc) or exc) from None
    cls = getattr(module, attr)
    sandbox: Sandbox = cls()
    return sandbox


def serve(name: str, port: int, host: str = "127.0.0.1") -> None:
    """Serve the sandbox `name` in the foreground on `host:port` until interrupted."""
    create_sandbox(name).serve(port, host)
