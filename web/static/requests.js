// Requests (CONTRACT section 7): ask for a dev_key, follow one's requests
// and their decisions, withdraw one while it waits and claim an approved
// dev_key once; for admins, the requests waiting for a decision, with
// Approve and Reject, and how the platforms are doing. A platform's message
// links to one request as /?approval=ID, which app.js hands to open().

import { t, label, fmtTime, errorText } from "./i18n.js";
import {
  $, api, state, serverNow, say, sayError, focus, onSubmit, values, cell, button, actions, load, clearTable, pager,
  showSecret, hideSecret, confirm, formDialog,
} from "./ui.js";

const perPage = 20;
const query = { page: 1, state: "" };
let pendingPage = 1;
let linked = null; // { id, fresh }: the request a link opened, shown above the lists

// An approved dev_key is claimed within 24 hours of the approval.
const claimWithin = 24 * 3600;

const isAdmin = () => !!(state.me && state.me.is_super);
const mine = (a) => !!state.me && a.user_id === state.me.id;

// claimBy is when one's own approved dev_key stops being claimable (unix
// seconds), or null.
function claimBy(a) {
  if (a.state !== "approved" || a.kind !== "dev_key" || !mine(a) || !a.decided_at) return null;
  return Date.parse(a.decided_at) / 1000 + claimWithin;
}
const claimable = (a) => claimBy(a) !== null && claimBy(a) * 1000 > serverNow();

function platformName(name) {
  const names = {
    dingtalk: t("platform.dingtalk"), feishu: t("platform.feishu"), coding: t("platform.coding"),
    dingtalk_robot: t("platform.dingtalk_robot"), feishu_robot: t("platform.feishu_robot"),
  };
  return names[name] || name;
}

function requestText(a) {
  if (a.kind === "unlock") return t("approvals.unlock");
  if (a.kind === "dev_key") return a.label ? t("approvals.dev_key_named", { label: a.label }) : t("approvals.dev_key");
  return a.kind;
}

function stateText(a) {
  if (claimBy(a) !== null) { // the server marks it expired at its next round
    return claimable(a) ? t("state.approved_claim", { time: fmtTime(claimBy(a)) }) : t("state.expired");
  }
  if (a.state === "pending" && a.platform && a.platform !== "web") {
    return t("state.pending_on", { platform: platformName(a.platform) });
  }
  const states = {
    pending: t("state.pending"), approved: t("state.approved"), rejected: t("state.rejected"),
    canceled: t("state.canceled"), claimed: t("state.claimed"), expired: t("state.expired"),
  };
  return states[a.state] || a.state;
}

// decision says who decided and when, and the admin's remark.
function decision(a) {
  const box = document.createElement("span");
  if (!a.decided_at) {
    box.textContent = "—";
    return box;
  }
  box.textContent = a.decided_by ? t("approvals.decided_by", { login: a.decided_by, time: fmtTime(a.decided_at) }) : fmtTime(a.decided_at);
  if (a.remark) {
    const remark = document.createElement("span");
    remark.className = "remark";
    remark.textContent = t("approvals.remark_is", { remark: a.remark });
    box.append(remark);
  }
  return box;
}

// actionsOf are the buttons a request offers the person looking at it
// (Approve and Reject only where decide says); home() is where the focus
// goes once the lists are refreshed.
function actionsOf(a, decide, home) {
  const p = { id: a.id, login: a.login };
  const out = [];
  if (mine(a) && a.state === "pending") {
    out.push(button("approvals.withdraw", "approvals.withdraw_name", p, () => withdraw(a, home), "danger"));
  }
  if (claimable(a)) {
    out.push(button("approvals.claim", "approvals.claim_name", p, () => claim(a, home), "primary"));
  }
  if (decide && isAdmin() && !mine(a) && a.state === "pending") { // the server refuses one's own
    out.push(button("approvals.approve", "approvals.approve_name", p, () => decideOn(a, true, home)),
      button("approvals.reject", "approvals.reject_name", p, () => decideOn(a, false, home), "danger"));
  }
  return out;
}

