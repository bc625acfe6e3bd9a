// A small history.pushState router for /console/... paths.

const routes = [];
let current = null; // { cleanup }
let renderHook = null;

export function route(pattern, page) {
  const names = [];
  const re = new RegExp("^/console/" + pattern.replace(/:(\w+)/g, (_, n) => (names.push(n), "([^/]+)")) + "/?$");
  routes.push({ re, names, page });
}

export function onRender(fn) {
  renderHook = fn;
}

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  render(replace ? "replace" : "push");
}

export function match(pathname) {
  for (const r of routes) {
    const m = r.re.exec(pathname);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { page: r.page, params };
    }
  }
  return null;
}

// render draws the page for location into a fresh element. A page gets a
// ctx whose live() turns false once the user has moved on (so late
// answers are dropped) and whose onCleanup registers timers to stop.
export function render(kind = "load") {
  if (current) current.cleanup.forEach((f) => f());
  const cleanup = [];
  const token = {};
  current = { cleanup, token };
  const ctx = {
    query: new URLSearchParams(location.search),
    kind, // how we got here: load, push, replace or pop
    live: () => current && current.token === token,
    onCleanup: (f) => cleanup.push(f),
  };
  renderHook(match(location.pathname), ctx);
}

export function start() {
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[href]");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith("/console/")) return;
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => render("pop"));
  render();
}
