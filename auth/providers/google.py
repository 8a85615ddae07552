"""Google: OAuth endpoints, the Gmail and Calendar scope catalog, its privilege order, revocation.

Scopes are written as Google grants them (full URLs). Two relations are kept apart:
- `implies` (coverage): a broader scope does everything a narrower one does. It holds only where
  every API method accepting the narrower scope also accepts the broader one, so a connection
  holding the broader scope never fails a call the narrower one would pass
  (tests/auth/test_google_provider.py checks this against the discovery documents).
- `PRIVILEGE` (a total order, least privileged first): what "least privileged" means when an
  action could be served by several scopes. The reasoning, per API:
  Gmail — labels sees no mail at all; metadata sees headers but no bodies; send and insert can
  only add mail; readonly reads everything; compose reads and sends drafts; modify also relabels
  and trashes; mail.google.com also deletes permanently. Calendar — free/busy sees only busy
  times; the list and settings read-only scopes see no events; events.readonly sees events;
  calendar.readonly sees everything; the write scopes follow the same ladder up to `calendar`
  (everything, sharing included).
Some scopes are accepted by a method but do not serve every use of it; `SCOPE_LIMITS` names the uses
they cannot serve (e.g. gmail.metadata cannot read a body or run a search query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from charter.auth.providers.base import ClientAuth, Endpoints, Provider
from charter.schemas import AuthRequired, ConfigurationError, UpstreamError

if TYPE_CHECKING:
    # Annotations only: httpx loads in the functions that talk to the provider, not with the catalog.
    import httpx

AUTH = "https://www.googleapis.com/auth/"

MAIL_FULL = "https://mail.google.com/"
GMAIL_MODIFY = AUTH + "gmail.modify"
GMAIL_COMPOSE = AUTH + "gmail.compose"
GMAIL_SEND = AUTH + "gmail.send"
GMAIL_INSERT = AUTH + "gmail.insert"
GMAIL_READONLY = AUTH + "gmail.readonly"
GMAIL_METADATA = AUTH + "gmail.metadata"
GMAIL_LABELS = AUTH + "gmail.labels"
GMAIL_SETTINGS_BASIC = AUTH + "gmail.settings.basic"
GMAIL_SETTINGS_SHARING = AUTH + "gmail.settings.sharing"

CALENDAR = AUTH + "calendar"
CALENDAR_READONLY = AUTH + "calendar.readonly"
CALENDAR_EVENTS = AUTH + "calendar.events"
CALENDAR_EVENTS_READONLY = AUTH + "calendar.events.readonly"
CALENDAR_EVENTS_OWNED = AUTH + "calendar.events.owned"
CALENDAR_EVENTS_OWNED_READONLY = AUTH + "calendar.events.owned.readonly"
CALENDAR_EVENTS_PUBLIC_READONLY = AUTH + "calendar.events.public.readonly"
CALENDAR_EVENTS_FREEBUSY = AUTH + "calendar.events.freebusy"
CALENDAR_FREEBUSY = AUTH + "calendar.freebusy"
CALENDAR_APP_CREATED = AUTH + "calendar.app.created"
CALENDAR_CALENDARLIST = AUTH + "calendar.calendarlist"
CALENDAR_CALENDARLIST_READONLY = AUTH + "calendar.calendarlist.readonly"
CALENDAR_CALENDARS = AUTH + "calendar.calendars"
CALENDAR_CALENDARS_READONLY = AUTH + "calendar.calendars.readonly"
CALENDAR_SETTINGS = AUTH + "calendar.settings"
CALENDAR_SETTINGS_READONLY = AUTH + "calendar.settings.readonly"
CALENDAR_ACLS = AUTH + "calendar.acls"
CALENDAR_ACLS_READONLY = AUTH + "calendar.acls.readonly"

OPENID = "openid"
USERINFO_EMAIL = AUTH + "userinfo.email"
# Asked for with every Google connection so the account can be named whatever else is granted.
IDENTITY_SCOPES = (OPENID, USERINFO_EMAIL)

# Least privileged first; scopes on one line are equally privileged.
PRIVILEGE: tuple[tuple[str, ...], ...] = (
    (GMAIL_LABELS, CALENDAR_FREEBUSY),
    (GMAIL_METADATA, GMAIL_SEND, GMAIL_INSERT, CALENDAR_EVENTS_FREEBUSY),
    (CALENDAR_CALENDARLIST_READONLY, CALENDAR_CALENDARS_READONLY),
    (CALENDAR_SETTINGS_READONLY, CALENDAR_EVENTS_PUBLIC_READONLY),
    (GMAIL_READONLY, CALENDAR_EVENTS_OWNED_READONLY, CALENDAR_EVENTS_READONLY, CALENDAR_ACLS_READONLY),
    (GMAIL_COMPOSE, GMAIL_SETTINGS_BASIC, CALENDAR_READONLY, CALENDAR_APP_CREATED),
    (GMAIL_SETTINGS_SHARING, CALENDAR_EVENTS_OWNED, CALENDAR_CALENDARLIST, CALENDAR_CALENDARS),
    (CALENDAR_SETTINGS, CALENDAR_EVENTS),
    (GMAIL_MODIFY, CALENDAR_ACLS),
    (MAIL_FULL, CALENDAR),
)
RANK: Mapping[str, int] = {scope: rank for rank, line in enumerate(PRIVILEGE) for scope in line}

# Uses a scope cannot serve although the method accepts it. A method use is written
# `method.id[tag,...]` (see `method_use`); these are the tags each scope cannot serve.
SCOPE_LIMITS: Mapping[str, frozenset[str]] = {
    # Headers and labels only: no body (format=full/raw) and no `q` search.
    GMAIL_METADATA: frozenset({"body", "query"}),
    # Busy times only, no titles, attendees or descriptions.
    CALENDAR_EVENTS_FREEBUSY: frozenset({"details"}),
    CALENDAR_EVENTS_PUBLIC_READONLY: frozenset({"private"}),
    CALENDAR_EVENTS_OWNED_READONLY: frozenset({"shared"}),
    CALENDAR_EVENTS_OWNED: frozenset({"shared"}),
    CALENDAR_APP_CREATED: frozenset({"shared"}),
}

# Granted only to Google Workspace add-ons acting on the open message; never usable by an app.
ADDON_PREFIX = AUTH + "gmail.addons."

_IMPLIES: dict[str, frozenset[str]] = {
    MAIL_FULL: frozenset(
        {GMAIL_MODIFY, GMAIL_COMPOSE, GMAIL_SEND, GMAIL_READONLY, GMAIL_METADATA, GMAIL_LABELS, GMAIL_INSERT}
    ),
    GMAIL_MODIFY: frozenset(
        {GMAIL_COMPOSE, GMAIL_SEND, GMAIL_READONLY, GMAIL_METADATA, GMAIL_LABELS, GMAIL_INSERT}
    ),
    GMAIL_COMPOSE: frozenset({GMAIL_SEND}),
    GMAIL_READONLY: frozenset({GMAIL_METADATA}),
    CALENDAR: frozenset(
        {
            CALENDAR_READONLY,
            CALENDAR_EVENTS,
            CALENDAR_EVENTS_OWNED,
            CALENDAR_APP_CREATED,
            CALENDAR_CALENDARLIST,
            CALENDAR_CALENDARS,
            CALENDAR_SETTINGS,
            CALENDAR_ACLS,
        }
    ),
    CALENDAR_READONLY: frozenset(
        {
            CALENDAR_EVENTS_READONLY,
            CALENDAR_EVENTS_OWNED_READONLY,
            CALENDAR_EVENTS_PUBLIC_READONLY,
            CALENDAR_EVENTS_FREEBUSY,
            CALENDAR_FREEBUSY,
            CALENDAR_CALENDARLIST_READONLY,
            CALENDAR_CALENDARS_READONLY,
            CALENDAR_SETTINGS_READONLY,
        }
    ),
    CALENDAR_EVENTS: frozenset({CALENDAR_EVENTS_READONLY}),
    CALENDAR_EVENTS_OWNED: frozenset({CALENDAR_EVENTS_OWNED_READONLY}),
    CALENDAR_EVENTS_FREEBUSY: frozenset({CALENDAR_FREEBUSY}),
    CALENDAR_CALENDARLIST: frozenset({CALENDAR_CALENDARLIST_READONLY}),
    CALENDAR_CALENDARS: frozenset({CALENDAR_CALENDARS_READONLY}),
    CALENDAR_SETTINGS: frozenset({CALENDAR_SETTINGS_READONLY}),
    CALENDAR_ACLS: frozenset({CALENDAR_ACLS_READONLY}),
    # Google reports the `email` scope by its full name.
    "email": frozenset({USERINFO_EMAIL}),
    USERINFO_EMAIL: frozenset({"email"}),
}

ACCOUNTS_BASE = "https://accounts.google.com"
TOKEN_BASE = "https://oauth2.googleapis.com"
API_BASE = "https://www.googleapis.com"

# Incremental authorization: the new token carries every scope granted to this client before.
# `prompt=consent` is added only when a refresh token is needed (Google sends one on consent only).
AUTHORIZE_PARAMS: Mapping[str, str] = {"access_type": "offline", "include_granted_scopes": "true"}
CONSENT_PROMPT: Mapping[str, str] = {"prompt": "consent"}


def method_use(method_id: str, *tags: str) -> str:
    """A method as an action uses it, e.g. `method_use("gmail.users.messages.get", "body")`."""
    return f"{method_id}[{','.join(sorted(tags))}]" if tags else method_id


def parse_method_use(use: str) -> tuple[str, frozenset[str]]:
    """`gmail.users.messages.get[body]` → (`gmail.users.messages.get`, {`body`})."""
    if use.endswith("]") and "[" in use:
        method, _, tags = use[:-1].partition("[")
        return method, frozenset(t for t in tags.split(",") if t)
    return use, frozenset()


def serves(scope: str, accepted: Iterable[str], tags: Iterable[str]) -> bool:
    """Whether a token holding only `scope` can make a call the method accepts `accepted` for."""
    if scope.startswith(ADDON_PREFIX) or scope not in set(accepted):
        return False
    return not (SCOPE_LIMITS.get(scope, frozenset()) & set(tags))


def google_endpoints(oauth_base: str = ACCOUNTS_BASE, api_base: str = API_BASE) -> Endpoints:
    """Google's OAuth endpoints; a sandbox serves them all on one host given as `oauth_base`."""
    base = oauth_base.rstrip("/")
    if base == ACCOUNTS_BASE:
        return Endpoints(
            authorize=f"{ACCOUNTS_BASE}/o/oauth2/v2/auth",
            token=f"{TOKEN_BASE}/token",
            revoke=f"{TOKEN_BASE}/revoke",
            api_base=api_base.rstrip("/") or API_BASE,
        )
    return Endpoints(
        authorize=f"{base}/o/oauth2/v2/auth",
        token=f"{base}/token",
        revoke=f"{base}/revoke",
        api_base=api_base.rstrip("/") or base,
    )


