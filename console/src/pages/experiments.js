// Experiments: the account-wide list of experiment definitions (filters:
// application, status), the definition page (treatments, audience, runs)
// and the create / update form.
import { api, p } from "../api.js";
import { h, append, field, errorBox, table, busy, breadcrumbs, toggleForm, confirmDialog, fmtTime } from "../dom.js";
import { navigate } from "../router.js";
import { treatmentsEditor, overridesEditor, markInvalid, flagValueText, FormError } from "./experiment-forms.js";

const FLAGS_TYPE = "AWS.AppConfig.FeatureFlags";
const STATUSES = [["", "All but archived"], ["IDLE", "Idle"], ["ACTIVE", "Active (a run is running)"], ["ARCHIVED", "Archived"]];

export function statusBadge(s) {
  return h("span", { class: `badge status-${String(s).toLowerCase()}` }, s);
}

export const defPath = (app, def) => p`/console/applications/${app}/experiments/${def}`;

// names maps environment and profile IDs of the given applications to names.
async function names(appIDs) {
  const out = new Map();
  await Promise.all([...appIDs].map(async (app) => {
    const [envs, profs] = await Promise.all([api.listEnvironments(app).catch(() => []), api.listProfiles(app).catch(() => [])]);
    for (const x of [...envs, ...profs]) out.set(`${app}/${x.Id}`, x.Name);
  }));
  return out;
}

function filterForm(apps, application, status) {
  const appSel = h("select", { name: "application" }, h("option", { value: "" }, "All applications"),
    apps.map((a) => h("option", { value: a.Id, selected: a.Id === application }, a.Name)));
  const statusSel = h("select", { name: "status" }, STATUSES.map(([v, l]) => h("option", { value: v, selected: v === status }, l)));
  const go = () => {
    const q = new URLSearchParams();
    if (appSel.value) q.set("application", appSel.value);
    if (statusSel.value) q.set("status", statusSel.value);
    navigate("/console/experiments" + (q.size ? "?" + q : ""));
  };
  appSel.addEventListener("change", go);
  statusSel.addEventListener("change", go);
  return h("form", { class: "inline", "aria-label": "Filter experiment definitions", on: { submit(e) {
    e.preventDefault();
    go();
  } } }, field("Application", appSel), field("Status", statusSel));
}

export async function experimentsPage(el, ctx) {
  const application = ctx.query.get("application") || "";
  const status = ctx.query.get("status") || "";
  const [apps, defs] = await Promise.all([api.listApplications(), api.listExperimentDefinitions({ application, status })]);
  const n = await names(new Set(defs.map((d) => d.ApplicationId)));
  if (!ctx.live()) return;
  document.title = "Experiments · appconfigd";
  apps.sort((a, b) => a.Name.localeCompare(b.Name));
  const appName = new Map(apps.map((a) => [a.Id, a.Name]));
  defs.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt));
  append(el, [
    breadcrumbs(["Experiments"]),
    h("h1", { tabindex: "-1" }, "Experiments"),
    h("p", { class: "hint" }, "An experiment definition names one feature flag in one environment, a control and up to five treatments, and an audience rule; each run delivers the treatments to a share of that audience."),
    filterForm(apps, application, status),
    apps.length ? toggleForm("Create experiment definition", definitionForm({ apps, app: application }))
      : h("p", { class: "hint" }, "Create an application with a feature flag profile first."),
    table("Experiment definitions, newest first", ["Name", "Application", "Flag", "Environment", "Profile", "Status", "Updated"],
      defs.map((d) => [
        h("a", { href: defPath(d.ApplicationId, d.Id) }, d.Name), appName.get(d.ApplicationId) || d.ApplicationId, h("code", {}, d.FlagKey),
        n.get(`${d.ApplicationId}/${d.EnvironmentId}`) || d.EnvironmentId, n.get(`${d.ApplicationId}/${d.ConfigurationProfileId}`) || d.ConfigurationProfileId,
        statusBadge(d.Status), fmtTime(d.UpdatedAt)]),
      status || application ? "No experiment definitions match." : "No experiment definitions yet."),
  ]);
}

