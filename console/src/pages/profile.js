import { api, p } from "../api.js";
import { h, append, field, errorBox, table, busy, breadcrumbs, status } from "../dom.js";
import { navigate } from "../router.js";
import { flagsEditor } from "./flags.js";

const FLAGS = "AWS.AppConfig.FeatureFlags";

export async function profilePage(el, ctx, { app, profile }) {
  const [application, prof, versions] = await Promise.all([
    api.getApplication(app), api.getProfile(app, profile), api.listVersions(app, profile)]);
  versions.sort((a, b) => b.VersionNumber - a.VersionNumber);
  const latest = versions[0] ? await api.getVersion(app, profile, versions[0].VersionNumber) : null;
  if (!ctx.live()) return;
  document.title = `${prof.Name} · ${application.Name} · appconfigd`;
  const base = p`/console/applications/${app}/configurationprofiles/${profile}`;
  const saved = ctx.query.get("saved");
  append(el, [
    breadcrumbs(["Applications", "/console/"], [application.Name, p`/console/applications/${app}`], [prof.Name]),
    h("h1", { tabindex: "-1" }, prof.Name),
    h("p", { class: "meta" }, "ID ", h("code", {}, prof.Id), " · ", prof.Type === FLAGS ? "Feature flags" : "Freeform",
      " · location ", h("code", {}, prof.LocationUri)),
    saved ? status(`Saved version ${saved}.`) : null,
    prof.Type === FLAGS ? flagsEditor({ app, profile, latest, onSaved: (n) => navigate(`${base}?saved=${n}`, { replace: true }) }) : null,
    h("section", { "aria-labelledby": "versions-h" },
      h("h2", { id: "versions-h" }, "Hosted versions"),
      table("Hosted versions, newest first", ["Version", "Label", "Description", "Content type", "Changes"],
        versions.map((v, i) => [
          h("a", { href: `${base}/versions/${v.VersionNumber}` }, `Version ${v.VersionNumber}`),
          v.VersionLabel || "", v.Description || "", v.ContentType || "",
          versions[i + 1] ? h("a", { href: `${base}/versions/${v.VersionNumber}?compare=${versions[i + 1].VersionNumber}`,
            "aria-label": `Compare version ${v.VersionNumber} with version ${versions[i + 1].VersionNumber}` }, `vs ${versions[i + 1].VersionNumber}`) : "",
        ]),
        "No hosted versions yet.")),
    versionForm(app, profile, prof, latest, (n) => navigate(`${base}?saved=${n}`, { replace: true })),
  ]);
}

// versionForm creates a hosted version from text, showing the server's
// validation errors (JSON Schema validators, feature flag rules, ...).
function versionForm(app, profile, prof, latest, onSaved) {
  const content = h("textarea", { name: "content", rows: 12, spellcheck: "false", class: "code" });
  content.value = latest ? prettyIfJSON(latest.Content, latest.ContentType) : prof.Type === FLAGS ? '{\n  "version": "1",\n  "flags": {},\n  "values": {}\n}' : "";
  const ctype = h("select", { name: "contentType" },
    ["application/json", "application/x-yaml", "text/plain"].map((t) => h("option", { value: t, selected: latest ? latest.ContentType === t : t === "application/json" }, t)));
  if (prof.Type === FLAGS) ctype.disabled = true;
  const desc = h("input", { name: "description", autocomplete: "off", maxlength: 1024 });
  const label = h("input", { name: "label", autocomplete: "off", maxlength: 64 });
  const msg = h("div", {});
  const form = h("form", { class: "card", "aria-labelledby": "newver-h", on: {
    async submit(e) {
      e.preventDefault();
      msg.replaceChildren();
      try {
        const out = await busy(form, () => api.createVersion(app, profile, {
          content: content.value, contentType: ctype.value, description: desc.value.trim(), label: label.value.trim() }));
        onSaved(out.VersionNumber);
      } catch (err) {
        msg.replaceChildren(errorBox(err));
        content.setAttribute("aria-invalid", "true");
      }
    },
  } },
  h("h2", { id: "newver-h" }, "Create hosted version"),
  field("Content", content), h("div", { class: "row" }, field("Content type", ctype), field("Description", desc), field("Version label", label)),
  msg,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create version")));
  return form;
}

export function prettyIfJSON(text, contentType) {
  if (!/json/i.test(contentType || "")) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// lineDiff is a longest-common-subsequence diff of two texts by line.
export function lineDiff(a, b) {
  const x = a.split("\n");
  const y = b.split("\n");
  if (x.length * y.length > 4e6) return [...x.map((l) => ["-", l]), ...y.map((l) => ["+", l])];
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
    lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) out.push([" ", x[i++]]), j++;
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(["-", x[i++]]);
    else out.push(["+", y[j++]]);
  }
  while (i < n) out.push(["-", x[i++]]);
  while (j < m) out.push(["+", y[j++]]);
  return out;
}

export async function versionPage(el, ctx, { app, profile, n }) {
  const compare = ctx.query.get("compare");
  const [application, prof, versions, ver, old] = await Promise.all([
    api.getApplication(app), api.getProfile(app, profile), api.listVersions(app, profile), api.getVersion(app, profile, n),
    compare ? api.getVersion(app, profile, compare) : null]);
  if (!ctx.live()) return;
  document.title = `Version ${n} · ${prof.Name} · appconfigd`;
  const base = p`/console/applications/${app}/configurationprofiles/${profile}`;
  const text = prettyIfJSON(ver.Content, ver.ContentType);
  const others = versions.map((v) => v.VersionNumber).filter((v) => String(v) !== String(n)).sort((a, b) => b - a);
  const sel = h("select", { name: "compare" }, others.map((v) => h("option", { value: v, selected: String(v) === compare }, `Version ${v}`)));
  let body;
  if (old) {
    const diff = lineDiff(prettyIfJSON(old.Content, old.ContentType), text);
    body = h("section", { "aria-labelledby": "diff-h" },
      h("h2", { id: "diff-h" }, `Changes from version ${compare} to version ${n}`),
      h("p", { class: "hint" }, "Removed lines are marked −, added lines +."),
      h("pre", { class: "code diff", tabindex: "0" }, diff.map(([op, line]) =>
        op === "-" ? h("del", {}, line + "\n") : op === "+" ? h("ins", {}, line + "\n") : h("span", {}, line + "\n"))));
  } else {
    body = h("section", { "aria-labelledby": "content-h" },
      h("h2", { id: "content-h" }, "Content"),
      h("pre", { class: "code", tabindex: "0" }, text));
  }
  append(el, [
    breadcrumbs(["Applications", "/console/"], [application.Name, p`/console/applications/${app}`], [prof.Name, base], [`Version ${n}`]),
    h("h1", { tabindex: "-1" }, `Version ${n}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Content type"), h("dd", {}, ver.ContentType || ""),
      ver.Description ? [h("dt", {}, "Description"), h("dd", {}, ver.Description)] : null,
      ver.VersionLabel ? [h("dt", {}, "Label"), h("dd", {}, ver.VersionLabel)] : null),
    others.length ? h("form", { class: "inline", on: {
      submit(e) {
        e.preventDefault();
        navigate(`${base}/versions/${encodeURIComponent(n)}?compare=${encodeURIComponent(sel.value)}`);
      },
    } }, field("Compare with", sel), h("button", { type: "submit" }, "Compare"),
    old ? h("a", { href: `${base}/versions/${encodeURIComponent(n)}` }, "Show content") : null) : null,
    body,
  ]);
}
