// The portal's entry: checks the session, loads the caller's accounts, and shows the view
// the path names. Links between views are ordinary links (history API, no reload); every
// view's state is in its URL, so reload, back/forward and shared links reopen it.

import { allPages, ApiError, idle, request, V1, whenUnauthorized } from "./api.js";
import { clear, h, message } from "./dom.js";
import { Refresher } from "./refresh.js";
import { VIEWS } from "./views/index.js";
import { signInView } from "./views/sign-in.js";

const SIGNED_IN = "callstats.signed-in"; // "a session began in this browser": no secret
const main = document.getElementById("main");
const nav = document.querySelector("nav.views");
const session = document.querySelector(".session");
const portalTitle = document.querySelector('meta[name="application-name"]').content;

let accounts = null;
let current = null; // {view, ctx}
let shown = 0; // views shown since the page loaded

function slugOf(path) {
  return path.replace(/^\/+|\/+$/g, "") || "overview";
}

function hrefOf(slug) {
  return slug === "overview" ? "/" : `/${slug}`;
}

/** State that follows the user from view to view: account, time zone, range. */
const CARRIED = ["account", "tz", "range", "from", "to"];

function updateNav() {
  const params = new URLSearchParams(location.search);
  const slug = slugOf(location.pathname);
  for (const link of nav.querySelectorAll("a[data-view]")) {
    const carried = new URLSearchParams();
    for (const key of CARRIED) if (params.get(key)) carried.set(key, params.get(key));
    if (carried.get("range") !== "custom") {
      carried.delete("from");
      carried.delete("to");
    }
    const text = carried.toString();
    link.href = hrefOf(link.dataset.view) + (text ? `?${text}` : "");
    if (link.dataset.view === slug) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

class ViewContext {
  constructor(view) {
    this.view = view;
    this.root = main;
    this.accounts = accounts;
    this.controller = new AbortController();
    this.refresher = new Refresher();
    this.cleanup = null;
  }

  get params() {
    return new URLSearchParams(location.search);
  }

  /** Writes `params` into the URL (a new history entry unless `replace`), then reloads. */
  navigate(params, { replace = false } = {}) {
    const text = params.toString();
    const url = location.pathname + (text ? `?${text}` : "");
    if (url !== location.pathname + location.search) {
      history[replace ? "replaceState" : "pushState"](null, "", url);
    }
    updateNav();
    this.reload();
  }

  /** Writes the URL without reloading (to record the defaults a view filled in). */
  record(params) {
    const text = params.toString();
    history.replaceState(null, "", location.pathname + (text ? `?${text}` : ""));
    updateNav();
  }

  /** A fresh AbortSignal for one load; the previous load is aborted. */
  freshSignal() {
    this.controller.abort();
    this.controller = new AbortController();
    return this.controller.signal;
  }

  reload() {
    this.refresher.stop();
    this.view.load(this);
  }

  /** Runs the previous render's cleanup (charts to destroy) and keeps `fn` for the next. */
  replaceCleanup(fn) {
    if (this.cleanup) this.cleanup();
    this.cleanup = fn || null;
  }

  /** Opens another portal page (a drill-down) as a new history entry. */
  go(href) {
    history.pushState(null, "", href);
    show();
  }

  leave() {
    this.controller.abort();
    this.refresher.stop();
    this.replaceCleanup(null);
  }
}

function setTitle(text) {
  document.title = `${text} · ${portalTitle}`;
}

async function show() {
  if (current) current.ctx.leave();
  current = null;
  const slug = slugOf(location.pathname);
  if (slug === "sign-in") {
    nav.hidden = true;
    session.hidden = true;
    setTitle("Sign in");
    signInView(main, { onSignedIn: afterSignIn });
    shown += 1;
    return;
  }
  const view = VIEWS[slug];
  if (!view) {
    clear(main).append(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "/" }, "Go to the overview")));
    return;
  }
  if (!accounts) {
    try {
      await request(`${V1}/auth`, { quiet401: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        toSignIn(localStorage.getItem(SIGNED_IN) === "1");
        return;
      }
      clear(main).append(message("error", error.message));
      return;
    }
    try {
      accounts = await allPages(`${V1}/accounts`, []);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // handled: signed out
      clear(main).append(message("error", `Your accounts could not be loaded: ${error.message}`));
      return;
    }
    localStorage.setItem(SIGNED_IN, "1");
  }
  nav.hidden = false;
  session.hidden = false;
  updateNav();
  setTitle(view.title);
  const ctx = new ViewContext(view);
  current = { view, ctx };
  clear(main);
  view.mount(ctx);
  // After a move within the portal, focus goes to the new view (a screen reader reads it);
  // on a fresh page load it stays at the top, where the skip link comes first.
  if (shown > 0) main.focus({ preventScroll: true });
  shown += 1;
}

/** To the sign-in page, remembering where the user was; `expired` says why. */
function toSignIn(expired) {
  if (slugOf(location.pathname) === "sign-in") return; // a second 401 of the same moment
  if (current) current.ctx.leave();
  current = null;
  accounts = null;
  localStorage.removeItem(SIGNED_IN);
  const here = location.pathname + location.search;
  const params = new URLSearchParams();
  if (expired) params.set("reason", "expired");
  if (here !== "/") params.set("next", here);
  const text = params.toString();
  history.replaceState(null, "", `/sign-in${text ? `?${text}` : ""}`);
  show();
}

function afterSignIn(next) {
  localStorage.setItem(SIGNED_IN, "1");
  history.replaceState(null, "", next);
  show();
}

async function signOut() {
  // Stop the view first (its loads are aborted, its refresh timer stopped) and let every
  // other answer arrive: each refreshes the cookie, and one arriving after the sign-out's
  // answer would set it again.
  if (current) current.ctx.leave();
  current = null;
  await idle();
  try {
    await request(`${V1}/auth`, { method: "DELETE", quiet401: true });
  } catch {
    // the cookie is expired by the answer; a failed request still leaves the page
  }
  accounts = null;
  localStorage.removeItem(SIGNED_IN);
  history.pushState(null, "", "/sign-in?reason=signed-out");
  show();
}

function isPortalLink(link) {
  if (!link || link.target || link.hasAttribute("download")) return false;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin) return false;
  return slugOf(url.pathname) in VIEWS;
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
    || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!isPortalLink(link) || !accounts) return;
  event.preventDefault();
  const url = new URL(link.href, location.href);
  if (url.pathname + url.search !== location.pathname + location.search) {
    history.pushState(null, "", url.pathname + url.search);
  }
  show();
});
window.addEventListener("popstate", () => show());
document.querySelector(".sign-out").addEventListener("click", signOut);
whenUnauthorized(() => toSignIn(true));
show();