// flagValues returns the values of the flags in a profile's newest hosted
// version: the flag key suggestions (the server checks the flag is deployed
// to the environment) and what the control starts from.
async function flagValues(app, prof) {
  const vs = await api.listVersions(app, prof);
  if (!vs.length) return {};
  const latest = vs.reduce((a, b) => (b.VersionNumber > a.VersionNumber ? b : a));
  try {
    const doc = JSON.parse((await api.getVersion(app, prof, latest.VersionNumber)).Content);
    return Object.fromEntries(Object.keys(doc.flags || {}).map((k) => [k, doc.values?.[k] || {}]));
  } catch {
    return {};
  }
}

// whereFields are the create-only fields: application, environment,
// profile (feature flag profiles only) and flag key.
function whereFields(apps, app, msg, onFlag) {
  const appSel = h("select", { name: "application", required: true }, apps.map((a) => h("option", { value: a.Id, selected: a.Id === app }, a.Name)));
  const envSel = h("select", { name: "environment", required: true });
  const profSel = h("select", { name: "profile", required: true });
  const flag = h("input", { name: "flag", required: true, autocomplete: "off", spellcheck: "false", list: "flag-keys" });
  const keys = h("datalist", { id: "flag-keys" });
  let values = {};
  const picked = () => Object.hasOwn(values, flag.value.trim()) && onFlag(values[flag.value.trim()]);
  flag.addEventListener("input", picked);
  const loadFlags = async () => {
    keys.replaceChildren();
    values = {};
    if (!profSel.value) return;
    values = await flagValues(appSel.value, profSel.value).catch(() => ({}));
    const ks = Object.keys(values);
    keys.replaceChildren(...ks.map((k) => h("option", { value: k })));
    if (!flag.value && ks.length === 1) flag.value = ks[0];
    picked();
  };
  const loadApp = async () => {
    envSel.replaceChildren();
    profSel.replaceChildren();
    try {
      const [envs, profs] = await Promise.all([api.listEnvironments(appSel.value), api.listProfiles(appSel.value)]);
      envSel.replaceChildren(...envs.map((e) => h("option", { value: e.Id }, e.Name)));
      profSel.replaceChildren(...profs.filter((c) => c.Type === FLAGS_TYPE).map((c) => h("option", { value: c.Id }, c.Name)));
      await loadFlags();
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  };
  appSel.addEventListener("change", loadApp);
  profSel.addEventListener("change", loadFlags);
  const ready = loadApp();
  return {
    el: [h("div", { class: "row" }, field("Application", appSel), field("Environment", envSel), field("Feature flag profile", profSel)),
      field("Flag key", flag, "The flag must be in the version deployed to that environment."), keys],
    ready,
    value: () => [appSel.value, { EnvironmentIdentifier: envSel.value, ConfigurationProfileIdentifier: profSel.value, FlagKey: flag.value.trim() }],
  };
}

// definitionForm creates a definition ({apps, app}) or updates one ({def}).
export function definitionForm({ apps, app, def }) {
  return (close) => {
    const msg = h("div", {});
    const name = def ? null : h("input", { name: "name", required: true, autocomplete: "off", maxlength: 64 });
    const text = (label, v, rows = 2) => h("textarea", { rows, "aria-label": label, maxlength: 1024 }, v || "");
    const hypothesis = text("Hypothesis", def?.Hypothesis);
    const rule = h("textarea", { rows: 2, required: true, spellcheck: "false", maxlength: 16384, class: "code" }, def?.AudienceRule || "");
    const audience = text("Audience description", def?.AudienceDescription);
    const criteria = text("Launch criteria", def?.LaunchCriteria);
    const tr = treatmentsEditor(def?.Control || { Weight: 50, FlagValue: { Enabled: false } },
      def?.Treatments || [{ Weight: 50, FlagValue: { Enabled: true } }]);
    // A new definition's control starts as the flag is (until edited).
    const where = def ? null : whereFields(apps, app, msg, (v) => tr.prefillControl(v));
    const label = def ? "Update experiment definition" : "Create experiment definition";
    const form = h("form", { class: "card", "aria-label": label, novalidate: true, on: {
      async submit(e) {
        e.preventDefault();
        msg.replaceChildren();
        try {
          const body = { ...tr.value(), Hypothesis: hypothesis.value.trim(), AudienceRule: rule.value.trim(),
            AudienceDescription: audience.value.trim(), LaunchCriteria: criteria.value.trim() };
          if (def) {
            const d = await busy(form, () => api.updateExperimentDefinition(def.ApplicationId, def.Id, body));
            navigate(defPath(d.ApplicationId, d.Id), { replace: true });
            return;
          }
          const [appID, w] = where.value();
          for (const k of ["Hypothesis", "AudienceDescription", "LaunchCriteria"]) if (!body[k]) delete body[k];
          const d = await busy(form, () => api.createExperimentDefinition(appID, { Name: name.value.trim(), ...w, ...body }));
          navigate(defPath(d.ApplicationId, d.Id));
        } catch (err) {
          // The server names the field in its message: point at it.
          if (/^AudienceRule\b/.test(err.message || "")) markInvalid(new FormError(err.message, rule));
          markInvalid(err);
          msg.replaceChildren(errorBox(err));
        }
      },
    } },
    def ? null : [field("Name", name), where.el],
    field("Hypothesis", hypothesis),
    field("Audience rule", rule, 'Who may enter the experiment, in the flag rule language, e.g. (eq $country "NL"); true includes everyone.'),
    field("Audience description", audience), field("Launch criteria", criteria),
    tr.el, msg,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, def ? "Save definition" : "Create"),
      h("button", { type: "button", on: { click: close } }, "Cancel")));
    return form;
  };
}

