"""GitHub: OAuth endpoints, the classic scope catalog, and how GitHub names and revokes tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from charter.auth.providers.base import ClientAuth, Endpoints, Provider
from charter.schemas import AuthRequired, ConfigurationError, UpstreamError

if TYPE_CHECKING:
    # Annotations only: httpx loads in the functions that talk to the provider, not with the catalog.
    import httpx

_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


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


def github_login(http: httpx.Client, endpoints: Endpoints, access_token: str) -> str:
    """The login of the GitHub user a token belongs to (GET /user)."""
    import httpx

    try:
        resp = http.get(
            f"{endpoints.api_base}/user",
            headers={**_API_HEADERS, "Authorization": f"Bearer {access_token}"},
        )
    except httpx.HTTPError as exc:
        raise UpstreamError(
            f"could not reach GitHub to learn the account ({type(exc).__name__}); retry"
        ) from None
    if resp.status_code == 401:
        raise AuthRequired("GitHub rejected the new token when asked whose it is; connect GitHub again")
    if resp.status_code != 200 or "login" not in resp.json():
        raise UpstreamError(f"GitHub answered {resp.status_code} to GET /user; retry later")
    return str(resp.json()["login"])


def revoke_github_token(
    http: httpx.Client, endpoints: Endpoints, client: ClientAuth, access_token: str
) -> None:
    """Revoke a user token: DELETE /applications/{client_id}/token with the app's Basic credentials."""
    import httpx

    # Hand-written: GitHub revokes through its REST API, not an RFC 7009 endpoint authlib could call.
    if not client.client_secret or not endpoints.revoke:
        raise ConfigurationError(
            "GitHub revokes a token only with the OAuth app's client secret, and this connection has none; "
            "revoke it in GitHub's settings (Applications) instead"
        )
    try:
        resp = http.request(
            "DELETE",
            endpoints.revoke.format(client_id=client.client_id),
            auth=(client.client_id, client.client_secret),
            json={"access_token": access_token},
            headers=_API_HEADERS,
        )
    except httpx.HTTPError as exc:
        raise UpstreamError(f"could not reach GitHub to revoke the token ({type(exc).__name__})") from None
    if resp.status_code == 204:
        return
    if resp.status_code == 401:
        raise ConfigurationError("GitHub refused the OAuth app's client credentials while revoking the token")
    raise UpstreamError(
        f"GitHub answered {resp.status_code} to the token revocation; the token may still be valid"
    )


def form_encoded_answer(resp: httpx.Response) -> httpx.Response:
    """GitHub's token endpoint may answer form-encoded (its default): the same fields as JSON for authlib."""
    import httpx

    if "json" in resp.headers.get("content-type", ""):
        return resp
    fields = dict(parse_qsl(resp.text))
    return httpx.Response(resp.status_code, json=fields, request=resp.request) if fields else resp


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
    default_oauth_base="https://github.com",
    default_api_base="https://api.github.com",
    endpoint_layout=github_endpoints,
    account_lookup=github_login,
    revoker=revoke_github_token,
    # GitHub App user tokens: "Once you use a refresh token, that refresh token and the old user
    # access token will no longer work" (GitHub Docs, Refreshing user access tokens).
    refresh_reuse_window=0.0,
    # GitHub's names for invalid_grant and invalid_client (its OAuth apps troubleshooting page).
    error_names={
        "bad_verification_code": "invalid_grant",
        "bad_refresh_token": "invalid_grant",
        "incorrect_client_credentials": "invalid_client",
    },
    token_response_hooks=(form_encoded_answer,),
)
