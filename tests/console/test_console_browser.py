"""The console in a real browser: Debian's Chromium driven by Playwright, passkeys on a virtual authenticator.

One browser for the module. The person's page keeps one virtual WebAuthn authenticator (Chromium's
DevTools WebAuthn domain), so the passkey registered in one test signs the approvals of the next.
Screenshots of every page, at laptop and phone widths, land in .cache/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consoles import Console, serve
from github_consent import connect_sandbox
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, sync_playwright
from waiting import line_from

from charter.agents import Toolkit
from charter.agents.person import PasskeyStore
from charter.auth.grants import IssuedGrant
from charter.cli.context import Local
from charter.cli.main import main
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import ApprovalStatus

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".cache" / "screenshots"
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}
INSTALL_HINT = (
    "the browser tests need Debian's Chromium: apt-get install -y chromium "
    "(or point CHARTER_CHROMIUM at a Chromium binary)"
)
# Wraps the page's Notification so the test sees what the console announced (the real one still runs).
NOTIFICATION_SPY = """
window.__notified = [];
const RealNotification = window.Notification;
class Spy extends RealNotification {
  constructor(title, options) { super(title, options); window.__notified.push(title); }
}
window.Notification = Spy;
"""


def chromium() -> str:
    found = os.environ.get("CHARTER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).is_file():
        pytest.fail(INSTALL_HINT, pytrace=False)
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def person(browser: Browser) -> Iterator[tuple[BrowserContext, Page, CDPSession]]:
    """The person's browser tab, with a virtual authenticator that verifies the user."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["notifications"])
    context.add_init_script(NOTIFICATION_SPY)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield context, page, cdp
    context.close()


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory, github_sandbox: GitHubSandbox) -> Local:
    return Local(tmp_path_factory.mktemp("console-browser") / "home")


@pytest.fixture(scope="module")
def grant(here: Local, github_sandbox: GitHubSandbox) -> IssuedGrant:
    """A real GitHub connection (consent against the sandbox) and the agent's grant on it."""
    # The session's sandbox may hold another file's knobs (a refused consent): start from its seed.
    github_sandbox.reset()
    connection = connect_sandbox(here.vault, github_sandbox)
    verbs = ("read", "draft", "write")
    only_web = {"repos": ("acme/web",)}
    return here.grants.issue("mona", "triage-bot", (connection.id,), verbs, constraints=only_web)


@pytest.fixture
def console(here: Local, grant: IssuedGrant, person: Any) -> Iterator[Console]:
    yield from serve(here, grant)


def agent(console: Console) -> Toolkit:
    return Toolkit(console.grant.token, home=console.here.home, vault=console.here.vault)


def agent_asks_to_comment(kit: Toolkit, body: str) -> str:
    drafted = kit.call("github_draft_comment", {"repo": "acme/web", "number": 3, "body": body})
    assert drafted.ok, drafted.error
    paused = kit.call("github_commit_draft", {"draft_id": drafted.data["draft_id"]})
    assert paused.approval is not None, paused.error
    return paused.approval.approval_id


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def register_passkey(page: Page, console: Console) -> None:
    if PasskeyStore(console.here.home).any():
        return
    page.goto(console.origin + "/passkeys")
    page.click("#register button")
    page.wait_for_url("**/passkeys?done=registered")


