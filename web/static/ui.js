// Pieces every view uses: requests, messages, focus, tables that load,
// pages, secrets shown once, dialogs and the captcha.
//
// The page keeps no secret: the session lives in an HttpOnly cookie, and
// every request says X-Requested-With, which the server demands of
// state-changing requests made with that cookie (a cross-site form cannot).

import { t, translate, label, errorText } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

// state is who is logged in, when the session ends, and how far the
// server's clock is from the browser's (times are counted on the server's).
export const state = { me: null, expires: null, skew: 0 };

export function serverNow() { return Date.now() + state.skew; }

export function applySession(d) {
  state.me = d.user;
  state.expires = d.expires;
  state.skew = d.now * 1000 - Date.now();
}

let sessionEnded = () => {};
export function whenSessionEnds(f) { sessionEnded = f; }

// api sends a request; it never throws. A 401 while logged in means the
// session ended elsewhere (logout, a password change, a disabled user).
export async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  let data = {};
  let parsed = true;
  try {
    res = await fetch(path, opts);
    const text = await res.text();
    data = text ? JSON.parse(text) : {};
  } catch (e) {
    if (!res) return { status: 0, ok: false, data: {} };
    parsed = false;
  }
  if (res.status === 401 && state.me) sessionEnded();
  return { status: res.status, ok: res.ok && parsed, data };
}

// say shows a message in the live region, which screen readers announce.
export function say(text, kind = "ok") {
  const m = $("message");
  const turn = (m.turn = (m.turn || 0) + 1);
  m.className = kind;
  if (m.textContent === text && text) { // announce a repeated message again
    m.textContent = "";
    setTimeout(() => { if (m.turn === turn) m.textContent = text; }, 50);
  } else {
    m.textContent = text || "";
  }
  $("message-close").hidden = !text;
}

export function sayError(r, overrides) { say(errorText(r, overrides), "error"); }

// focus moves the keyboard (and a screen reader) to what changed.
export function focus(el) {
  if (!el) return;
  if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) el.setAttribute("tabindex", "-1");
  el.focus();
}

// busy runs work once at a time for a form or button, marking it busy
// for assistive technology and the eye. Buttons are not disabled, which
// would throw the keyboard focus away.
export async function busy(el, work) {
  if (el.dataset.busy) return undefined;
  el.dataset.busy = "1";
  el.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    delete el.dataset.busy;
    el.removeAttribute("aria-busy");
  }
}

// onSubmit runs handler(form) for a submit, once at a time; the browser
// never submits the form itself.
export function onSubmit(form, handler) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(form, () => handler(form));
  });
}

// values reads a form's fields as strings; checkboxes as booleans.
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "radio") { if (el.checked) out[el.name] = el.value; }
    else out[el.name] = el.value.trim();
  }
  return out;
}

// Tables --------------------------------------------------------------

export function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content);
  else td.textContent = content === null || content === undefined ? "" : String(content);
  return td;
}

// button makes a row's action: visible words, and a name for screen
// readers that says what it acts on ("Disable alice").
export function button(key, nameKey, params, onClick, cls = "") {
  const b = document.createElement("button");
  b.type = "button";
  if (cls) b.className = cls;
  label(b, key);
  b.dataset.action = key.split(".").pop();
  b.setAttribute("aria-label", t(nameKey, params));
  b.addEventListener("click", () => busy(b, () => onClick(b)));
  return b;
}

export function actions(row, ...buttons) {
  const td = cell(row, "");
  td.className = "actions";
  td.append(...buttons);
  return td;
}

function noteRow(tbody, text, retry) {
  const tr = document.createElement("tr");
  tr.className = "note";
  const td = cell(tr, text);
  td.colSpan = tbody.closest("table").tHead.rows[0].cells.length;
  if (retry) {
    const b = document.createElement("button");
    b.type = "button";
    label(b, "retry");
    b.addEventListener("click", retry);
    td.append(" ", b);
  }
  return tr;
}

