// The feature flags editor: edits the parsed document in place, so a
// saved version differs from the one it was loaded from exactly by what
// was edited. _createdAt/_updatedAt are left as loaded; the server owns
// them (it moves _updatedAt on the entries whose content changed).
import { api } from "../api.js";
import { h, field, errorBox, busy, uid, replace } from "../dom.js";

const srOnly = (t) => h("span", { class: "sr-only" }, t);

function labelled(prefix, text, control) {
  control.id ||= uid("a");
  return h("div", { class: "field" }, h("label", { for: control.id }, srOnly(prefix + " "), text), control);
}

// attrControl edits one attribute value in the object target() returns
// (created on first change by target(true)).
function attrControl(prefix, name, constraints, target, changed) {
  const c = constraints || {};
  const cur = (target(false) || {})[name];
  const set = (v) => {
    const obj = target(true);
    if (v === undefined) delete obj[name];
    else obj[name] = v;
    changed();
  };
  let ctl;
  if (c.type === "boolean") {
    ctl = h("input", { type: "checkbox", checked: cur === true, on: { change: () => set(ctl.checked) } });
    ctl.id = uid("a");
    return h("div", { class: "field check" }, ctl, h("label", { for: ctl.id }, srOnly(prefix + " "), name));
  }
  if (c.type === "number") {
    ctl = h("input", { type: "number", step: "any", value: cur ?? "", on: {
      input: () => set(ctl.value === "" ? undefined : Number(ctl.value)) } });
  } else if (c.type === "string" && Array.isArray(c.enum)) {
    ctl = h("select", { on: { change: () => {
      const v = c.enum.find((x) => String(x) === ctl.value);
      set(ctl.value === "" ? undefined : v);
    } } }, h("option", { value: "" }, "(not set)"), c.enum.map((x) => h("option", { value: String(x), selected: x === cur }, String(x))));
  } else if (c.type === "array") {
    ctl = h("input", { value: cur === undefined ? "" : JSON.stringify(cur), class: "code", on: {
      change: () => {
        if (ctl.value.trim() === "") return ctl.removeAttribute("aria-invalid"), set(undefined);
        try {
          const v = JSON.parse(ctl.value);
          if (!Array.isArray(v)) throw new Error();
          ctl.removeAttribute("aria-invalid");
          set(v);
        } catch {
          ctl.setAttribute("aria-invalid", "true");
        }
      },
    } });
    ctl.title = 'A JSON array, e.g. ["a", "b"]';
  } else {
    ctl = h("input", { value: cur ?? "", on: { input: () => set(ctl.value === "" ? undefined : ctl.value) } });
  }
  return labelled(prefix, name, ctl);
}

function variantEditor(key, defs, variant, i, changed, remove) {
  const name = h("input", { value: variant.name ?? "", required: true, on: { input: () => ((variant.name = name.value), changed()) } });
  const enabled = h("input", { type: "checkbox", checked: variant.enabled === true, on: {
    change: () => ((variant.enabled = enabled.checked), changed()) } });
  enabled.id = uid("v");
  const rule = h("textarea", { rows: 2, class: "code", on: { input: () => {
    if (rule.value === "") delete variant.rule;
    else variant.rule = rule.value;
    changed();
  } } });
  rule.value = variant.rule ?? "";
  const prefix = `${key} variant ${i + 1}`;
  const target = (create) => {
    if (create && !variant.attributeValues) variant.attributeValues = {};
    return variant.attributeValues;
  };
  return h("fieldset", { class: "variant" },
    h("legend", {}, `Variant ${i + 1}`),
    labelled(prefix, "Name", name),
    h("div", { class: "field check" }, enabled, h("label", { for: enabled.id }, srOnly(prefix + " "), "Enabled")),
    labelled(prefix, "Rule", rule),
    Object.entries(defs).map(([a, d]) => attrControl(prefix, a, d.constraints, target, changed)),
    h("button", { type: "button", class: "small", on: { click: remove } }, `Remove variant ${i + 1}`, srOnly(` of ${key}`)));
}

