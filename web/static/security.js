// Security, for admins: failing and locked logins with Unlock, and the
// audit trail with filters and pages.

import { t, fmtTime, fmtDuration } from "./i18n.js";
import {
  $, api, serverNow, say, sayError, focus, onSubmit, values, cell, button, actions, load, clearTable, pager,
} from "./ui.js";

const perPage = 20;
const query = { page: 1, login: "", kind: "", from: "", to: "" };

// lockRow shows a lock's time left on the server's clock.
function lockRow(l) {
  const row = document.createElement("tr");
  row.dataset.login = l.login;
  cell(row, l.login);
  cell(row, l.failures);
  cell(row, l.captcha_required ? t("locks.captcha_needed") : "—");
  const left = l.locked_until ? l.locked_until - serverNow() / 1000 : 0;
  cell(row, left > 0 ? t("locks.until", { time: fmtTime(l.locked_until), left: fmtDuration(left) }) : "—");
  actions(row, button("locks.unlock", "locks.unlock_name", { login: l.login }, () => unlock(l.login)));
  return row;
}

function loadLocks() {
  return load($("locks"), () => api("GET", "/api/locks"), lockRow, "locks.none");
}

async function unlock(name) {
  const r = await api("DELETE", "/api/locks/" + encodeURIComponent(name));
  if (!r.ok) {
    sayError(r);
    return;
  }
  say(t("locks.unlocked", { login: name }));
  await Promise.all([loadLocks(), listAudit()]);
  focus($("locks-region"));
}

// What the audit trail's kinds and outcomes say, in the chosen language.
function kindText(kind) {
  const kinds = {
    password: t("kind.password"), captcha: t("kind.captcha"), lock: t("kind.lock"), unlock: t("kind.unlock"),
    dev_key: t("kind.dev_key"), client_secret: t("kind.client_secret"), sudo: t("kind.sudo"),
    dev_key_created: t("kind.dev_key_created"), dev_key_revoked: t("kind.dev_key_revoked"),
    password_changed: t("kind.password_changed"), user_disabled: t("kind.user_disabled"),
    spraying: t("kind.spraying"), approval: t("kind.approval"), approval_ignored: t("kind.approval_ignored"),
  };
  return kinds[kind] || kind;
}

function outcomeText(outcome) {
  const fixed = { failure: t("outcome.failure"), required: t("outcome.required"), wrong: t("outcome.wrong") };
  if (fixed[outcome]) return fixed[outcome];
  let m = /^locked until (\S+)$/.exec(outcome);
  if (m) return t("outcome.locked_until", { time: fmtTime(m[1]) });
  m = /^by client (.+)$/.exec(outcome);
  if (m) return t("outcome.by_client", { client: m[1] });
  m = /^by (.+)$/.exec(outcome);
  if (m) return t("outcome.by", { login: m[1] });
  return outcome;
}

function auditRow(e) {
  const row = document.createElement("tr");
  cell(row, fmtTime(e.created_at, true));
  cell(row, e.login);
  cell(row, kindText(e.kind));
  cell(row, outcomeText(e.outcome));
  cell(row, e.address);
  return row;
}

// The filter's times are local; the server gets them as RFC 3339 (UTC).
function isoOf(local) { return local ? new Date(local).toISOString() : ""; }

async function listAudit(page = query.page) {
  query.page = page;
  const q = new URLSearchParams({ page, perPage, login: query.login, kind: query.kind, from: isoOf(query.from), to: isoOf(query.to) });
  const data = await load($("audit"), () => api("GET", "/api/audit?" + q), auditRow, "audit.none", () => listAudit(page));
  pager($("audit-pager"), data, perPage, async (p) => {
    await listAudit(p);
    focus($("audit-region"));
  });
}

export default {
  id: "security",
  title: "security.title",
  admin: true,
  init() {
    $("locks-refresh").addEventListener("click", async () => {
      await loadLocks();
      focus($("locks-region"));
    });
    onSubmit($("audit-filter"), async (form) => {
      const v = values(form);
      if (v.from && v.to && v.from >= v.to) {
        say(t("audit.bad_range"), "error");
        focus(form.elements.to);
        return;
      }
      Object.assign(query, v);
      await listAudit(1);
      focus($("audit-region"));
    });
    $("audit-filter").addEventListener("reset", () => {
      Object.assign(query, { login: "", kind: "", from: "", to: "" });
      listAudit(1);
    });
  },
  show: () => Promise.all([loadLocks(), listAudit()]),
  clear() {
    for (const el of $("audit-filter").elements) if (el.name) el.value = "";
    Object.assign(query, { page: 1, login: "", kind: "", from: "", to: "" });
    clearTable($("locks"));
    clearTable($("audit"));
    $("audit-pager").replaceChildren();
  },
};
