import { api, p, serviceNow } from "../api.js";
import { h, append, replace, field, errorBox, table, busy, breadcrumbs, toggleForm, confirmDialog, fmtTime, fmtDuration } from "../dom.js";
import { navigate } from "../router.js";

const IN_PROGRESS = new Set(["DEPLOYING", "BAKING", "VALIDATING", "ROLLING_BACK"]);

function startForm(app, env, profiles, strategies) {
  return (close) => {
    const prof = h("select", { name: "profile", required: true },
      profiles.map((c) => h("option", { value: c.Id }, `${c.Name} (${c.Id})`)));
    const version = h("select", { name: "version", required: true });
    const strategy = h("select", { name: "strategy", required: true },
      strategies.map((s) => h("option", { value: s.Id }, s.Name + (s.Name === s.Id ? "" : ` (${s.Id})`))));
    const desc = h("input", { name: "description", autocomplete: "off", maxlength: 1024 });
    const msg = h("div", {});
    const loadVersions = async () => {
      version.replaceChildren();
      try {
        const vs = prof.value ? await api.listVersions(app, prof.value) : [];
        vs.sort((a, b) => b.VersionNumber - a.VersionNumber);
        version.replaceChildren(...vs.map((v) => h("option", { value: String(v.VersionNumber) },
          `Version ${v.VersionNumber}` + (v.VersionLabel ? ` (${v.VersionLabel})` : ""))));
      } catch (err) {
        msg.replaceChildren(errorBox(err));
      }
    };
    prof.addEventListener("change", loadVersions);
    loadVersions();
    const form = h("form", { class: "card", "aria-label": "Start deployment", on: {
      async submit(e) {
        e.preventDefault();
        msg.replaceChildren();
        try {
          const d = await busy(form, () => api.startDeployment(app, env, {
            ConfigurationProfileId: prof.value, ConfigurationVersion: version.value,
            DeploymentStrategyId: strategy.value, Description: desc.value.trim() || undefined }));
          navigate(p`/console/applications/${app}/environments/${env}/deployments/${d.DeploymentNumber}`);
        } catch (err) {
          msg.replaceChildren(errorBox(err));
        }
      },
    } },
    h("div", { class: "row" }, field("Configuration profile", prof), field("Version", version), field("Deployment strategy", strategy)),
    field("Description", desc), msg,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Start"),
      h("button", { type: "button", on: { click: close } }, "Cancel")));
    return form;
  };
}

function stateBadge(state) {
  return h("span", { class: `badge state-${String(state).toLowerCase()}` }, state);
}

// typeBadge shows a deployment's Type (USER, or MANAGED for the ones an
// experiment run starts) when the server returns it.
function typeBadge(type) {
  return type ? h("span", { class: `badge type-${String(type).toLowerCase()}` }, type) : "";
}

function deploymentsTable(base, deployments) {
  const typed = deployments.some((d) => d.Type);
  const headers = ["Deployment", "Configuration", "Version", ...(typed ? ["Type"] : []), "State", "Progress", "Started"];
  return table("Deployments, newest first", headers,
    deployments.map((d) => [
      h("a", { href: `${base}/deployments/${d.DeploymentNumber}` }, `Deployment ${d.DeploymentNumber}`),
      d.ConfigurationName, d.ConfigurationVersion, ...(typed ? [typeBadge(d.Type)] : []),
      stateBadge(d.State), `${Math.round(d.PercentageComplete ?? 0)}%`, fmtTime(d.StartedAt)]),
    "No deployments yet.");
}

export async function environmentPage(el, ctx, { app, env }) {
  const [application, environment, deployments, profiles, strategies] = await Promise.all([
    api.getApplication(app), api.getEnvironment(app, env), api.listDeployments(app, env), api.listProfiles(app), api.listStrategies()]);
  if (!ctx.live()) return;
  document.title = `${environment.Name} · ${application.Name} · appconfigd`;
  deployments.sort((a, b) => b.DeploymentNumber - a.DeploymentNumber);
  const base = p`/console/applications/${app}/environments/${env}`;
  append(el, [
    breadcrumbs(["Applications", "/console/"], [application.Name, p`/console/applications/${app}`], [environment.Name]),
    h("h1", { tabindex: "-1" }, environment.Name),
    h("p", { class: "meta" }, "ID ", h("code", {}, environment.Id), " · state ", stateBadge(environment.State)),
    profiles.length ? toggleForm("Start deployment", startForm(app, env, profiles, strategies))
      : h("p", { class: "hint" }, "Create a configuration profile to deploy."),
    h("section", { "aria-labelledby": "deps-h" },
      h("h2", { id: "deps-h" }, "Deployments"),
      deploymentsTable(base, deployments)),
  ]);
}

// bakeLeft is the bake time remaining in service time (ms), or null.
function bakeLeft(d) {
  if (d.State !== "BAKING") return null;
  const ev = (d.EventLog || []).filter((e) => e.EventType === "BAKE_TIME_STARTED")
    .map((e) => Date.parse(e.OccurredAt)).sort((a, b) => b - a)[0];
  if (!ev) return null;
  return ev + (d.FinalBakeTimeInMinutes || 0) * 60000 - serviceNow();
}

