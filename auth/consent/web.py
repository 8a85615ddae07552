"""Web-redirect consent for a server: build the authorize URL, then finish on the callback."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit, urlunsplit

from charter.auth.consent.errors import ConsentDenied, ConsentError, StateMismatch
from charter.auth.consent.oauth import OAuthClient
from charter.auth.consent.pkce import make_state, make_verifier, s256_challenge
from charter.auth.consent.tokens import TokenSet


class AuthorizationRequest(NamedTuple):
    """An authorize URL and the two values the server keeps (in its session) until the callback."""

    url: str
    state: str
    code_verifier: str

    def __repr__(self) -> str:
        return f"AuthorizationRequest(url={self.url!r}, state=<hidden>, code_verifier=<hidden>)"


def authorization_url(
    client: OAuthClient,
    *,
    redirect_uri: str,
    scopes: Iterable[str],
    extra: Mapping[str, str] | None = None,
) -> AuthorizationRequest:
    """Start consent: a fresh state and PKCE verifier, and the URL to send the person to."""
    state, verifier = make_state(), make_verifier()
    url = client.authorization_url(
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        code_challenge=s256_challenge(verifier),
        extra=extra,
    )
    return AuthorizationRequest(url, state, verifier)


def complete(
    client: OAuthClient,
    callback_url: str,
    *,
    state: str,
    code_verifier: str,
    requested: Iterable[str] = (),
) -> TokenSet:
    """Finish consent from the URL the provider redirected to: check state, exchange the code."""
    # Hand-written rather than authlib's parse_authorization_code_response: the state is compared in
    # constant time, and each way a redirect fails is a Charter error saying what to do.
    parts = urlsplit(callback_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    name = client.provider.display_name
    # The state is checked first: an error redirect from a forged request must not be believed either.
    if not hmac.compare_digest(query.get("state", "").encode(), state.encode()):
        raise StateMismatch(
            f"the {name} redirect carried the wrong state, so it was not started by this flow "
            "(a stale tab or a forged link); start the connection again"
        )
    error = query.get("error")
    if error == "access_denied":
        raise ConsentDenied(
            f"consent to {name} was declined; connect again and approve it", oauth_error=error
        )
    if error:
        desc = query.get("error_description", "")
        raise ConsentError(f"{name} answered {error} {desc}".strip() + "; connect again", oauth_error=error)
    code = query.get("code")
    if not code:
        raise ConsentError(f"the {name} redirect carried no authorization code; connect again")
    redirect_uri = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return client.exchange_code(
        code=code, redirect_uri=redirect_uri, code_verifier=code_verifier, requested=requested
    )