// load fills a table from a list request. The old rows stay (dimmed)
// while it loads; a failure replaces them with the error and a Try again
// button (which calls again, by default this same load), so a table never
// shows data it could not refresh; an answer that a newer request overtook
// is dropped.
export async function load(tbody, request, render, emptyKey, again) {
  const wrap = tbody.closest(".table-wrap");
  const seq = (tbody.seq = (tbody.seq || 0) + 1);
  wrap.setAttribute("aria-busy", "true");
  wrap.classList.add("loading");
  try {
    const r = await request();
    if (tbody.seq !== seq) return null;
    if (!r.ok) {
      tbody.replaceChildren(noteRow(tbody, errorText(r), again || (() => load(tbody, request, render, emptyKey))));
      return null;
    }
    const items = r.data.data || [];
    tbody.replaceChildren(...(items.length ? items.map(render) : [noteRow(tbody, t(emptyKey))]));
    stackable(tbody);
    return r.data;
  } finally {
    if (tbody.seq === seq) {
      wrap.removeAttribute("aria-busy");
      wrap.classList.remove("loading");
    }
  }
}

// stackable lets a table show each row as a card on a phone: every cell
// carries its column's name for CSS to show, and the roles are explicit,
// since some browsers drop a table's roles once CSS changes its display.
function stackable(tbody) {
  const table = tbody.closest("table");
  const heads = [...table.tHead.rows[0].cells];
  table.setAttribute("role", "table");
  for (const g of [table.tHead, tbody]) g.setAttribute("role", "rowgroup");
  table.tHead.rows[0].setAttribute("role", "row");
  for (const th of heads) th.setAttribute("role", "columnheader");
  for (const row of tbody.rows) {
    row.setAttribute("role", "row");
    [...row.cells].forEach((td, i) => {
      td.setAttribute("role", "cell");
      if (!row.classList.contains("note") && heads[i]) td.dataset.label = heads[i].textContent;
    });
  }
}

export function clearTable(tbody) {
  tbody.seq = (tbody.seq || 0) + 1;
  tbody.replaceChildren();
}

// pager shows "Previous · Page 2 of 5 (93) · Next" under a list.
export function pager(nav, list, perPage, go) {
  nav.replaceChildren();
  if (!list) return;
  const pages = Math.max(1, Math.ceil(list.rowCount / perPage));
  const step = (key, page, enabled) => {
    const b = document.createElement("button");
    b.type = "button";
    label(b, key);
    b.disabled = !enabled;
    b.dataset.page = String(page);
    b.addEventListener("click", () => go(page));
    return b;
  };
  const status = label(document.createElement("span"), "pager.status", { page: list.page, pages, count: list.rowCount });
  nav.append(step("pager.prev", list.page - 1, list.page > 1), status, step("pager.next", list.page + 1, list.page < pages));
}

// Secrets shown once ---------------------------------------------------

// showSecret shows a new secret with its warning and a copy button, and
// moves the focus there. It lives only in the page, until Done.
export function showSecret(box, titleKey, params, value, back) {
  box.replaceChildren($("secret-template").content.cloneNode(true));
  translate(box);
  label(box.querySelector(".secret-title"), titleKey, params);
  const code = box.querySelector(".secret-value");
  code.textContent = value;
  box.querySelector(".secret-copy").addEventListener("click", () => copy(value, code));
  box.querySelector(".secret-done").addEventListener("click", () => {
    hideSecret(box);
    focus(back);
  });
  box.hidden = false;
  focus(box.querySelector(".secret-title"));
}

export function hideSecret(box) {
  box.replaceChildren();
  box.hidden = true;
}

async function copy(value, code) {
  try {
    await navigator.clipboard.writeText(value);
    say(t("copied"));
  } catch (e) { // no clipboard API (plain http on another host): select it for Ctrl+C
    const range = document.createRange();
    range.selectNodeContents(code);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    say(t("copy.manual"));
  }
}

// A random password for resets and new users: 16 characters from an
// alphabet without look-alikes, from crypto.getRandomValues.
export function randomPassword() {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  const out = [];
  const buf = new Uint8Array(1);
  while (out.length < 16) {
    crypto.getRandomValues(buf);
    if (buf[0] < 256 - (256 % alphabet.length)) out.push(alphabet[buf[0] % alphabet.length]);
  }
  return out.join("");
}

// Dialogs ---------------------------------------------------------------

// confirm asks in a modal dialog; the focus starts on Cancel and returns
// to where it was.
export function confirm(titleKey, textKey, okKey, params) {
  const d = $("confirm");
  const back = document.activeElement;
  label($("confirm-title"), titleKey, params);
  label($("confirm-text"), textKey, params);
  label($("confirm-ok"), okKey);
  d.returnValue = "";
  d.showModal();
  d.querySelector("button[value=cancel]").focus();
  return new Promise((resolve) => {
    d.addEventListener("close", () => {
      resolve(d.returnValue === "ok");
      if (back && back.isConnected) back.focus();
    }, { once: true });
  });
}

