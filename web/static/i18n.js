// Languages: Simplified Chinese and English. The words live in lang-zh.json
// and lang-en.json (the same keys; a Go test checks that every key the page
// uses is in both). The choice comes from the browser unless the person
// picked one, which is kept in localStorage: it is no secret.

const STORE_KEY = "xtraauth-lang";
const LOCALES = { zh: "zh-CN", en: "en" };
let lang = "en";
let words = {};

function initialLang() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (saved in LOCALES) return saved;
  } catch (e) { /* storage may be off; the browser's language then decides */ }
  for (const l of navigator.languages || [navigator.language || ""]) {
    if (/^zh\b/i.test(l)) return "zh";
    if (/^en\b/i.test(l)) return "en";
  }
  return "en";
}

async function load(l) {
  const res = await fetch(`/web/lang-${l}.json`, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`lang-${l}.json: ${res.status}`);
  words = await res.json();
  lang = l;
  document.documentElement.lang = LOCALES[l];
}

// start loads the language the browser or an earlier choice names.
export async function start() {
  await load(initialLang());
  translate(document);
}

// choose switches the language and remembers the choice.
export async function choose(l) {
  if (!(l in LOCALES)) return;
  await load(l);
  try { localStorage.setItem(STORE_KEY, l); } catch (e) { /* not remembered, still switched */ }
  translate(document);
}

export function current() { return lang; }
export function locale() { return LOCALES[lang]; }

// t looks a key up and fills its {placeholders}.
export function t(key, params = {}) {
  const s = words[key];
  if (s === undefined) return key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// translate fills every element under root that names its words:
// data-i18n (text, with data-i18n-params as JSON) and data-i18n-alt,
// -aria-label, -placeholder for attributes.
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const params = el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : {};
    el.textContent = t(el.dataset.i18n, params);
  }
  for (const attr of ["alt", "aria-label", "placeholder"]) {
    const data = "data-i18n-" + attr;
    for (const el of root.querySelectorAll(`[${data}]`)) el.setAttribute(attr, t(el.getAttribute(data)));
  }
}

// label sets an element's words by key, so that a later switch of
// language translates it again.
export function label(el, key, params) {
  el.dataset.i18n = key;
  if (params) el.dataset.i18nParams = JSON.stringify(params);
  else delete el.dataset.i18nParams;
  el.textContent = t(key, params);
  return el;
}

// Times: server times are unix seconds or RFC 3339; people see local time.
function toDate(v) { return new Date(typeof v === "number" ? v * 1000 : v); }

export function fmtTime(v, seconds = false) {
  if (v === null || v === undefined || v === "") return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: seconds ? "medium" : "short" }).format(toDate(v));
}

function unit(n, u) {
  return new Intl.NumberFormat(locale(), { style: "unit", unit: u, unitDisplay: "long" }).format(n);
}

// fmtDuration says how long a number of seconds is: "37 minutes",
// "1 hour, 5 minutes", "3 days".
export function fmtDuration(secs) {
  const s = Math.max(0, Math.ceil(secs));
  if (s < 60) return unit(s, "second");
  const m = Math.ceil(s / 60);
  if (m < 60) return unit(m, "minute");
  const h = Math.floor(m / 60);
  if (h >= 48) return unit(Math.round(h / 24), "day");
  const rest = m % 60;
  if (!rest) return unit(h, "hour");
  return new Intl.ListFormat(locale(), { type: "unit", style: "long" }).format([unit(h, "hour"), unit(rest, "minute")]);
}

// fmtRelative says when something is from now: "in 23 hours", "5 minutes ago".
export function fmtRelative(ms) {
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  const s = Math.round(ms / 1000);
  const a = Math.abs(s);
  if (a < 60) return rtf.format(s, "second");
  if (a < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (a < 48 * 3600) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}

// The server's error texts stay as the contract has them; the page shows
// the ones it knows in the chosen language.
const errorKeys = {
  "Wrong username or password": "err.wrong_credentials",
  "Captcha Required": "err.captcha_required",
  "Wrong Captcha": "err.wrong_captcha",
  "Too Many Requests": "err.too_many_requests",
  "Not Authorized": "err.not_authorized",
  "Forbidden": "err.forbidden",
  "Forbidden: send X-Requested-With: XMLHttpRequest with a cookie": "err.forbidden",
  "Wrong Old Password": "err.wrong_old_password",
  "Already Exists": "err.already_exists",
  "The last enabled super admin cannot be disabled or deleted": "err.last_super_admin",
  "Service Unavailable": "err.unavailable",
  "Internal Error": "err.internal",
  "Not Found": "err.not_found",
  "Request Entity Too Large": "err.too_large",
  "Malformed Body": "err.malformed",
  "Already Decided": "err.already_decided",
  "Already Claimed": "err.already_claimed",
  "Expired": "err.expired",
  "Not Approved": "err.not_approved",
  "Cannot Decide Own Request": "err.own_request",
  "login is required": "err.login_required",
  "password is required": "err.password_required",
  "login is too long": "err.login_too_long",
  "password is too long": "err.password_too_long",
  "old_password is required to change your own password": "err.old_password_required",
  "login must not contain spaces at the ends or control characters": "err.login_chars",
  "type must be NORMAL or AGENT": "err.type",
  "revoke_dev_keys goes with a new password": "err.revoke_needs_password",
  "client id must be 1 to 128 characters without ':' or control characters": "err.client_id",
  "tenant code must be 1 to 64 characters without spaces or control characters": "err.tenant_code",
  "tenant name must be at most 255 bytes without control characters": "err.tenant_name",
  "from must be an RFC 3339 time or unix seconds": "err.time",
  "to must be an RFC 3339 time or unix seconds": "err.time",
};

const fieldKeys = {
  login: "field.login", password: "field.password", name: "field.name", email: "field.email",
  mobile: "field.mobile", tel: "field.tel", extn_id: "field.extn", label: "devkeys.label",
  domain: "field.domain", context: "field.context", reason: "approvals.reason", remark: "field.remark",
};

const errorPatterns = [
  [/^(\w+) is longer than (\d+) bytes$/, (m) => t("err.too_long", { field: t(fieldKeys[m[1]] || m[1]), n: m[2] })],
  [/^tenant_id (\d+) does not exist$/, (m) => t("err.no_tenant", { id: m[1] })],
  [/^unknown tenant in (.*)$/, (m) => t("err.unknown_tenant", { codes: m[1] })],
];

// errorText says what went wrong with a request, in the chosen language.
// overrides name keys for texts or statuses that mean something more
// precise where the request was made (409 when creating a user...).
export function errorText(r, overrides = {}) {
  if (r.status === 0) return t("err.network");
  const text = (r.data && (r.data.text || r.data.message)) || "";
  const key = overrides[text] || overrides[r.status];
  if (key) return t(key);
  if (text === "Too Many Failed Attempts") return t("err.locked", { left: fmtDuration(r.data.retry_after || 0) });
  if (errorKeys[text]) return t(errorKeys[text]);
  for (const [re, say] of errorPatterns) {
    const m = re.exec(text);
    if (m) return say(m);
  }
  return t("err.other", { status: r.status, text: text || r.status });
}