function flagCard(doc, key, changed) {
  const def = (doc.flags || {})[key] || {};
  const values = () => (doc.values || {})[key];
  const target = (create) => {
    if (create) {
      doc.values ||= {};
      doc.values[key] ||= {};
    }
    return values();
  };
  const card = h("fieldset", { class: "flag" });
  const draw = () => {
    const v = values() || {};
    const sw = h("input", { type: "checkbox", role: "switch", checked: v.enabled === true, on: {
      change: () => ((target(true).enabled = sw.checked), changed()) } });
    sw.id = uid("flag");
    const defs = def.attributes || {};
    const variants = v._variants || [];
    replace(card,
      h("legend", {}, def.name || key, " ", h("code", {}, key)),
      def.description ? h("p", { class: "hint" }, def.description) : null,
      def._deprecation ? h("p", { class: "hint" }, `Deprecation ${def._deprecation.status || ""} ${def._deprecation.date || ""}`) : null,
      h("div", { class: "field check switch" }, sw, h("label", { for: sw.id }, srOnly(key + " "), "Enabled")),
      Object.keys(defs).length ? h("div", { class: "attrs" }, h("h4", {}, "Attributes"),
        Object.entries(defs).map(([a, d]) => attrControl(key, a, d.constraints, target, changed))) : null,
      h("div", { class: "variants" }, h("h4", {}, "Variants"),
        variants.length ? h("p", { class: "hint" }, "Rules are tried in order; the last variant, without a rule, is the default.") : null,
        variants.map((vr, i) => variantEditor(key, defs, vr, i, changed, () => {
          variants.splice(i, 1);
          if (!variants.length) delete target(true)._variants;
          changed();
          draw();
        })),
        h("button", { type: "button", class: "small", on: { click: () => {
          const t = target(true);
          t._variants ||= [];
          // The last variant, without a rule, is the default: a new one
          // goes before it.
          const v = { name: `variant-${t._variants.length + 1}`, enabled: false };
          const last = t._variants[t._variants.length - 1];
          if (last && last.rule === undefined) t._variants.splice(t._variants.length - 1, 0, v);
          else t._variants.push(v);
          changed();
          draw();
        } } }, "Add variant", srOnly(` to ${key}`))),
    );
  };
  draw();
  return card;
}

export function flagsEditor({ app, profile, latest, onSaved }) {
  let doc;
  let parseError = null;
  try {
    doc = latest ? JSON.parse(latest.Content) : { version: "1", flags: {}, values: {} };
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("the latest version is not a JSON object");
  } catch (e) {
    parseError = e;
  }
  const section = h("section", { "aria-labelledby": "flags-h", class: "flags" }, h("h2", { id: "flags-h" }, "Feature flags"));
  if (parseError) {
    section.append(h("p", { class: "error" }, `The latest version cannot be edited as flags: ${parseError.message}`));
    return section;
  }
  const orig = JSON.stringify(doc);
  const state = h("span", { class: "hint", "aria-live": "polite" }, "No changes");
  const save = h("button", { type: "submit", class: "primary", disabled: true }, "Save new version");
  const changed = () => {
    const dirty = JSON.stringify(doc) !== orig;
    save.disabled = !dirty;
    state.textContent = dirty ? "Unsaved changes" : "No changes";
  };
  const list = h("div", { class: "flag-list" });
  const drawAll = () => {
    const keys = [...new Set([...Object.keys(doc.flags || {}), ...Object.keys(doc.values || {})])];
    list.replaceChildren(...(keys.length ? keys.map((k) => flagCard(doc, k, changed)) : [h("p", { class: "empty" }, "No flags yet.")]));
  };
  drawAll();
  const newKey = h("input", { pattern: "[a-z][a-zA-Z0-9_\\-]{0,63}", autocomplete: "off" });
  const newName = h("input", { autocomplete: "off", maxlength: 64 });
  const addForm = h("details", { class: "add-flag" }, h("summary", {}, "Add a flag"),
    h("div", { class: "row" }, field("Flag key", newKey), field("Flag name", newName),
      h("button", { type: "button", on: { click: () => {
        const k = newKey.value.trim();
        if (!k || !newKey.checkValidity() || (doc.flags || {})[k]) return newKey.setAttribute("aria-invalid", "true");
        newKey.removeAttribute("aria-invalid");
        doc.flags ||= {};
        doc.values ||= {};
        doc.flags[k] = { name: newName.value.trim() || k };
        doc.values[k] = { enabled: false };
        newKey.value = newName.value = "";
        drawAll();
        changed();
      } } }, "Add flag")));
  const desc = h("input", { autocomplete: "off", maxlength: 1024 });
  const msg = h("div", {});
  const form = h("form", { on: {
    async submit(e) {
      e.preventDefault();
      msg.replaceChildren();
      try {
        const out = await busy(form, () => api.createVersion(app, profile, {
          content: JSON.stringify(doc), contentType: "application/json", description: desc.value.trim(),
          latest: latest ? latest.VersionNumber : undefined }));
        onSaved(out.VersionNumber);
      } catch (err) {
        msg.replaceChildren(errorBox(err));
        changed();
      }
    },
  } },
  h("p", { class: "hint" }, latest ? `Editing version ${latest.VersionNumber}.` : "No version yet: saving creates version 1."),
  list, addForm,
  field("Description of the change", desc),
  msg,
  h("div", { class: "actions" }, save, state));
  section.append(form);
  return section;
}
