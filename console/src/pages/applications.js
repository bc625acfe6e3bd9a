import { api, p } from "../api.js";
import { h, append, field, errorBox, table, toggleForm, busy, breadcrumbs, confirmDialog } from "../dom.js";
import { navigate } from "../router.js";

// createForm is a small "Name, Description, Create" form.
function createForm(what, onCreate, extra = []) {
  return (close) => {
    const name = h("input", { name: "name", required: true, autocomplete: "off", maxlength: 64 });
    const desc = h("input", { name: "description", autocomplete: "off", maxlength: 1024 });
    const msg = h("div", {});
    const form = h("form", { class: "card", "aria-label": `Create ${what}`, on: {
      async submit(e) {
        e.preventDefault();
        msg.replaceChildren();
        try {
          await busy(form, () => onCreate(name.value.trim(), desc.value.trim(), form));
        } catch (err) {
          msg.replaceChildren(errorBox(err));
        }
      },
    } },
    field("Name", name), field("Description", desc), extra,
    msg,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create"),
      h("button", { type: "button", on: { click: close } }, "Cancel")));
    return form;
  };
}

export async function applicationsPage(el, ctx) {
  document.title = "Applications · appconfigd";
  const apps = await api.listApplications();
  if (!ctx.live()) return;
  apps.sort((a, b) => a.Name.localeCompare(b.Name));
  append(el, [
    breadcrumbs(["Applications"]),
    h("h1", { tabindex: "-1" }, "Applications"),
    toggleForm("Create application", createForm("application", async (name, desc) => {
      const app = await api.createApplication(name, desc || undefined);
      navigate(p`/console/applications/${app.Id}`);
    })),
    table("Applications", ["Name", "ID", "Description"],
      apps.map((a) => [h("a", { href: p`/console/applications/${a.Id}` }, a.Name), h("code", {}, a.Id), a.Description || ""]),
      "No applications yet."),
  ]);
}

const PROFILE_TYPES = [["AWS.Freeform", "Freeform"], ["AWS.AppConfig.FeatureFlags", "Feature flags"]];

export async function applicationPage(el, ctx, { app }) {
  const [application, envs, profiles] = await Promise.all([api.getApplication(app), api.listEnvironments(app), api.listProfiles(app)]);
  if (!ctx.live()) return;
  document.title = `${application.Name} · appconfigd`;
  const base = p`/console/applications/${app}`;
  const msg = h("div", {});
  const reload = () => navigate(location.pathname + location.search, { replace: true });
  const del = (what, name, fn) => h("button", { type: "button", class: "danger small", "aria-label": `Delete ${what} ${name}`, on: {
    async click() {
      if (!(await confirmDialog(`Delete ${what}?`, `Delete ${what} "${name}"? This cannot be undone.`, "Delete"))) return;
      try {
        await fn();
        reload();
      } catch (err) {
        msg.replaceChildren(errorBox(err));
      }
    },
  } }, "Delete");
  const typeSel = h("select", { name: "type" }, PROFILE_TYPES.map(([v, l]) => h("option", { value: v }, l)));
  append(el, [
    breadcrumbs(["Applications", "/console/"], [application.Name]),
    h("h1", { tabindex: "-1" }, application.Name),
    h("p", { class: "meta" }, "ID ", h("code", {}, application.Id), application.Description ? " · " + application.Description : "",
      " · ", h("a", { href: p`/console/experiments?application=${app}` }, "Experiments")),
    msg,
    h("section", { "aria-labelledby": "envs-h" },
      h("h2", { id: "envs-h" }, "Environments"),
      toggleForm("Create environment", createForm("environment", async (name, desc) => {
        await api.createEnvironment(app, name, desc || undefined);
        reload();
      })),
      table("Environments", ["Name", "ID", "State", ""],
        envs.map((e) => [h("a", { href: `${base}/environments/${encodeURIComponent(e.Id)}` }, e.Name), h("code", {}, e.Id), e.State,
          del("environment", e.Name, () => api.deleteEnvironment(app, e.Id))]),
        "No environments yet.")),
    h("section", { "aria-labelledby": "profiles-h" },
      h("h2", { id: "profiles-h" }, "Configuration profiles"),
      toggleForm("Create configuration profile", createForm("configuration profile", async (name, desc) => {
        await api.createProfile(app, { Name: name, Description: desc || undefined, LocationUri: "hosted", Type: typeSel.value });
        reload();
      }, [field("Type", typeSel)])),
      table("Configuration profiles", ["Name", "ID", "Type", ""],
        profiles.map((c) => [h("a", { href: `${base}/configurationprofiles/${encodeURIComponent(c.Id)}` }, c.Name), h("code", {}, c.Id),
          c.Type === "AWS.AppConfig.FeatureFlags" ? "Feature flags" : "Freeform",
          del("configuration profile", c.Name, () => api.deleteProfile(app, c.Id))]),
        "No configuration profiles yet.")),
    h("section", { "aria-labelledby": "danger-h", class: "danger-zone" },
      h("h2", { id: "danger-h" }, "Delete application"),
      h("p", {}, "Deleting an application cannot be undone."),
      h("button", { type: "button", class: "danger", on: {
        async click() {
          if (!(await confirmDialog("Delete application?", `Delete application "${application.Name}"? This cannot be undone.`, "Delete"))) return;
          try {
            await api.deleteApplication(app);
            navigate("/console/");
          } catch (err) {
            msg.replaceChildren(errorBox(err));
          }
        },
      } }, "Delete application")),
  ]);
}
