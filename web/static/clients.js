// OAuth clients and tenants, for admins: create a client (with sudo and
// tenants; its secret shown once), list and remove clients; create and
// list tenants.

import { t, fmtTime } from "./i18n.js";
import {
  $, api, say, sayError, focus, onSubmit, values, cell, button, actions, load, clearTable, showSecret, hideSecret, confirm,
} from "./ui.js";

let tenants = [];

function tenantBoxes() {
  const box = $("client-tenant-boxes");
  const ticked = new Set([...box.querySelectorAll("input:checked")].map((c) => c.value));
  box.replaceChildren(...tenants.map((tn) => {
    const l = document.createElement("label");
    l.className = "check";
    const c = document.createElement("input");
    c.type = "checkbox";
    c.name = "tenant";
    c.value = tn.code;
    c.checked = ticked.has(tn.code);
    l.append(c, " ", `${tn.name} (${tn.code})`);
    return l;
  }));
}

function tenantRow(tn) {
  const row = document.createElement("tr");
  row.dataset.code = tn.code;
  for (const v of [tn.id, tn.code, tn.name, fmtTime(tn.created_at)]) cell(row, v);
  return row;
}

async function loadTenants() {
  const data = await load($("tenants"), () => api("GET", "/api/tenants"), tenantRow, "tenants.none", loadTenants);
  if (data) tenants = data.data;
  tenantBoxes();
}

function clientRow(c) {
  const row = document.createElement("tr");
  row.dataset.id = c.id;
  const codes = c.tenant_ids.map((id) => (tenants.find((tn) => tn.id === id) || { code: `#${id}` }).code);
  cell(row, c.id);
  cell(row, t(c.sudo ? "answer.yes" : "answer.no"));
  cell(row, codes.length ? codes.join(", ") : t("clients.default_only"));
  cell(row, fmtTime(c.created_at));
  actions(row, button("clients.remove", "clients.remove_name", { id: c.id }, () => removeClient(c.id), "danger"));
  return row;
}

function loadClients() {
  return load($("clients"), () => api("GET", "/api/oauth2/clients"), clientRow, "clients.none");
}

async function createClient(form) {
  const id = values(form).id;
  if (!id) {
    say(t("clients.id_missing"), "error");
    focus(form.elements.id);
    return;
  }
  const codes = [...form.querySelectorAll("input[name=tenant]:checked")].map((c) => c.value);
  const r = await api("POST", "/api/oauth2/clients", { id, sudo: form.elements.sudo.checked ? 1 : 0, tenants: codes });
  if (!r.ok) {
    sayError(r, { 409: "err.client_taken" });
    focus(form.elements.id);
    return;
  }
  form.reset();
  say(t("clients.created", { id }));
  showSecret($("client-secret"), "clients.secret_title", { id }, r.data.data.client_secret, form.elements.id);
  await loadClients();
}

async function removeClient(id) {
  if (!(await confirm("clients.remove_title", "clients.remove_text", "clients.remove", { id }))) return;
  const r = await api("DELETE", "/api/oauth2/clients/" + encodeURIComponent(id));
  if (!r.ok) {
    sayError(r);
    return;
  }
  say(t("clients.removed", { id }));
  await loadClients();
  focus($("clients-region"));
}

async function createTenant(form) {
  const v = values(form);
  if (!v.code) {
    say(t("tenants.code_missing"), "error");
    focus(form.elements.code);
    return;
  }
  const r = await api("POST", "/api/tenants", { code: v.code, name: v.name });
  if (!r.ok) {
    sayError(r, { 409: "err.tenant_taken" });
    focus(form.elements.code);
    return;
  }
  form.reset();
  say(t("tenants.created", { code: v.code }));
  await loadTenants();
  focus($("tenants-region"));
}

export default {
  id: "clients",
  title: "clients.title",
  admin: true,
  init() {
    onSubmit($("client-new"), createClient);
    onSubmit($("tenant-new"), createTenant);
  },
  async show() {
    await loadTenants();
    await loadClients();
  },
  clear() {
    for (const f of ["client-new", "tenant-new"]) $(f).reset();
    tenants = [];
    $("client-tenant-boxes").replaceChildren();
    hideSecret($("client-secret"));
    clearTable($("clients"));
    clearTable($("tenants"));
  },
};
