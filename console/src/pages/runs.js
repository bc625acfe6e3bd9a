// An experiment run: its state, raise exposure, edit overrides, stop with
// a result, and its event log (newest first) with the deployment each
// event went out with.
import { api, p } from "../api.js";
import { h, append, field, errorBox, status, table, busy, breadcrumbs, toggleForm, confirmDialog, fmtTime } from "../dom.js";
import { navigate } from "../router.js";
import { overridesEditor, markInvalid, flagValueText } from "./experiment-forms.js";
import { statusBadge, defPath } from "./experiments.js";

// A note to show once after the page reloads itself (e.g. "Overrides saved.").
let pendingNote = null;

const pct = (x) => `${Math.round((x ?? 0) * 100) / 100} %`;

// deploymentLink links a deployment ARN
// (…:application/A/environment/E/deployment/N) to its page.
function deploymentLink(arn) {
  if (!arn) return "";
  const m = /:application\/([^/]+)\/environment\/([^/]+)\/deployment\/(\d+)$/.exec(arn);
  const code = h("code", { class: "arn" }, arn);
  if (!m) return code;
  return h("span", {}, h("a", { href: p`/console/applications/${m[1]}/environments/${m[2]}/deployments/${m[3]}` }, `Deployment ${m[3]}`), " ", code);
}

function overridesText(o) {
  const m = o?.Inline || {};
  const e = Object.entries(m);
  return e.length ? e.map(([k, v]) => `${k} → ${v}`).join(", ") : "none";
}

function raiseForm(r, save) {
  const exposure = h("input", { type: "number", min: "0", max: "100", step: "any", required: true, value: String(r.ExposurePercentage ?? 0) });
  const form = h("form", { class: "inline", "aria-label": "Raise exposure", novalidate: true, on: { async submit(e) {
    e.preventDefault();
    await busy(form, () => save({ ExposurePercentage: Number(exposure.value) }, `Exposure is now ${Number(exposure.value)} %.`));
  } } },
  field("Exposure (%)", exposure, `Now ${pct(r.ExposurePercentage)}; it can only be raised.`),
  h("button", { type: "submit", class: "primary" }, "Raise exposure"));
  return form;
}

function overridesForm(r, keys, save) {
  return (close) => {
    const ov = overridesEditor(r.TreatmentOverrides?.Inline || {}, keys);
    const form = h("form", { class: "card", "aria-label": "Edit overrides", on: { async submit(e) {
      e.preventDefault();
      let inline;
      try {
        inline = ov.value();
      } catch (err) {
        markInvalid(err);
        return save(null, null, err);
      }
      await busy(form, () => save({ TreatmentOverrides: { Inline: inline } }, "Overrides saved."));
    } } },
    ov.el,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save overrides"),
      h("button", { type: "button", on: { click: close } }, "Cancel")));
    return form;
  };
}

function stopForm(r, stop) {
  return (close) => {
    const text = (label) => h("textarea", { rows: 2, maxlength: 1024, "aria-label": label });
    const summary = text("Executive summary");
    const yes = text("Reasons to launch");
    const no = text("Reasons not to launch");
    const form = h("form", { class: "card", "aria-label": "Stop run", on: { async submit(e) {
      e.preventDefault();
      if (!(await confirmDialog("Stop run?", `Stop run ${r.Run}? Clients get the flag as deployed again; a stopped run cannot be restarted.`, "Stop run"))) return;
      const result = { ExecutiveSummary: summary.value.trim(), ReasonsToLaunch: yes.value.trim(), ReasonsNotToLaunch: no.value.trim() };
      for (const k of Object.keys(result)) if (!result[k]) delete result[k];
      await busy(form, () => stop(Object.keys(result).length ? { Result: result } : {}));
    } } },
    h("p", { class: "hint" }, "The result is free text kept with the run: AppConfig does not analyse experiments."),
    field("Executive summary", summary), field("Reasons to launch", yes), field("Reasons not to launch", no),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Stop run"),
      h("button", { type: "button", on: { click: close } }, "Cancel")));
    return form;
  };
}

function runFacts(r) {
  const res = r.Result || {};
  return h("dl", { class: "facts", "data-testid": "run-facts" },
    h("dt", {}, "Status"), h("dd", {}, statusBadge(r.Status)),
    h("dt", {}, "Exposure"), h("dd", { "data-testid": "exposure" }, pct(r.ExposurePercentage)),
    r.Description ? [h("dt", {}, "Description"), h("dd", {}, r.Description)] : null,
    h("dt", {}, "Started"), h("dd", {}, fmtTime(r.StartedAt)),
    r.EndedAt ? [h("dt", {}, "Ended"), h("dd", {}, fmtTime(r.EndedAt))] : null,
    res.ExecutiveSummary ? [h("dt", {}, "Executive summary"), h("dd", {}, res.ExecutiveSummary)] : null,
    res.ReasonsToLaunch ? [h("dt", {}, "Reasons to launch"), h("dd", {}, res.ReasonsToLaunch)] : null,
    res.ReasonsNotToLaunch ? [h("dt", {}, "Reasons not to launch"), h("dd", {}, res.ReasonsNotToLaunch)] : null);
}

