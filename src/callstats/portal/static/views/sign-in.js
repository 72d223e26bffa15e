// Sign-in: POST /auth with cookie_auth, so the session lives in an HttpOnly cookie the
// page never sees. A wrong password shows the API's own message.

import { ApiError, request, V1 } from "../api.js";
import { clear, field, h, message } from "../dom.js";

const REASONS = {
  expired: "Your session has expired. Please sign in again.",
  "signed-out": "You are signed out.",
};

function safeNext(next) {
  // only a path on this portal: never an open redirect to another site
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")
    ? next : "/";
}

export function signInView(main, { onSignedIn }) {
  const params = new URLSearchParams(location.search);
  const login = h("input", { name: "login", autocomplete: "username", required: true,
    autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { name: "password", type: "password",
    autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const status = h("div", { class: "status", "aria-live": "assertive" });
  const reason = REASONS[params.get("reason")];
  if (reason) status.append(message(params.get("reason") === "expired" ? "notice" : "status", reason));
  const form = h("form", { "aria-label": "Sign in", novalidate: true },
    field("Login", login), field("Password", password), submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!login.value || !password.value) {
      status.replaceChildren(message("error", "Enter your login and password."));
      (login.value ? password : login).focus();
      return;
    }
    submit.disabled = true;
    status.replaceChildren(message("loading", "Signing in…"));
    try {
      await request(`${V1}/auth`, { method: "POST", quiet401: true,
        body: { auth: { login: login.value, password: password.value, cookie_auth: true } } });
      onSignedIn(safeNext(params.get("next")));
    } catch (error) {
      const text = error instanceof ApiError ? error.message : String(error);
      status.replaceChildren(message("error", text));
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  clear(main).append(h("section", { class: "sign-in" }, h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "Sign in with the login your operator gave you."), status, form));
  login.focus();
}
