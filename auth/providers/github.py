"""GitHub: OAuth endpoints and the classic scope catalog."""

from __future__ import annotations

from charter.auth.providers.base import Endpoints, Provider

GITHUB = Provider(
    name="github",
    display_name="GitHub",
    scope_separator=",",
    # From GitHub's scope documentation: `repo` includes the narrower repository scopes.
    implies={
        "repo": frozenset({"repo:status", "repo_deployment", "public_repo", "repo:invite"}),
        "user": frozenset({"read:user", "user:email", "user:follow"}),
        "admin:org": frozenset({"write:org", "read:org"}),
        "write:org": frozenset({"read:org"}),
    },
    supports_pkce=True,
    supports_device_flow=True,
)


def github_endpoints(base_url: str = "https://github.com", api_base: str | None = None) -> Endpoints:
    """GitHub's OAuth endpoints under `base_url` (github.com, or a sandbox on loopback)."""
    base = base_url.rstrip("/")
    return Endpoints(
        authorize=f"{base}/login/oauth/authorize",
        token=f"{base}/login/oauth/access_token",
        device_code=f"{base}/login/device/code",
        # DELETE /applications/{client_id}/token on the API host, per GitHub's REST reference.
        revoke=f"{(api_base or 'https://api.github.com').rstrip('/')}/applications/{{client_id}}/token",
        api_base=api_base or "https://api.github.com",
    )
