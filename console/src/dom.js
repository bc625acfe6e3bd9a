// A tiny DOM builder and the console's shared widgets.

// h(tag, attrs, ...children): attrs holds attributes, "on" (event
// handlers), "class" and boolean properties such as checked/disabled.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "checked" || k === "value" || k === "disabled" || k === "selected") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
export const uid = (prefix) => `${prefix}-${++ids}`;

// field is a labelled input (or select/textarea).
export function field(label, control, hint) {
  control.id ||= uid("f");
  const hintEl = hint ? h("small", { id: control.id + "-hint", class: "hint" }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

// errorBox shows an API error: its type, the server's message and any
// validation details, announced to screen readers.
export function errorBox(err) {
  const details = [];
  const d = err && err.details;
  if (d && Array.isArray(d.InvalidConfiguration)) {
    for (const x of d.InvalidConfiguration) {
      details.push(h("li", {}, [x.Location, x.Reason || x.Constraint, x.Value !== undefined ? `(value ${x.Value})` : null].filter(Boolean).join(": ")));
    }
  }
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, err.type ? err.type + ": " : "Error: "), err.message,
    details.length ? h("ul", {}, details) : null);
}

export function status(text) {
  return h("p", { class: "status", role: "status" }, text);
}

export function breadcrumbs(...items) {
  return h("nav", { "aria-label": "Breadcrumb", class: "crumbs" },
    h("ol", {}, items.map(([label, href], i) =>
      h("li", {}, href && i < items.length - 1 ? h("a", { href }, label) : h("span", { "aria-current": "page" }, label)))));
}

// table renders rows with a caption and header cells; cells are nodes or text.
export function table(caption, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {},
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

// confirmDialog asks before a destructive action (a modal <dialog>:
// focus moves into it, Escape cancels).
export function confirmDialog(title, message, action) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { "aria-labelledby": "dlg-title", class: "confirm" },
      h("h2", { id: "dlg-title" }, title),
      h("p", {}, message),
      h("form", { method: "dialog", class: "actions" },
        h("button", { value: "cancel", type: "submit" }, "Cancel"),
        h("button", { value: "ok", type: "submit", class: "danger" }, action)));
    dlg.addEventListener("close", () => {
      resolve(dlg.returnValue === "ok");
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector("button[value=cancel]").focus();
  });
}

export function fmtTime(s) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) ? String(s) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function fmtDuration(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m ? `${m}m ${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

// busy disables a form's buttons while fn runs.
export async function busy(form, fn) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    return await fn();
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// toggleForm is a button that opens a form below it and closes it again.
export function toggleForm(label, buildForm) {
  const slot = h("div", {});
  const btn = h("button", { type: "button", "aria-expanded": "false", on: {
    click() {
      const open = btn.getAttribute("aria-expanded") === "true";
      btn.setAttribute("aria-expanded", String(!open));
      if (open) return slot.replaceChildren();
      const form = buildForm(() => { slot.replaceChildren(); btn.setAttribute("aria-expanded", "false"); btn.focus(); });
      slot.replaceChildren(form);
      form.querySelector("input,select,textarea")?.focus();
    },
  } }, label);
  return h("div", { class: "toggle-form" }, btn, slot);
}
