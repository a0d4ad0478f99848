// "Ask an admin to unlock", under the login form once a login is locked
// and the server takes unlock requests (its lock answer says so). The
// answer is the same whatever the login, so the page always says the same.

import { t, fmtDuration } from "./i18n.js";
import { $, api, say, sayError, focus, onSubmit, values } from "./ui.js";

async function send(form) {
  const v = values(form);
  if (!v.login) {
    say(t("err.login_required"), "error");
    focus(form.elements.login);
    return;
  }
  const r = await api("POST", "/api/unlock_requests", { login: v.login, reason: v.reason });
  if (r.ok) {
    form.hidden = true;
    $("unlock-sent").hidden = false;
    say(t("unlock.sent"));
    focus($("unlock-sent"));
    return;
  }
  if (r.status === 404) { // turned off since the lock answered
    hide();
    say(t("unlock.off"), "error");
    focus($("login-name"));
    return;
  }
  if (r.status === 429) say(t("unlock.too_many", { left: fmtDuration(r.data.retry_after || 3600) }), "error");
  else sayError(r);
  focus(form.elements.reason);
}

export function init() {
  onSubmit($("unlock-form"), send);
}

// offer shows the form for login and moves the focus to it.
export function offer(login) {
  const form = $("unlock-form");
  form.reset();
  form.elements.login.value = login;
  form.hidden = false;
  $("unlock-sent").hidden = true;
  $("unlock").hidden = false;
  focus($("unlock-title"));
}

export function hide() {
  $("unlock-form").reset();
  $("unlock").hidden = true;
}
