// Charter console: live approvals (server-sent events), desktop notifications, passkey ceremonies.
// Served as a file under a strict Content-Security-Policy: no inline script anywhere.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;

function b64urlToBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function bytesToB64url(buffer) {
  let text = "";
  new Uint8Array(buffer).forEach((b) => { text += String.fromCharCode(b); });
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// An assertion of the registered passkey for one purpose ("approve:<id>" or "grant"), as JSON.
async function assertion(purpose) {
  const options = await post("/passkeys/options", { purpose });
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: b64urlToBytes(options.challenge),
      rpId: options.rpId,
      timeout: options.timeout,
      userVerification: options.userVerification,
      allowCredentials: (options.allowCredentials || []).map((c) => ({ type: c.type, id: b64urlToBytes(c.id) })),
    },
  });
  const r = credential.response;
  return JSON.stringify({
    id: credential.id,
    rawId: bytesToB64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: bytesToB64url(r.authenticatorData),
      clientDataJSON: bytesToB64url(r.clientDataJSON),
      signature: bytesToB64url(r.signature),
      userHandle: r.userHandle ? bytesToB64url(r.userHandle) : null,
    },
    clientExtensionResults: {},
  });
}

async function register(event) {
  event.preventDefault();
  const result = document.getElementById("register-result");
  try {
    const options = await post("/passkeys/options", { purpose: "register" });
    const credential = await navigator.credentials.create({
      publicKey: {
        challenge: b64urlToBytes(options.challenge),
        rp: options.rp,
        user: { id: b64urlToBytes(options.user.id), name: options.user.name, displayName: options.user.displayName },
        pubKeyCredParams: options.pubKeyCredParams,
        timeout: options.timeout,
        authenticatorSelection: options.authenticatorSelection,
        attestation: options.attestation,
        excludeCredentials: (options.excludeCredentials || []).map((c) => ({ type: c.type, id: b64urlToBytes(c.id) })),
      },
    });
    const r = credential.response;
    await post("/passkeys/register", {
      label: event.target.elements.label.value,
      credential: {
        id: credential.id,
        rawId: bytesToB64url(credential.rawId),
        type: credential.type,
        response: {
          attestationObject: bytesToB64url(r.attestationObject),
          clientDataJSON: bytesToB64url(r.clientDataJSON),
          transports: r.getTransports ? r.getTransports() : [],
        },
        clientExtensionResults: {},
      },
    });
    window.location.assign("/passkeys?done=registered");
  } catch (error) {
    result.textContent = "Not registered: " + error.message;
  }
}

// Forms marked data-passkey get the passkey's assertion before they are sent.
function guard(form) {
  form.addEventListener("submit", async (event) => {
    if (form.elements.assertion.value) return;
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      form.elements.assertion.value = await assertion(form.dataset.passkey);
      form.submit();
    } catch (error) {
      button.disabled = false;
      let shown = form.querySelector(".passkey-error");
      if (!shown) {
        shown = document.createElement("p");
        shown.className = "passkey-error error";
        form.append(shown);
      }
      shown.textContent = "Passkey not used: " + error.message;
    }
  });
}

function guardAll(root) {
  root.querySelectorAll("form[data-passkey]").forEach(guard);
}

function notify(count) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  new Notification("Charter: a decision is waiting", {
    body: count === 1 ? "An agent asks for your approval." : count + " agents ask for your approval.",
    tag: "charter-approvals",
  });
}

function live() {
  const list = document.getElementById("approvals");
  const badge = document.getElementById("pending-count");
  const source = new EventSource("/events");
  source.addEventListener("approvals", async (event) => {
    const data = JSON.parse(event.data);
    badge.textContent = data.pending.length ? String(data.pending.length) : "";
    if (data.new.length) notify(data.new.length);
    if (!list) return;
    const shown = Array.from(list.querySelectorAll("[data-approval]"), (el) => el.dataset.approval);
    if (shown.join() === data.pending.join()) return;
    const response = await fetch(list.dataset.live, { credentials: "same-origin" });
    if (response.ok) {
      list.innerHTML = await response.text();
      guardAll(list);
    }
  });
}

function notificationsButton() {
  const button = document.getElementById("notify");
  if (!button || !("Notification" in window) || Notification.permission !== "default") return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    button.hidden = true;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  guardAll(document);
  const form = document.getElementById("register");
  if (form) form.addEventListener("submit", register);
  notificationsButton();
  live();
});
