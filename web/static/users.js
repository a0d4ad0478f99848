// Users, for admins: search and pages, create, edit, disable and enable,
// reset a password, make or drop admin, delete.

import { t, label, fmtTime, errorText as errorFor } from "./i18n.js";
import {
  $, api, state, say, sayError, focus, busy, onSubmit, values, cell, button, actions, load, clearTable, pager,
  showSecret, hideSecret, confirm, formDialog, passwordChoice,
} from "./ui.js";

const perPage = 20;
const query = { page: 1, login: "", name: "", type: "" };
let tenants = [];
let createChoice;
let resetChoice;

// The last enabled super admin cannot be disabled, deleted or demoted
// (409); the page says why and what to do instead.
const lastAdmin = { "The last enabled super admin cannot be disabled or deleted": "err.last_super_admin_explained" };

function badge(key) {
  const s = document.createElement("span");
  s.className = "badge";
  return label(s, key);
}

function userRow(u) {
  const row = document.createElement("tr");
  row.dataset.login = u.login;
  const self = state.me && u.id === state.me.id;
  const p = { login: u.login };
  cell(row, u.id);
  const who = document.createElement("span"); // one box, so a phone's card keeps it on one line
  who.append(u.login);
  if (self) who.append(" ", badge("users.you"));
  cell(row, who);
  cell(row, u.name);
  cell(row, t(u.type === "AGENT" ? "type.AGENT" : "type.NORMAL"));
  cell(row, t(u.is_super ? "users.admin" : "users.user"));
  cell(row, t(u.disabled ? "users.disabled" : "users.enabled"));
  cell(row, u.last_login_at ? fmtTime(u.last_login_at) : t("never"));
  const buttons = [button("users.edit", "users.edit_name", p, () => edit(u))];
  buttons.push(u.disabled
    ? button("users.enable", "users.enable_name", p, () => change(u, { disabled: 0 }, "users.enabled_done"))
    : button("users.disable", "users.disable_name", p, () => change(u, { disabled: 1 }, "users.disabled_done")));
  if (!self) buttons.push(button("users.reset", "users.reset_name", p, () => reset(u)));
  buttons.push(u.is_super
    ? button("users.drop_admin", "users.drop_admin_name", p, () => change(u, { is_super: 0 }, "users.dropped_admin"))
    : button("users.make_admin", "users.make_admin_name", p, () => change(u, { is_super: 1 }, "users.made_admin")));
  buttons.push(button("users.delete", "users.delete_name", p, () => remove(u), "danger"));
  actions(row, ...buttons);
  return row;
}

async function list(page = query.page) {
  query.page = page;
  const q = new URLSearchParams({ page, perPage, login: query.login, name: query.name, type: query.type });
  const data = await load($("users"), () => api("GET", "/api/users?" + q), userRow, "users.none", () => list(page));
  pager($("users-pager"), data, perPage, async (p) => {
    await list(p);
    focus($("users-region"));
  });
  if (data && data.data.length === 0 && data.rowCount > 0 && page > 1) { // the last row of the last page went
    await list(Math.ceil(data.rowCount / perPage));
  }
}

// focusRow puts the focus on a row's button after the list reloads, or on
// the table when the row is gone.
function focusRow(login, action) {
  const row = [...$("users").rows].find((r) => r.dataset.login === login);
  const b = row && (row.querySelector(`button[data-action="${action}"]`) || row.querySelector("button"));
  focus(b || $("users-region"));
}

async function change(u, body, doneKey) {
  const r = await api("PUT", `/api/users/${u.id}`, body);
  if (!r.ok) {
    sayError(r, lastAdmin);
    return;
  }
  say(t(doneKey, { login: u.login }));
  await list();
  const toggled = { disabled: body.disabled ? "enable" : "disable", is_super: body.is_super ? "drop_admin" : "make_admin" };
  focusRow(u.login, toggled[Object.keys(body)[0]]);
}

async function remove(u) {
  if (!(await confirm("users.delete_title", "users.delete_text", "users.delete", { login: u.login }))) return;
  const r = await api("DELETE", `/api/users/${u.id}`);
  if (!r.ok) {
    sayError(r, lastAdmin);
    return;
  }
  say(t("users.deleted", { login: u.login }));
  await list();
  focus($("users-region"));
}