def test_the_cli_link_opens_the_console_once(browser: Browser, here: Local, grant: IssuedGrant) -> None:
    cli = Path(sys.executable).with_name("charter")
    process = subprocess.Popen(
        [str(cli), "--home", str(here.path), "console", "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        link = ""
        while not link.startswith("http://localhost:"):
            link = line_from(process.stdout, "console link").strip()  # type: ignore[arg-type]
        first = browser.new_page()
        first.goto(link)
        assert first.url.endswith("/approvals")
        assert first.locator("h1").inner_text() == "Waiting for you"
        second = browser.new_page()  # another context: the link seen again
        response = second.goto(link)
        assert response is not None
        assert response.status == 403
        assert "already used" in second.content()
        first.close()
        second.close()
    finally:
        process.terminate()
        process.wait(10)


def test_a_denial_with_a_reason_reaches_the_agent(person: Any, console: Console) -> None:
    _, page, _ = person
    page.goto(console.link)
    kit = agent(console)
    approval_id = agent_asks_to_comment(kit, "Closing as won't fix.")
    card = page.locator(f'[data-approval="{approval_id}"]')
    card.wait_for()  # appears live, no reload
    card.locator("input[name=reason]").fill("not in this repository")
    card.locator("button.no").click()
    page.wait_for_url("**done=denied**")
    result = kit.resume(approval_id)
    assert result.error is not None
    assert "not in this repository" in result.error["message"]
    assert console.here.approvals.get(approval_id).status is ApprovalStatus.DENIED


def test_a_pending_approval_appears_live_and_the_passkey_approves_it(
    person: Any, console: Console, github_sandbox: GitHubSandbox
) -> None:
    _, page, _ = person
    page.goto(console.link)
    register_passkey(page, console)
    page.goto(console.origin + "/approvals")
    page.wait_for_function("document.getElementById('pending-count') !== null")
    kit = agent(console)
    before = len(github_sandbox.state.comments("acme/web", 3))
    approval_id = agent_asks_to_comment(kit, "Reproduced on 2.4; fix in #12.")
    card = page.locator(f'[data-approval="{approval_id}"]')
    card.wait_for()
    assert "Reproduced on 2.4; fix in #12." in card.locator(".preview").inner_text()
    page.wait_for_function("window.__notified.length > 0")
    shoot(page, "approvals")
    card.locator("button.yes").click()
    page.wait_for_url("**done=approved**")
    decided = console.here.approvals.get(approval_id)
    assert decided.status is ApprovalStatus.APPROVED
    assert decided.verified_by is not None
    assert decided.verified_by.startswith("passkey:")
    entry = console.here.audit.tail(1)[0]
    assert (entry.action, entry.verified_by) == ("approval.approve", decided.verified_by)
    assert console.here.approvals.passkey_answer(approval_id)  # the browser's signed answer, kept
    resumed = kit.resume(approval_id)  # and verified again by the Toolkit before it runs
    assert resumed.ok, resumed.error
    assert len(github_sandbox.state.comments("acme/web", 3)) == before + 1


def test_a_forged_request_from_another_site_is_refused(
    person: Any, console: Console, github_sandbox: GitHubSandbox
) -> None:
    context, page, _ = person
    page.goto(console.link)
    approval_id = console.pause()
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    own = page.evaluate(
        "async (url) => (await fetch(url, {method: 'POST', body: new URLSearchParams({r: 'x'})})).status",
        f"/approvals/{approval_id}/deny",
    )
    assert own == 403  # the console's own page, but without the CSRF token
    attacker = context.new_page()
    attacker.goto(github_sandbox.url + "/_sandbox/state")  # any other origin the browser visits
    # Even knowing the CSRF token, a page elsewhere sends neither the cookie (SameSite=Strict) nor the
    # console's Origin; the browser also hides the answer from it (Cross-Origin-Resource-Policy).
    attacker.evaluate(
        """async ([url, csrf]) => { try { await fetch(url, {method: 'POST', mode: 'no-cors',
             credentials: 'include', body: new URLSearchParams({csrf, reason: 'forged'})}); }
             catch (e) {} }""",
        [f"{console.origin}/approvals/{approval_id}/deny", csrf],
    )
    attacker.close()
    path = f"/approvals/{approval_id}/deny"
    assert (403, "POST", path) in console.server.session.refusals  # it reached the console, and was refused
    assert console.here.approvals.get(approval_id).status is ApprovalStatus.PENDING
    console.here.approvals.deny(approval_id, by="mona", reason="test over")


def test_a_shell_cannot_approve_what_the_passkey_protects(
    person: Any, console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    _, page, _ = person
    page.goto(console.link)
    register_passkey(page, console)
    approval_id = console.pause()
    capsys.readouterr()
    code = main(["--home", str(console.here.path), "approvals", "approve", approval_id, "--yes"])
    said = capsys.readouterr().err
    assert code != 0
    assert "passkey" in said
    assert "charter console" in said
    assert console.here.approvals.get(approval_id).status is ApprovalStatus.PENDING
    code = main(["--home", str(console.here.path), "grant", "create", "--agent", "me2",
                 "--connection", console.grant.claims.connections[0], "--verbs", "read,write"])  # fmt: skip
    assert code != 0
    assert "passkey" in capsys.readouterr().err
    # The control: a call tagged with none of the protected risks is still the CLI's to approve.
    unprotected = console.pause(tool="github_list_issues")
    assert main(["--home", str(console.here.path), "approvals", "approve", unprotected, "--yes"]) == 0
    assert console.here.approvals.get(unprotected).verified_by == "cli:no-tty"
    console.here.approvals.deny(approval_id, by="mona", reason="test over")


def test_every_page_is_readable_at_laptop_and_phone_widths(person: Any, console: Console) -> None:
    _, page, _ = person
    page.goto(console.link)
    for name in ("grants", "connections", "audit", "passkeys"):
        page.goto(f"{console.origin}/{name}")
        assert page.locator("h1").is_visible()
        shoot(page, name)
    page.goto(console.origin + "/approvals")
    shoot(page, "approvals-empty")
    assert (SCREENSHOTS / "grants-phone.png").stat().st_size > 0


# The page's own ceremony, run by hand so the test can aim its answer at another approval.
ASSERT_FOR = """async (purpose) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const b64 = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const o = await (await fetch('/passkeys/options', {method: 'POST', body: JSON.stringify({purpose}),
    headers: {'content-type': 'application/json', 'x-csrf-token': csrf}})).json();
  const c = await navigator.credentials.get({publicKey: {challenge: b64(o.challenge), rpId: o.rpId,
    userVerification: 'required',
    allowCredentials: o.allowCredentials.map((a) => ({type: a.type, id: b64(a.id)}))}});
  return JSON.stringify({id: c.id, rawId: enc(c.rawId), type: c.type, clientExtensionResults: {},
    response: {authenticatorData: enc(c.response.authenticatorData),
               clientDataJSON: enc(c.response.clientDataJSON),
               signature: enc(c.response.signature), userHandle: null}});
}"""
POST_APPROVAL = """async ([url, assertion]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = new URLSearchParams({csrf, assertion});
  return (await fetch(url, {method: 'POST', redirect: 'manual', body})).status;
}"""


def test_a_passkey_answer_approves_only_the_request_it_was_asked_for(person: Any, console: Console) -> None:
    _, page, _ = person
    page.goto(console.link)
    register_passkey(page, console)
    page.goto(console.origin + "/approvals")
    asked, other = console.pause("Comment A"), console.pause("Comment B")
    answer = page.evaluate(ASSERT_FOR, f"approve:{asked}")
    aimed_elsewhere = page.evaluate(POST_APPROVAL, [f"/approvals/{other}/approve", answer])
    assert aimed_elsewhere == 403
    assert console.here.approvals.get(other).status is ApprovalStatus.PENDING
    # The control: the same answer approves the request it was made for, once.
    assert page.evaluate(POST_APPROVAL, [f"/approvals/{asked}/approve", answer]) == 0  # a redirect
    assert console.here.approvals.get(asked).status is ApprovalStatus.APPROVED
    # An answer kept from an earlier ceremony is refused once a new one was asked for that request.
    stale = page.evaluate(ASSERT_FOR, f"approve:{other}")
    page.evaluate(ASSERT_FOR, f"approve:{other}")
    assert page.evaluate(POST_APPROVAL, [f"/approvals/{other}/approve", stale]) == 403
    assert console.here.approvals.get(other).status is ApprovalStatus.PENDING
    console.here.approvals.deny(other, by="mona", reason="test over")


def test_an_approval_written_past_the_cli_does_not_run_without_the_passkey(
    person: Any, console: Console, github_sandbox: GitHubSandbox
) -> None:
    _, page, _ = person
    page.goto(console.link)
    register_passkey(page, console)
    kit = agent(console)
    before = len(github_sandbox.state.comments("acme/web", 3))
    registered = "passkey:" + PasskeyStore(console.here.home).list()[0].credential_id
    for forged in ("none", "cli:tty", "passkey:not-a-registered-one", registered):
        approval_id = agent_asks_to_comment(kit, f"Self-approved ({forged}).")
        # What a shell can do without the CLI: call the store itself, claiming any verification.
        console.here.approvals.approve(approval_id, by="mona", verified_by=forged)
        result = kit.resume(approval_id)
        assert result.error is not None
        assert result.error["error"] == "grant_denied"
        assert "passkey" in result.error["message"]
    assert len(github_sandbox.state.comments("acme/web", 3)) == before