function row(a, ...contents) {
  const tr = document.createElement("tr");
  tr.dataset.id = String(a.id);
  for (const c of contents) cell(tr, c);
  return tr;
}

function pendingRow(a) {
  const tr = row(a, a.id, a.login, requestText(a), a.reason, fmtTime(a.created_at));
  const td = actions(tr, ...actionsOf(a, true, () => $("pending-region")));
  if (mine(a)) {
    const yours = label(document.createElement("span"), "pending.yours");
    yours.className = "badge";
    td.append(yours);
  }
  return tr;
}

function historyRow(a) {
  const tr = row(a, a.id, a.login, requestText(a), a.reason, stateText(a), decision(a), fmtTime(a.created_at));
  actions(tr, ...actionsOf(a, false, () => $("approvals-region")));
  return tr;
}

// listed loads one page of a list into tbody with its pager; when the
// page came back empty (its last rows were decided), the last page.
async function listed(tbody, nav, params, render, emptyKey, page, go) {
  const q = new URLSearchParams({ ...params, page, perPage });
  const data = await load(tbody, () => api("GET", "/api/approvals?" + q), render, emptyKey, () => go(page));
  pager(nav, data, perPage, async (p) => {
    await go(p);
    focus(tbody.closest(".table-wrap"));
  });
  if (data && data.data.length === 0 && data.rowCount > 0 && page > 1) await go(Math.ceil(data.rowCount / perPage));
}

function listPending(page = pendingPage) {
  pendingPage = page;
  return listed($("pending"), $("pending-pager"), { state: "pending" }, pendingRow, "pending.none", page, listPending);
}

function listApprovals(page = query.page) {
  query.page = page;
  return listed($("approvals"), $("approvals-pager"), { state: query.state }, historyRow, "approvals.none", page, listApprovals);
}

function integrationRow(s) {
  const tr = document.createElement("tr");
  tr.dataset.name = s.name;
  const status = !s.configured ? "integrations.off" : s.ok ? "integrations.ok" : "integrations.failing";
  for (const c of [platformName(s.name), t(s.configured ? "answer.yes" : "answer.no"), t(status), s.last_error || "—",
    s.last_success_at ? fmtTime(s.last_success_at) : t("never"), s.pending]) cell(tr, c);
  return tr;
}

function loadIntegrations() {
  return load($("integrations"), () => api("GET", "/api/integrations"), integrationRow, "integrations.none");
}

// The request a link opened ---------------------------------------------------

function fillDetail(a) {
  label($("approval-detail-title"), "approvals.detail_title", { id: a.id });
  const fields = [
    ["approvals.requester", a.login], ["approvals.request", requestText(a)], ["approvals.reason", a.reason || "—"],
    ["approvals.state", stateText(a)], ["approvals.decision", decision(a)], ["approvals.requested", fmtTime(a.created_at)],
  ];
  $("approval-detail-fields").replaceChildren(...fields.flatMap(([key, v]) => {
    const dd = document.createElement("dd");
    dd.append(v);
    return [label(document.createElement("dt"), key), dd];
  }));
  const close = document.createElement("button");
  close.type = "button";
  label(close, "approvals.detail_close");
  close.addEventListener("click", () => {
    linked = null;
    $("approval-detail").hidden = true;
    focus($("requests-title"));
  });
  $("approval-detail-actions").replaceChildren(...actionsOf(a, true, () => $("approval-detail-title")), close);
  $("approval-detail").hidden = false;
}

async function showLinked() {
  if (!linked) {
    $("approval-detail").hidden = true;
    return;
  }
  const r = await api("GET", "/api/approvals/" + linked.id);
  if (!r.ok) {
    linked = null;
    $("approval-detail").hidden = true;
    sayError(r, { 404: "approvals.not_found" });
    return;
  }
  fillDetail(r.data.data);
  if (linked.fresh) {
    linked.fresh = false;
    focus($("approval-detail-title"));
  }
}

function refresh() {
  const work = [listApprovals(), showLinked()];
  if (isAdmin()) work.push(listPending());
  return Promise.all(work);
}

// Actions ---------------------------------------------------------------------