function snapshotTable(s) {
  const all = [s.Control, ...(s.Treatments || [])].filter(Boolean);
  return table("Treatments of this run", ["Key", "Weight", "Flag value", "Description"],
    all.map((t) => [h("code", {}, t.Key), String(t.Weight), flagValueText(t.FlagValue), t.Description || ""]), "No treatments.");
}

function eventsTable(events) {
  return table("Event log, newest first", ["Time", "Event", "Triggered by", "Exposure", "Overrides", "Deployment", "Description"],
    events.map((e) => [fmtTime(e.OccurredAt), e.EventType, e.TriggeredBy, pct(e.ExposurePercentage), overridesText(e.TreatmentOverrides),
      deploymentLink(e.AssociatedDeployment), e.Description || ""]), "No events.");
}

// watchRun polls a RUNNING run every few seconds, so a run stopped or
// changed elsewhere (the API, the CLI, an alarm) shows without a reload.
function watchRun(ctx, app, def, r, reload, acting) {
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  const poll = async () => {
    try {
      const now = await api.getExperimentRun(app, def, r.Run);
      if (!ctx.live()) return;
      // While this page's own change is on its way, it reloads the page itself.
      if (!acting()) {
        if (now.Status !== r.Status) return reload(`Run ${r.Run} was stopped elsewhere; the event log says by whom.`);
        if (now.UpdatedAt !== r.UpdatedAt) return reload(`Run ${r.Run} was changed elsewhere.`);
      }
    } catch {
      // A failed poll is retried; the next action shows any real error.
    }
    if (ctx.live()) timer = setTimeout(poll, RUN_POLL_MS);
  };
  timer = setTimeout(poll, RUN_POLL_MS);
}

const RUN_POLL_MS = 3000;

export async function runPage(el, ctx, { app, def, run }) {
  const [application, d, r, events] = await Promise.all([api.getApplication(app), api.getExperimentDefinition(app, def),
    api.getExperimentRun(app, def, run), api.listExperimentRunEvents(app, def, run)]);
  if (!ctx.live()) return;
  document.title = `Run ${r.Run} · ${d.Name} · appconfigd`;
  const s = r.ExperimentDefinitionSnapshot || d;
  const keys = [s.Control, ...(s.Treatments || [])].filter(Boolean).map((t) => t.Key);
  const msg = h("div", {});
  const reload = (note) => {
    pendingNote = note || null;
    navigate(location.pathname, { replace: true });
  };
  let acting = 0;
  // act runs this page's own change, then reloads the page with a note.
  const act = async (fn, note) => {
    msg.replaceChildren();
    acting++;
    try {
      await fn();
      reload(note);
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    } finally {
      acting--;
    }
  };
  const save = (body, note, formErr) => {
    if (formErr) return msg.replaceChildren(errorBox(formErr));
    return act(() => api.updateExperimentRun(app, def, run, body), note);
  };
  const stop = (body) => act(() => api.stopExperimentRun(app, def, run, body), `Run ${r.Run} stopped.`);
  if (r.Status === "RUNNING") watchRun(ctx, app, def, r, reload, () => acting > 0);
  const note = pendingNote;
  pendingNote = null;
  const running = r.Status === "RUNNING";
  append(el, [
    breadcrumbs(["Experiments", "/console/experiments"], [application.Name, p`/console/experiments?application=${app}`],
      [d.Name, defPath(app, def)], [`Run ${r.Run}`]),
    h("h1", { tabindex: "-1" }, `Run ${r.Run} of ${s.Name || d.Name}`),
    note && ctx.kind === "replace" ? status(note) : null,
    msg,
    runFacts(r),
    running ? h("section", { "aria-labelledby": "ctl-h" }, h("h2", { id: "ctl-h" }, "Change the run"),
      raiseForm(r, save), toggleForm("Edit overrides", overridesForm(r, keys, save)), toggleForm("Stop run", stopForm(r, stop))) : null,
    h("section", { "aria-labelledby": "ov-h" }, h("h2", { id: "ov-h" }, "Overrides"),
      table("Overrides", ["Entity ID", "Treatment"], Object.entries(r.TreatmentOverrides?.Inline || {}).map(([e, k]) => [h("code", {}, e), h("code", {}, k)]), "No overrides.")),
    h("section", { "aria-labelledby": "snap-h" }, h("h2", { id: "snap-h" }, "Treatments"),
      h("p", { class: "hint" }, `As the definition was when the run started: flag `, h("code", {}, s.FlagKey), `, audience `, h("code", {}, s.AudienceRule || ""), "."),
      snapshotTable(s)),
    h("section", { "aria-labelledby": "ev-h" }, h("h2", { id: "ev-h" }, "Event log"), eventsTable(events)),
  ]);
}
