import { api, p } from "../api.js";
import { h, append, table, breadcrumbs } from "../dom.js";

export async function extensionsPage(el, ctx) {
  const [exts, assocs] = await Promise.all([api.listExtensions(), api.listAssociations()]);
  if (!ctx.live()) return;
  document.title = "Extensions · appconfigd";
  exts.sort((a, b) => a.Name.localeCompare(b.Name));
  append(el, [
    breadcrumbs(["Extensions"]),
    h("h1", { tabindex: "-1" }, "Extensions"),
    h("p", { class: "hint" }, "Read-only: create and associate extensions with the API, the CLI or a seed file."),
    table("Extensions", ["Name", "Version", "ID", "Description"],
      exts.map((x) => [h("a", { href: p`/console/extensions/${x.Id}` }, x.Name), x.VersionNumber, h("code", {}, x.Id), x.Description || ""]),
      "No extensions."),
    h("h2", {}, "Associations"),
    associationsTable(assocs),
  ]);
}

function associationsTable(assocs) {
  return table("Extension associations", ["ID", "Extension", "Version", "Resource"],
    assocs.map((a) => [h("code", {}, a.Id), h("code", {}, a.ExtensionArn), a.ExtensionVersionNumber ?? "", h("code", {}, a.ResourceArn)]),
    "No associations.");
}

export async function extensionPage(el, ctx, { id }) {
  const x = await api.getExtension(id);
  const assocs = await api.listAssociations(x.Arn);
  if (!ctx.live()) return;
  document.title = `${x.Name} · Extensions · appconfigd`;
  const actions = Object.entries(x.Actions || {}).flatMap(([point, list]) =>
    list.map((a) => [point, a.Name || "", h("code", {}, a.Uri || ""), a.RoleArn ? h("code", {}, a.RoleArn) : ""]));
  const params = Object.entries(x.Parameters || {}).map(([k, v]) => [h("code", {}, k), v.Required ? "yes" : "no", v.Dynamic ? "yes" : "no", v.Description || ""]);
  append(el, [
    breadcrumbs(["Extensions", "/console/extensions"], [x.Name]),
    h("h1", { tabindex: "-1" }, x.Name),
    h("dl", { class: "facts" },
      h("dt", {}, "ARN"), h("dd", {}, h("code", {}, x.Arn)),
      h("dt", {}, "Version"), h("dd", {}, String(x.VersionNumber)),
      x.Description ? [h("dt", {}, "Description"), h("dd", {}, x.Description)] : null),
    h("h2", {}, "Actions"),
    table("Actions", ["Action point", "Name", "URI", "Role"], actions, "No actions."),
    h("h2", {}, "Parameters"),
    table("Parameters", ["Name", "Required", "Dynamic", "Description"], params, "No parameters."),
    h("h2", {}, "Associations"),
    associationsTable(assocs),
  ]);
}