// formDialog opens a dialog holding a form; submit runs while it stays
// open and shows errors inside it (the page behind is inert). It resolves
// with submit's result, or null when cancelled.
export function formDialog(d, submit) {
  const form = d.querySelector("form");
  const error = d.querySelector(".dialog-error");
  const back = document.activeElement;
  error.textContent = "";
  return new Promise((resolve) => {
    let result = null;
    const onSubmit = (ev) => {
      ev.preventDefault();
      busy(form, async () => {
        error.textContent = "";
        const r = await submit((text, field) => {
          error.textContent = text;
          focus(field || error);
        });
        if (r) {
          result = r;
          d.close();
        }
      });
    };
    const cancel = () => d.close();
    form.addEventListener("submit", onSubmit);
    d.querySelector(".dialog-cancel").addEventListener("click", cancel);
    d.addEventListener("close", () => {
      form.removeEventListener("submit", onSubmit);
      d.querySelector(".dialog-cancel").removeEventListener("click", cancel);
      if (!result && back && back.isConnected) back.focus();
      resolve(result);
    }, { once: true });
    d.showModal();
  });
}

// passwordChoice wires a "make one up / type one" choice: the input is
// usable only when typing. It returns the chosen or made-up password and
// whether it was made up.
export function passwordChoice(form) {
  const input = form.elements.password;
  const sync = () => { input.disabled = form.querySelector("input[name=pw_mode]:checked").value !== "type"; };
  for (const r of form.querySelectorAll("input[name=pw_mode]")) r.addEventListener("change", sync);
  return {
    reset() { form.querySelector("input[name=pw_mode][value=generate]").checked = true; input.value = ""; sync(); },
    pick() {
      if (input.disabled) return { password: randomPassword(), generated: true };
      return { password: input.value, generated: false };
    },
    input,
  };
}

// The captcha -------------------------------------------------------------

// captcha puts a captcha box into slot, for the login of loginOf(). It
// appears when the server asks for one; each answer uses it up, so a
// refused attempt gets a fresh one.
export function captcha(slot, loginOf) {
  const box = $("captcha-template").content.firstElementChild.cloneNode(true);
  slot.replaceChildren(box);
  translate(box);
  const img = box.querySelector(".captcha-image");
  const sound = box.querySelector(".captcha-sound");
  const input = box.querySelector("input");

  async function fresh(audio) {
    const q = "login=" + encodeURIComponent(loginOf()) + (audio ? "&type=audio" : "");
    const r = await api("GET", "/api/captchas?" + q);
    if (!r.ok) {
      sayError(r);
      return false;
    }
    const d = r.data.data;
    box.dataset.captchaId = String(d.captcha_id);
    box.hidden = false;
    input.value = "";
    img.hidden = audio;
    sound.hidden = !audio;
    if (audio) {
      img.removeAttribute("src");
      sound.src = d.pic_path;
      sound.play().catch(() => {});
    } else {
      sound.pause();
      sound.removeAttribute("src");
      img.src = d.pic_path;
    }
    return true;
  }
  const ask = async (audio) => {
    if (await fresh(audio)) input.focus();
  };
  box.querySelector(".captcha-new").addEventListener("click", () => ask(false));
  box.querySelector(".captcha-audio").addEventListener("click", () => ask(true));
  return {
    active: () => !box.hidden,
    fields: () => (box.hidden ? {} : { captcha_id: box.dataset.captchaId, captcha_str: input.value.trim() }),
    ask: () => ask(false),
    renew: () => fresh(!sound.hidden),
    hide() {
      box.hidden = true;
      input.value = "";
      delete box.dataset.captchaId;
      img.removeAttribute("src");
      sound.pause();
      sound.removeAttribute("src");
    },
  };
}

// answerRefusal handles a refused secret (login, password change): the
// captcha when the server asks for one, a fresh captcha after any other
// refusal (the old one is used up), and the message. It returns the
// field to focus, or null when the captcha took the focus.
export async function answerRefusal(r, box) {
  if (r.data.captcha_required) {
    say(t(r.data.text === "Wrong Captcha" ? "captcha.wrong" : "captcha.needed"), "error");
    await box.ask();
    return null;
  }
  if (box.active()) await box.renew();
  sayError(r);
  return true;
}