function treatmentsTable(d) {
  const all = [d.Control, ...(d.Treatments || [])].filter(Boolean);
  const sum = all.reduce((a, t) => a + (t.Weight || 0), 0);
  return table("Control and treatments", ["Key", "Weight", "Share", "Flag value", "Description"],
    all.map((t, i) => [h("code", {}, t.Key), String(t.Weight), sum ? `${Math.round((t.Weight / sum) * 1000) / 10} %` : "",
      flagValueText(t.FlagValue), t.Description || (i === 0 ? "Control" : "")]), "No treatments.");
}

export function definitionFacts(d, app, envName, profName) {
  return h("dl", { class: "facts" },
    h("dt", {}, "Flag"), h("dd", {}, h("code", {}, d.FlagKey), " in ",
      h("a", { href: p`/console/applications/${app}/configurationprofiles/${d.ConfigurationProfileId}` }, profName || d.ConfigurationProfileId),
      " on ", h("a", { href: p`/console/applications/${app}/environments/${d.EnvironmentId}` }, envName || d.EnvironmentId)),
    h("dt", {}, "Audience rule"), h("dd", {}, h("code", { "data-testid": "audience-rule" }, d.AudienceRule)),
    d.AudienceDescription ? [h("dt", {}, "Audience"), h("dd", {}, d.AudienceDescription)] : null,
    d.Hypothesis ? [h("dt", {}, "Hypothesis"), h("dd", {}, d.Hypothesis)] : null,
    d.LaunchCriteria ? [h("dt", {}, "Launch criteria"), h("dd", {}, d.LaunchCriteria)] : null);
}

function startRunForm(d) {
  return (close) => {
    const desc = h("input", { autocomplete: "off", maxlength: 1024 });
    const exposure = h("input", { type: "number", min: "0", max: "100", step: "any", value: "0", required: true });
    const keys = [d.Control, ...d.Treatments].map((t) => t.Key);
    const ov = overridesEditor({}, keys);
    const msg = h("div", {});
    const form = h("form", { class: "card", "aria-label": "Start run", on: {
      async submit(e) {
        e.preventDefault();
        msg.replaceChildren();
        try {
          const overrides = ov.value();
          const body = { Description: desc.value.trim() || undefined, ExposurePercentage: Number(exposure.value) };
          if (Object.keys(overrides).length) body.TreatmentOverrides = { Inline: overrides };
          const r = await busy(form, () => api.startExperimentRun(d.ApplicationId, d.Id, body));
          navigate(`${defPath(d.ApplicationId, d.Id)}/runs/${r.Run}`);
        } catch (err) {
          markInvalid(err);
          msg.replaceChildren(errorBox(err));
        }
      },
    } },
    h("div", { class: "row" }, field("Exposure (%)", exposure, "Share of the audience that enters; it can only be raised while the run is running. 0 % tests with overrides only."),
      field("Run description", desc)),
    h("h3", {}, "Overrides"), ov.el, msg,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Start"),
      h("button", { type: "button", on: { click: close } }, "Cancel")));
    return form;
  };
}