async function withdraw(a, home) {
  if (!(await confirm("approvals.withdraw_title", "approvals.withdraw_text", "approvals.withdraw", { id: a.id }))) return;
  const r = await api("DELETE", `/api/approvals/${a.id}`);
  if (r.ok) say(t("approvals.withdrawn", { id: a.id }));
  else sayError(r, { "Already Decided": "err.withdraw_decided" });
  await refresh();
  focus(home());
}

// claim shows the dev_key of an approved request, the one time the server
// gives it; refusals (claimed already, expired) are explained.
async function claim(a, home) {
  const r = await api("POST", `/api/approvals/${a.id}/claim`);
  if (!r.ok) {
    sayError(r);
    await refresh();
    focus(home());
    return;
  }
  const k = r.data.data;
  showSecret($("requests-secret"), "devkeys.secret_title", { name: k.label || k.id }, k.dev_key, home());
  await refresh();
}

async function decideOn(a, approve, home) {
  const f = $("decide-form");
  const p = { id: a.id, login: a.login };
  f.reset();
  label($("decide-title"), approve ? "decide.approve_title" : "decide.reject_title", p);
  label($("decide-text"), "decide.text", { request: requestText(a), reason: a.reason || "—" });
  label($("decide-ok"), approve ? "approvals.approve" : "approvals.reject");
  $("decide-ok").className = approve ? "primary" : "danger";
  setTimeout(() => focus(f.elements.remark), 0);
  const r = await formDialog($("decide-dialog"), async (fail) => {
    const res = await api("POST", `/api/approvals/${a.id}/${approve ? "approve" : "reject"}`, { remark: values(f).remark });
    if (res.ok || res.data.text === "Already Decided") return res; // the lists show how it was decided
    return fail(errorText(res), f.elements.remark);
  });
  if (!r) return;
  if (r.ok) say(t(approve ? "approvals.approved" : "approvals.rejected", p));
  else sayError(r);
  await refresh();
  focus(home());
}

async function requestKey(form) {
  const v = values(form);
  const r = await api("POST", "/api/dev_keys", { label: v.label, reason: v.reason });
  if (!r.ok) {
    sayError(r);
    focus(form.elements.label);
    return;
  }
  form.reset();
  if (r.status !== 202) { // no approval needed: the key, once
    showSecret($("requests-secret"), "devkeys.secret_title", { name: v.label || r.data.data.id }, r.data.data.dev_key, form.elements.label);
    return;
  }
  say(t("request_key.sent", { id: r.data.data.id }));
  $("apf-state").value = query.state = "";
  await listApprovals(1);
  focus($("approvals-region"));
}

export default {
  id: "requests",
  title: "requests.title",
  admin: false,
  init() {
    onSubmit($("request-key"), requestKey);
    onSubmit($("approvals-filter"), async (form) => {
      query.state = values(form).state;
      await listApprovals(1);
      focus($("approvals-region"));
    });
    const refreshing = (id, list, region) => $(id).addEventListener("click", async () => {
      await list();
      focus($(region));
    });
    refreshing("approvals-refresh", listApprovals, "approvals-region");
    refreshing("pending-refresh", listPending, "pending-region");
    refreshing("integrations-refresh", loadIntegrations, "integrations-region");
  },
  // open shows the request id above the lists the next time the view shows.
  open(id) {
    linked = { id, fresh: true };
  },
  async show() {
    const admin = isAdmin();
    $("pending-card").hidden = !admin;
    $("integrations-card").hidden = !admin;
    label($("approvals-title"), admin ? "approvals.all" : "approvals.mine");
    const work = [refresh()];
    if (admin) work.push(loadIntegrations());
    await Promise.all(work);
  },
  clear() {
    linked = null;
    $("approval-detail").hidden = true;
    $("approval-detail-fields").replaceChildren();
    $("approval-detail-actions").replaceChildren();
    for (const f of ["request-key", "approvals-filter"]) $(f).reset();
    Object.assign(query, { page: 1, state: "" });
    pendingPage = 1;
    hideSecret($("requests-secret"));
    for (const id of ["pending", "approvals", "integrations"]) clearTable($(id));
    for (const id of ["pending-pager", "approvals-pager"]) $(id).replaceChildren();
  },
};
