"use strict";
// The page keeps no secret: the session lives in an HttpOnly cookie, and
// every request says X-Requested-With, which the server demands of
// state-changing requests made with that cookie (a cross-site form cannot).

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { text }; }
  return { status: res.status, data };
}

function say(text, ok) {
  const m = $("message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
  m.hidden = !text;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  row.appendChild(td);
  return td;
}

function button(row, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  cell(row, "").appendChild(b);
}

function when(unix) { return unix ? new Date(unix * 1000).toLocaleString() : ""; }

let captchaId = "";

async function newCaptcha(audio) {
  const login = encodeURIComponent(document.querySelector("#login [name=login]").value);
  const r = await api("GET", "/api/captchas?login=" + login + (audio ? "&type=audio" : ""));
  if (r.status !== 200) { say(r.data.text || "Could not make a captcha"); return; }
  captchaId = String(r.data.data.captcha_id);
  $("captcha").hidden = false;
  if (audio) {
    $("captcha-sound").src = r.data.data.pic_path;
    $("captcha-sound").hidden = false;
    $("captcha-sound").play().catch(() => {});
  } else {
    $("captcha-image").src = r.data.data.pic_path;
    $("captcha-sound").hidden = true;
  }
}

async function login(ev) {
  ev.preventDefault();
  const f = new FormData($("login"));
  const body = { login: f.get("login"), password: f.get("password") };
  if (!$("captcha").hidden) { body.captcha_id = captchaId; body.captcha_str = f.get("captcha_str"); }
  const r = await api("POST", "/web/session", body);
  if (r.status === 200) { say(""); $("login").reset(); $("captcha").hidden = true; return showAccount(); }
  if (r.data.captcha_required) {
    say(r.data.text === "Wrong Captcha" ? "Wrong characters; here is a new picture." : "Please type the characters in the picture.");
    return newCaptcha(false);
  }
  if (r.status === 429) {
    const minutes = Math.ceil((r.data.retry_after || 0) / 60);
    return say("Too many failed attempts: this login is locked for " + minutes + " more minutes.");
  }
  say(r.data.text || "Login failed");
}

async function logout() {
  await api("DELETE", "/web/session");
  say("Logged out.", true);
  showLogin();
}

function showLogin() {
  $("account").hidden = true;
  $("login").hidden = false;
}

async function showAccount() {
  const me = await api("GET", "/api/users/me");
  if (me.status !== 200) return showLogin();
  $("login").hidden = true;
  $("account").hidden = false;
  $("me-login").textContent = me.data.login;
  $("me-role").textContent = me.data.is_super ? "(admin)" : "";
  await loadDevKeys();
  $("admin").hidden = !me.data.is_super;
  if (me.data.is_super) { await loadUsers(); await loadLocks(); }
}

async function loadDevKeys() {
  const r = await api("GET", "/api/dev_keys");
  const body = $("devkeys");
  body.replaceChildren();
  for (const k of r.data.data || []) {
    const row = body.insertRow();
    [k.id, k.label, k.prefix + "…", k.created_at, k.last_used_at || "never"].forEach((v) => cell(row, v));
    button(row, "Revoke", async () => {
      const d = await api("DELETE", "/api/dev_keys/" + k.id);
      say(d.status === 200 ? "Revoked." : d.data.text, d.status === 200);
      loadDevKeys();
    });
  }
}

async function createDevKey(ev) {
  ev.preventDefault();
  const label = new FormData($("devkey-new")).get("label");
  const r = await api("POST", "/api/dev_keys", { label });
  if (r.status !== 200) { say(r.data.text); return; }
  $("devkey-value").textContent = r.data.data.dev_key;
  $("devkey-shown").hidden = false;
  $("devkey-new").reset();
  loadDevKeys();
}

async function loadUsers() {
  const r = await api("GET", "/api/users?perPage=1000");
  const body = $("users");
  body.replaceChildren();
  for (const u of r.data.data || []) {
    const row = body.insertRow();
    [u.id, u.login, u.name, u.is_super ? "yes" : "", u.disabled ? "yes" : "", u.last_login_at || ""].forEach((v) => cell(row, v));
  }
}

async function loadLocks() {
  const r = await api("GET", "/api/locks");
  const body = $("locks");
  body.replaceChildren();
  for (const l of r.data.data || []) {
    const row = body.insertRow();
    [l.login, l.failures, l.captcha_required ? "needed" : "", when(l.locked_until)].forEach((v) => cell(row, v));
    button(row, "Unlock", async () => {
      const d = await api("DELETE", "/api/locks/" + encodeURIComponent(l.login));
      say(d.status === 200 ? "Unlocked " + l.login + "." : d.data.text, d.status === 200);
      loadLocks();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("devkey-new").addEventListener("submit", createDevKey);
  $("captcha-new").addEventListener("click", () => newCaptcha(false));
  $("captcha-audio").addEventListener("click", () => newCaptcha(true));
  showAccount();
});