function deleteButtons(d, msg) {
  const del = (type, title, text, label) => h("button", { type: "button", class: "danger", on: { async click() {
    if (!(await confirmDialog(title, text, label))) return;
    try {
      await api.deleteExperimentDefinition(d.ApplicationId, d.Id, type);
      navigate(p`/console/experiments?application=${d.ApplicationId}` + (type === "ARCHIVE" ? "&status=ARCHIVED" : ""));
    } catch (err) {
      msg.replaceChildren(errorBox(err));
      msg.scrollIntoView({ block: "nearest" });
    }
  } } }, label);
  return h("section", { "aria-labelledby": "danger-h", class: "danger-zone" },
    h("h2", { id: "danger-h" }, "Archive or destroy"),
    h("p", {}, "Archiving keeps the definition and its runs (it no longer counts against the quota); destroying deletes them. The flag stays deployed as it is."),
    h("div", { class: "actions" },
      d.Status === "ARCHIVED" ? null : del("ARCHIVE", "Archive experiment definition?", `Archive "${d.Name}"? It cannot be edited or run again.`, "Archive"),
      del("DESTROY", "Destroy experiment definition?", `Destroy "${d.Name}" and all its runs? This cannot be undone.`, "Destroy")));
}

export async function definitionPage(el, ctx, { app, def }) {
  const [application, d, runs] = await Promise.all([api.getApplication(app), api.getExperimentDefinition(app, def), api.listExperimentRuns(app, def)]);
  const n = await names([d.ApplicationId]);
  if (!ctx.live()) return;
  document.title = `${d.Name} · Experiments · appconfigd`;
  runs.sort((a, b) => b.Run - a.Run);
  const msg = h("div", {});
  const running = runs.find((r) => r.Status === "RUNNING");
  const base = defPath(d.ApplicationId, d.Id);
  append(el, [
    breadcrumbs(["Experiments", "/console/experiments"], [application.Name, p`/console/experiments?application=${d.ApplicationId}`], [d.Name]),
    h("h1", { tabindex: "-1" }, d.Name),
    h("p", { class: "meta" }, "ID ", h("code", {}, d.Id), " · ", statusBadge(d.Status), " · updated ", fmtTime(d.UpdatedAt)),
    msg,
    definitionFacts(d, app, n.get(`${d.ApplicationId}/${d.EnvironmentId}`), n.get(`${d.ApplicationId}/${d.ConfigurationProfileId}`)),
    h("section", { "aria-labelledby": "tr-h" }, h("h2", { id: "tr-h" }, "Control and treatments"), treatmentsTable(d)),
    h("section", { "aria-labelledby": "runs-h" },
      h("h2", { id: "runs-h" }, "Runs"),
      d.Status === "ARCHIVED" ? h("p", { class: "hint" }, "Archived: no new runs.")
        : running ? h("p", { class: "hint" }, "Run ", h("a", { href: `${base}/runs/${running.Run}` }, `${running.Run}`), " is running; stop it before starting another.")
          : toggleForm("Start run", startRunForm(d)),
      table("Runs, newest first", ["Run", "Status", "Description", "Started", "Ended"],
        runs.map((r) => [h("a", { href: `${base}/runs/${r.Run}` }, `Run ${r.Run}`), statusBadge(r.Status), r.Description || "", fmtTime(r.StartedAt), fmtTime(r.EndedAt)]),
        "No runs yet.")),
    h("section", { "aria-labelledby": "edit-h" },
      h("h2", { id: "edit-h" }, "Edit"),
      d.Status === "IDLE" ? toggleForm("Edit definition", definitionForm({ def: d }))
        : h("p", { class: "hint" }, d.Status === "ACTIVE" ? "A run is running: stop it to edit the definition (runs keep the definition they started with)." : "Archived definitions cannot be edited.")),
    deleteButtons(d, msg),
  ]);
}