async function loadTenants() {
  const r = await api("GET", "/api/tenants");
  if (r.ok) tenants = r.data.data;
  const select = $("ud-tenant");
  select.replaceChildren(...tenants.map((tn) => new Option(`${tn.name} (${tn.code})`, String(tn.id))));
}

// openUserDialog shows the create or edit form filled from u.
async function openUserDialog(u, submit) {
  await loadTenants();
  const d = $("user-dialog");
  const f = $("user-form");
  const creating = !u;
  f.reset();
  createChoice.reset();
  for (const el of d.querySelectorAll(".create-only")) el.hidden = !creating;
  label($("user-dialog-title"), creating ? "users.add" : "users.edit_title", { login: u ? u.login : "" });
  if (u) {
    for (const k of ["name", "email", "mobile", "tel", "extn_id", "type"]) f.elements[k].value = u[k] || "";
    f.elements.tenant_id.value = String(u.tenant_id);
  }
  setTimeout(() => focus(creating ? f.elements.login : f.elements.name), 0);
  return formDialog(d, submit);
}

function fields(f) {
  const v = values(f);
  const out = { name: v.name, email: v.email, mobile: v.mobile, tel: v.tel, extn_id: v.extn_id, type: v.type };
  if (v.tenant_id) out.tenant_id = Number(v.tenant_id); // none when the tenants could not be read
  return out;
}

async function create() {
  const f = $("user-form");
  const done = await openUserDialog(null, async (fail) => {
    const v = values(f);
    if (!v.login) return fail(t("err.login_required"), f.elements.login);
    const pw = createChoice.pick();
    if (!pw.password) return fail(t("err.password_required"), createChoice.input);
    const body = { login: v.login, password: pw.password, is_super: v.is_super ? 1 : 0, ...fields(f) };
    const r = await api("POST", "/api/users", body);
    if (!r.ok) return fail(errorFor(r, { 409: "err.user_taken" }), f.elements.login);
    return { user: r.data.data, ...pw };
  });
  if (!done) return;
  say(t("users.created", { login: done.user.login }));
  await list();
  if (done.generated) showSecret($("user-secret"), "users.password_of", { login: done.user.login }, done.password, $("user-add"));
  else focusRow(done.user.login, "edit");
}

async function edit(u) {
  const f = $("user-form");
  const done = await openUserDialog(u, async (fail) => {
    const r = await api("PUT", `/api/users/${u.id}`, fields(f));
    if (!r.ok) return fail(errorFor(r, { 409: "err.contact_taken" }), f.elements.name);
    return r.data.data;
  });
  if (!done) return;
  say(t("users.saved", { login: u.login }));
  await list();
  focusRow(u.login, "edit");
}

async function reset(u) {
  const f = $("reset-form");
  f.reset();
  resetChoice.reset();
  label($("reset-title"), "users.reset_title", { login: u.login });
  const done = await formDialog($("reset-dialog"), async (fail) => {
    const pw = resetChoice.pick();
    if (!pw.password) return fail(t("err.password_required"), resetChoice.input);
    const r = await api("PUT", `/api/users/${u.id}`, { password: pw.password });
    if (!r.ok) return fail(errorFor(r), resetChoice.input);
    return pw;
  });
  if (!done) return;
  say(t("users.reset_done", { login: u.login }));
  if (done.generated) showSecret($("user-secret"), "users.password_of", { login: u.login }, done.password, $("users-region"));
  else focusRow(u.login, "reset");
}

export default {
  id: "users",
  title: "users.title",
  admin: true,
  init() {
    createChoice = passwordChoice($("user-form"));
    resetChoice = passwordChoice($("reset-form"));
    onSubmit($("user-filter"), async (form) => {
      Object.assign(query, values(form));
      await list(1);
      focus($("users-region"));
    });
    $("user-filter").addEventListener("reset", () => {
      Object.assign(query, { login: "", name: "", type: "" });
      list(1);
    });
    $("user-add").addEventListener("click", () => busy($("user-add"), create));
  },
  show: () => list(),
  clear() {
    for (const el of $("user-filter").elements) if (el.name) el.value = "";
    Object.assign(query, { page: 1, login: "", name: "", type: "" });
    hideSecret($("user-secret"));
    clearTable($("users"));
    $("users-pager").replaceChildren();
  },
};
