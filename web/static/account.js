// My account: profile, session, password, own dev_keys.

import { t, label, fmtTime, fmtRelative } from "./i18n.js";
import {
  $, api, state, applySession, serverNow, say, sayError, focus, onSubmit, values, captcha, answerRefusal,
  cell, button, actions, load, clearTable, showSecret, hideSecret, confirm,
} from "./ui.js";

let pwCaptcha;
let profileDirty = false;

function renderSession() {
  const info = $("session-info");
  if (!state.expires) {
    info.replaceChildren();
    return;
  }
  label(info, "account.session", {
    login: state.me.login, time: fmtTime(state.expires), left: fmtRelative(state.expires * 1000 - serverNow()),
  });
}

function fillProfile() {
  const f = $("profile");
  $("profile-login").textContent = state.me.login;
  for (const k of ["name", "email", "mobile"]) f.elements[k].value = state.me[k] || "";
  profileDirty = false;
}

async function saveProfile(form) {
  const v = values(form);
  const r = await api("PUT", `/api/users/${state.me.id}`, { name: v.name, email: v.email, mobile: v.mobile });
  if (!r.ok) {
    sayError(r, { 409: "err.contact_taken" });
    return;
  }
  state.me = r.data.data;
  fillProfile();
  say(t("profile.saved"));
}

async function changePassword(form) {
  const v = values(form);
  const old = form.elements.old_password;
  const pw = form.elements.password;
  const missing = [old, pw, form.elements.repeat].find((el) => !el.value);
  if (missing) {
    say(t("password.missing"), "error");
    focus(missing);
    return;
  }
  if (pw.value !== form.elements.repeat.value) {
    say(t("password.mismatch"), "error");
    focus(form.elements.repeat);
    return;
  }
  const body = { old_password: old.value, password: pw.value, revoke_dev_keys: v.revoke_dev_keys ? 1 : 0, ...pwCaptcha.fields() };
  const r = await api("PUT", `/api/users/${state.me.id}`, body);
  if (r.ok) {
    form.reset();
    pwCaptcha.hide();
    say(t(v.revoke_dev_keys ? "password.changed_revoked" : "password.changed"));
    focus($("password-title"));
    if (v.revoke_dev_keys) await loadKeys();
    return;
  }
  if (await answerRefusal(r, pwCaptcha) && r.data.text === "Wrong Old Password") {
    old.value = "";
    focus(old);
  }
}

function keyRow(k) {
  const row = document.createElement("tr");
  row.dataset.id = String(k.id);
  cell(row, k.id);
  cell(row, k.label);
  cell(row, k.prefix + "…");
  cell(row, fmtTime(k.created_at));
  cell(row, k.last_used_at ? fmtTime(k.last_used_at) : t("never"));
  const name = k.label || k.prefix;
  actions(row, button("devkeys.revoke", "devkeys.revoke_name", { name }, () => revokeKey(k, name), "danger"));
  return row;
}

function loadKeys() {
  return load($("devkeys"), () => api("GET", "/api/dev_keys"), keyRow, "devkeys.none");
}

async function revokeKey(k, name) {
  if (!(await confirm("devkeys.revoke_title", "devkeys.revoke_text", "devkeys.revoke", { name }))) return;
  const r = await api("DELETE", `/api/dev_keys/${k.id}`);
  if (!r.ok) {
    sayError(r);
    return;
  }
  say(t("devkeys.revoked", { name }));
  await loadKeys();
  focus($("devkeys").closest(".table-wrap"));
}

async function createKey(form) {
  const labelText = values(form).label;
  const r = await api("POST", "/api/dev_keys", { label: labelText });
  if (!r.ok) {
    sayError(r);
    return;
  }
  form.reset();
  if (r.status === 202) { // an admin approves it first; it is claimed under Requests
    say(t("devkeys.requested", { id: r.data.data.id }));
    return;
  }
  showSecret($("devkey-secret"), "devkeys.secret_title", { name: labelText || r.data.data.id }, r.data.data.dev_key, $("devkey-label"));
  await loadKeys();
}

export default {
  id: "account",
  title: "account.title",
  admin: false,
  init() {
    pwCaptcha = captcha($("password-form").querySelector(".captcha-slot"), () => (state.me ? state.me.login : ""));
    onSubmit($("profile"), saveProfile);
    onSubmit($("password-form"), changePassword);
    onSubmit($("devkey-new"), createKey);
    $("profile").addEventListener("input", () => { profileDirty = true; });
  },
  async show() {
    const r = await api("GET", "/web/session");
    if (r.ok) applySession(r.data);
    if (!state.me) return; // the session ended: the login shows
    if (!profileDirty) fillProfile();
    renderSession();
    await loadKeys();
  },
  clear() {
    for (const f of ["profile", "password-form", "devkey-new"]) $(f).reset();
    if (pwCaptcha) pwCaptcha.hide();
    profileDirty = false;
    $("session-info").replaceChildren();
    hideSecret($("devkey-secret"));
    clearTable($("devkeys"));
  },
};
