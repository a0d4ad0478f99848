// The console: log in, then the views a person may use. Each view is a
// module with an id (its #hash and section), the key of its title,
// whether it is for admins, show() to load it and clear() to forget it at
// logout.

import { t, start as startI18n, choose, current, translate, label } from "./i18n.js";
import { $, api, state, applySession, say, focus, busy, onSubmit, values, captcha, answerRefusal, whenSessionEnds } from "./ui.js";
import account from "./account.js";
import requests from "./requests.js";
import users from "./users.js";
import security from "./security.js";
import clients from "./clients.js";
import * as unlock from "./unlock.js";

// The navigation, in order.
const views = [account, requests, users, security, clients];

// A platform's message links to a request as /?approval=ID; it opens in
// Requests once someone is logged in.
function linkedApproval() {
  const id = new URLSearchParams(location.search).get("approval") || "";
  return /^[1-9][0-9]{0,15}$/.test(id) ? id : null;
}
let linked = linkedApproval();

const allowed = (v) => !v.admin || (state.me && state.me.is_super);

function currentView() {
  const id = location.hash.slice(1);
  return views.find((v) => v.id === id && allowed(v)) || views[0];
}

function buildNav() {
  const list = $("nav-list");
  list.replaceChildren(...views.filter(allowed).map((v) => {
    const a = document.createElement("a");
    a.href = "#" + v.id;
    label(a, v.title);
    const li = document.createElement("li");
    li.append(a);
    return li;
  }));
}

// route shows the view the address names (or My account), moves the focus
// to its heading and loads it.
async function route(moveFocus = true) {
  const v = currentView();
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-" + v.id;
  for (const a of $("nav-list").querySelectorAll("a")) {
    if (a.hash === "#" + v.id) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${t(v.title)} · xtraauth`;
  if (moveFocus) {
    say(""); // the last view's news
    focus($("view-" + v.id).querySelector("h1"));
  }
  await v.show();
}

function showApp() {
  $("view-login").hidden = true;
  $("nav").hidden = false;
  $("logout").hidden = false;
  $("who").hidden = false;
  label($("who"), state.me.is_super ? "who.admin" : "who.user", { login: state.me.login });
  buildNav();
}

// showLogin forgets everything the views showed and asks for a login.
function showLogin(message, kind) {
  state.me = null;
  for (const d of document.querySelectorAll("dialog[open]")) d.close();
  for (const v of views) v.clear();
  unlock.hide();
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-login";
  $("nav").hidden = true;
  $("logout").hidden = true;
  $("who").hidden = true;
  document.title = `${t("login.title")} · xtraauth`;
  say(message || "", kind);
  focus($("login-name"));
}

async function enter() {
  const r = await api("GET", "/web/session");
  if (r.status === 401) {
    showLogin(linked ? t("requests.login_first", { id: linked }) : "");
    return;
  }
  if (!r.ok) {
    showLogin(t("err.start"), "error");
    return;
  }
  applySession(r.data);
  showApp();
  if (linked) {
    requests.open(linked);
    linked = null;
    history.replaceState(null, "", location.pathname + "#requests");
  }
  await route();
}

let loginCaptcha;

async function logIn(form) {
  const v = values(form);
  if (!v.login || !form.elements.password.value) {
    say(t("login.missing"), "error");
    focus(v.login ? form.elements.password : form.elements.login);
    return;
  }
  const body = { login: v.login, password: form.elements.password.value, ...loginCaptcha.fields() };
  const r = await api("POST", "/web/session", body);
  if (r.ok) {
    loginCaptcha.hide();
    unlock.hide();
    form.reset();
    say("");
    await enter();
    return;
  }
  if (!r.data.unlock_requests) unlock.hide();
  if (await answerRefusal(r, loginCaptcha)) {
    form.elements.password.value = "";
    if (r.data.unlock_requests) unlock.offer(v.login); // locked: ask an admin
    else focus(form.elements.password);
  }
}

async function logOut() {
  await api("DELETE", "/web/session");
  showLogin(t("logout.done"));
}

async function switchLanguage(ev) {
  await choose(ev.target.value);
  say("");
  if (state.me) {
    buildNav();
    await route(false);
  } else {
    document.title = `${t("login.title")} · xtraauth`;
  }
}

async function main() {
  try {
    await startI18n();
  } catch (e) { // without its words the console cannot work; say so in both languages
    say("无法加载控制台，请刷新页面。The console could not load: please reload the page.", "error");
    return;
  }
  $("lang").value = current();
  $("lang").addEventListener("change", switchLanguage);
  loginCaptcha = captcha($("login").querySelector(".captcha-slot"), () => $("login-name").value.trim());
  onSubmit($("login"), logIn);
  $("logout").addEventListener("click", () => busy($("logout"), logOut));
  $("message-close").addEventListener("click", () => say(""));
  window.addEventListener("hashchange", () => { if (state.me) route(); });
  whenSessionEnds(() => showLogin(t("session.ended"), "error"));
  for (const v of views) v.init();
  unlock.init();
  translate(document);
  await enter();
}

main();