function deploymentView(app, env, d, strategyName, onAction) {
  const inProgress = IN_PROGRESS.has(d.State);
  const bake = bakeLeft(d);
  const pct = Math.round((d.PercentageComplete ?? 0) * 10) / 10;
  const events = [...(d.EventLog || [])].sort((a, b) => Date.parse(b.OccurredAt) - Date.parse(a.OccurredAt));
  return [
    h("div", { class: "deploy-status", role: "status", "aria-live": "polite" },
      h("p", {}, "State ", stateBadge(d.State)),
      h("div", { class: "progress" },
        h("label", { for: "dep-pct" }, `Percentage complete: ${pct}%`),
        h("progress", { id: "dep-pct", max: 100, value: pct }, `${pct}%`)),
      bake !== null ? h("p", { class: "bake" }, `Baking: ${fmtDuration(bake)} left (final bake time ${d.FinalBakeTimeInMinutes} min)`) : null),
    h("dl", { class: "facts" },
      h("dt", {}, "Configuration"), h("dd", {}, h("a", { href: p`/console/applications/${app}/configurationprofiles/${d.ConfigurationProfileId}/versions/${d.ConfigurationVersion}` },
        `${d.ConfigurationName} version ${d.ConfigurationVersion}`)),
      h("dt", {}, "Strategy"), h("dd", {}, `${strategyName || d.DeploymentStrategyId || "No deployment strategy"}: ${d.DeploymentDurationInMinutes} min, ${d.GrowthType} ${d.GrowthFactor}%, bake ${d.FinalBakeTimeInMinutes} min`),
      d.Type ? [h("dt", {}, "Type"), h("dd", {}, typeBadge(d.Type))] : null,
      d.Description ? [h("dt", {}, "Description"), h("dd", {}, d.Description)] : null,
      h("dt", {}, "Started"), h("dd", {}, fmtTime(d.StartedAt)),
      d.CompletedAt ? [h("dt", {}, "Completed"), h("dd", {}, fmtTime(d.CompletedAt))] : null),
    h("div", { class: "actions" },
      inProgress && d.State !== "ROLLING_BACK" ? h("button", { type: "button", class: "danger", on: { click: () => onAction(false) } }, "Stop deployment") : null,
      d.State === "COMPLETE" ? h("button", { type: "button", class: "danger", on: { click: () => onAction(true) } }, "Revert") : null),
    h("section", { "aria-labelledby": "log-h" },
      h("h2", { id: "log-h" }, "Event log"),
      table("Event log, newest first", ["Time", "Event", "Triggered by", "Description"],
        events.map((e) => [fmtTime(e.OccurredAt), e.EventType, e.TriggeredBy, e.Description || ""]), "No events.")),
  ];
}

export async function deploymentPage(el, ctx, { app, env, n }) {
  const [application, environment, first] = await Promise.all([
    api.getApplication(app), api.getEnvironment(app, env), api.getDeployment(app, env, n)]);
  // The strategy may have been deleted since: then its id is shown. A
  // managed deployment (an experiment run's) has none.
  const strategy = first.DeploymentStrategyId ? await api.getStrategy(first.DeploymentStrategyId).catch(() => null) : null;
  if (!ctx.live()) return;
  document.title = `Deployment ${n} · ${environment.Name} · appconfigd`;
  const live = h("div", {});
  const msg = h("div", {});
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  const draw = (d) => {
    const focused = document.activeElement && live.contains(document.activeElement) ? document.activeElement.textContent : null;
    replace(live, deploymentView(app, env, d, strategy?.Name, action));
    if (focused) [...live.querySelectorAll("button")].find((b) => b.textContent === focused)?.focus();
    clearTimeout(timer);
    if (IN_PROGRESS.has(d.State)) timer = setTimeout(poll, 1000);
  };
  const poll = async () => {
    try {
      const d = await api.getDeployment(app, env, n);
      if (ctx.live()) draw(d);
    } catch (err) {
      if (ctx.live()) msg.replaceChildren(errorBox(err));
    }
  };
  async function action(revert) {
    const ok = revert
      ? await confirmDialog("Revert deployment?", `Revert deployment ${n}? The environment goes back to the configuration it had before.`, "Revert")
      : await confirmDialog("Stop deployment?", `Stop deployment ${n}? It rolls back to the previous configuration.`, "Stop deployment");
    if (!ok || !ctx.live()) return;
    try {
      await api.stopDeployment(app, env, n, revert);
      await poll();
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  }
  append(el, [
    breadcrumbs(["Applications", "/console/"], [application.Name, p`/console/applications/${app}`],
      [environment.Name, p`/console/applications/${app}/environments/${env}`], [`Deployment ${n}`]),
    h("h1", { tabindex: "-1" }, `Deployment ${n}`),
    msg, live]);
  draw(first);
}
