"""Which of charter's pip extras installs each optional library, so a missing one is named, not guessed."""

from __future__ import annotations

from charter.schemas.errors import MissingExtra

# Module (or package prefix) -> the extra that installs it. tests/test_packaging.py checks this
# against the extras pyproject.toml declares, so a new optional library cannot be left out.
EXTRA_MODULES: dict[str, str] = {
    "github": "github",
    "googleapiclient": "google",
    "google.auth": "google",
    "google.oauth2": "google",
    "google_auth_httplib2": "google",
    "httplib2": "google",
    "jsonschema": "google",
    "msal": "microsoft",
    "notion_client": "notion",
    "mcp": "mcp",
    "mcp_types": "mcp",
    "langchain_core": "langchain",
    # The OpenAI Agents SDK's package is `agents`; Charter's own folder of that name is `charter.agents`.
    "agents": "openai-agents",
    "pydantic_ai": "pydantic-ai",
    "opentelemetry": "otel",
    "psycopg": "postgres",
    "jinja2": "console",
    "webauthn": "console",
    "python_multipart": "console",
    "multipart": "console",
}


def missing_extra(exc: ImportError, *, hint: str = "") -> MissingExtra | None:
    """The extra to install when `exc` is a missing optional library; None for any other import error."""
    if isinstance(exc, MissingExtra):
        return exc
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    parts = exc.name.split(".")
    for end in range(len(parts), 0, -1):
        extra = EXTRA_MODULES.get(".".join(parts[:end]))
        if extra is not None:
            return MissingExtra(extra, exc.name, hint=hint)
    return None


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` (per EXTRA_MODULES) that cannot be imported here; empty when installed."""
    import importlib.util

    def importable(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    return [module for module, owner in EXTRA_MODULES.items() if owner == extra and not importable(module)]


__all__ = ["EXTRA_MODULES", "missing_extra", "missing_modules"]