def google_account(http: httpx.Client, endpoints: Endpoints, access_token: str) -> str:
    """The email of the Google account a token belongs to: userinfo, else the Gmail profile."""
    import httpx

    headers = {"Authorization": f"Bearer {access_token}"}
    api = (endpoints.api_base or API_BASE).rstrip("/")
    lookups = ((f"{api}/oauth2/v3/userinfo", "email"), (f"{api}/gmail/v1/users/me/profile", "emailAddress"))
    for url, key in lookups:
        try:
            resp = http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"could not reach Google to learn the account ({type(exc).__name__}); retry"
            ) from None
        if resp.status_code == 200 and isinstance(resp.json(), dict) and resp.json().get(key):
            return str(resp.json()[key])
        if resp.status_code == 401:
            raise AuthRequired("Google rejected the new token when asked whose it is; connect Google again")
        if resp.status_code >= 500:
            raise UpstreamError(f"Google answered {resp.status_code} when asked whose the token is; retry")
    raise AuthRequired(
        "Google would not say which account the token belongs to; connect again and grant the "
        "`email` permission"
    )


def revoke_google_token(http: httpx.Client, endpoints: Endpoints, client: ClientAuth, token: str) -> None:
    """Revoke a token at Google's revoke endpoint; revoking either token ends the whole grant."""
    import httpx

    # Hand-written: Google takes the bare token, and authlib's revoke_token always adds client fields.
    if not endpoints.revoke:
        raise ConfigurationError("this Google connection has no revocation endpoint configured")
    try:
        resp = http.post(
            endpoints.revoke,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except httpx.HTTPError as exc:
        raise UpstreamError(f"could not reach Google to revoke the token ({type(exc).__name__})") from None
    if resp.status_code == 200:
        return
    if resp.status_code == 400:
        raise UpstreamError(
            "Google did not recognise the token (invalid_token): it had already expired or been revoked; "
            "remove the app at https://myaccount.google.com/permissions to be sure"
        )
    raise UpstreamError(f"Google answered {resp.status_code} to the revocation; the token may still be valid")


GOOGLE = Provider(
    name="google",
    display_name="Google",
    scope_separator=" ",
    implies=_IMPLIES,
    supports_pkce=True,
    # Google's device flow does not allow the Gmail or Calendar scopes.
    supports_device_flow=False,
    default_oauth_base=ACCOUNTS_BASE,
    default_api_base=API_BASE,
    endpoint_layout=google_endpoints,
    account_lookup=google_account,
    revoker=revoke_google_token,
    authorize_params=AUTHORIZE_PARAMS,
    # Revoking the refresh token ends the whole grant even after the access token has expired.
    revoke_refresh_token=True,
    revoke_ends_account=True,
    # Google does not rotate refresh tokens: a refresh answers with an access token only.
    refresh_reuse_window=None,
)
