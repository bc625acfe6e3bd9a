// Form parts of the experiments pages: the treatments editor (control plus
// 1–5 treatments, keys c, t1…t5 assigned by the server in list order), the
// overrides editor (entity ID → treatment key) and attribute values, which
// the API sends as a union per value and the console edits as plain JSON.
import { h, field, uid } from "../dom.js";

export const MAX_TREATMENTS = 5;
export const MAX_OVERRIDES = 32;

export class FormError extends Error {
  constructor(message, control) {
    super(message);
    this.type = "Invalid input";
    this.control = control;
  }
}

// toUnion turns {"color": "red", "limit": 3} into the model's
// AttributeValueMap ({"color": {"StringValue": "red"}, …}).
export function toUnion(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === "string") out[k] = { StringValue: v };
    else if (typeof v === "number") out[k] = { NumberValue: v };
    else if (typeof v === "boolean") out[k] = { BooleanValue: v };
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = { StringArray: v };
    else if (Array.isArray(v) && v.every((x) => typeof x === "number")) out[k] = { NumberArray: v };
    else throw new Error(`attribute "${k}" must be a string, a number, a boolean, or an array of strings or of numbers`);
  }
  return out;
}

// fromUnion is toUnion's inverse, for showing and editing.
export function fromUnion(map) {
  const out = {};
  for (const [k, v] of Object.entries(map || {})) {
    for (const m of ["StringValue", "NumberValue", "BooleanValue", "StringArray", "NumberArray"]) {
      if (v[m] !== undefined) {
        out[k] = v[m];
        break;
      }
    }
  }
  return out;
}

export const treatmentName = (i) => (i === 0 ? "Control" : `Treatment ${i}`);
export const treatmentKey = (i) => (i === 0 ? "c" : `t${i}`);

export function flagValueText(fv) {
  const attrs = fromUnion(fv?.AttributeValues);
  const parts = [fv?.Enabled ? "enabled" : "disabled"];
  for (const [k, v] of Object.entries(attrs)) parts.push(`${k}=${JSON.stringify(v)}`);
  return parts.join(", ");
}

function treatmentRow(t, onRemove) {
  const weight = h("input", { type: "number", step: "any", min: "0", required: true, value: String(t.Weight ?? 50), class: "weight" });
  const enabled = h("input", { type: "checkbox", id: uid("tr-enabled"), checked: !!t.FlagValue?.Enabled });
  const attrs = fromUnion(t.FlagValue?.AttributeValues);
  const attrText = h("textarea", { rows: 2, spellcheck: "false", placeholder: '{"color": "orange"}' },
    Object.keys(attrs).length ? JSON.stringify(attrs) : "");
  const desc = h("input", { autocomplete: "off", maxlength: 1024, value: t.Description || "" });
  const share = h("span", { class: "share" });
  const legend = h("legend", {});
  const remove = onRemove ? h("button", { type: "button", class: "small danger", on: { click: onRemove } }) : null;
  let touched = false;
  const el = h("fieldset", { class: "treatment", on: { input: () => (touched = true), change: () => (touched = true) } }, legend,
    field("Weight", weight), h("div", { class: "field check" }, enabled, h("label", { for: enabled.id }, "Flag enabled")),
    field("Attribute values (JSON object)", attrText), field("Description", desc), share, remove);
  return {
    el, weight, remove,
    touched: () => touched,
    // set shows a flag's values entry ({enabled, attr: value, _variants…}).
    set(entry) {
      enabled.checked = !!entry.enabled;
      const attrs = Object.fromEntries(Object.entries(entry).filter(([k]) => k !== "enabled" && !k.startsWith("_")));
      attrText.value = Object.keys(attrs).length ? JSON.stringify(attrs) : "";
    },
    // label renumbers the row after an add or a remove.
    label(i) {
      const name = treatmentName(i);
      legend.replaceChildren(`${name} `, h("code", {}, treatmentKey(i)));
      weight.setAttribute("aria-label", `${name} weight`);
      enabled.setAttribute("aria-label", `${name} flag enabled`);
      attrText.setAttribute("aria-label", `${name} attribute values`);
      desc.setAttribute("aria-label", `${name} description`);
      if (remove) {
        remove.textContent = `Remove ${name.toLowerCase()}`;
        remove.setAttribute("aria-label", `Remove ${name.toLowerCase()}`);
      }
    },
    setShare(text) {
      share.textContent = text;
    },
    value() {
      const w = Number(weight.value);
      if (weight.value.trim() === "" || !Number.isFinite(w)) throw new FormError(`${legend.textContent.trim()}: the weight must be a number.`, weight);
      let parsed = {};
      if (attrText.value.trim()) {
        try {
          parsed = JSON.parse(attrText.value);
        } catch (err) {
          throw new FormError(`${legend.textContent.trim()}: attribute values are not JSON (${err.message}).`, attrText);
        }
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
          throw new FormError(`${legend.textContent.trim()}: attribute values must be a JSON object.`, attrText);
        }
      }
      let AttributeValues;
      try {
        AttributeValues = toUnion(parsed);
      } catch (err) {
        throw new FormError(`${legend.textContent.trim()}: ${err.message}.`, attrText);
      }
      return { Weight: w, Description: desc.value.trim() || undefined, FlagValue: { Enabled: enabled.checked, AttributeValues } };
    },
  };
}

// treatmentsEditor edits the control and the treatments; value() returns
// { Control, Treatments } in the model's shapes or throws a FormError.
export function treatmentsEditor(control, treatments) {
  const list = h("div", { class: "treatments" });
  const rows = [];
  const add = h("button", { type: "button", on: { click() {
    push({ Weight: 50, FlagValue: { Enabled: true } });
    rows[rows.length - 1].weight.focus();
  } } }, "Add treatment");
  const relabel = () => {
    rows.forEach((r, i) => r.label(i));
    const ws = rows.map((r) => Number(r.weight.value));
    const sum = ws.reduce((a, b) => a + (Number.isFinite(b) && b > 0 ? b : 0), 0);
    rows.forEach((r, i) => r.setShare(sum > 0 && Number.isFinite(ws[i]) && ws[i] >= 0
      ? `${Math.round((ws[i] / sum) * 1000) / 10} % of exposed entities` : ""));
    add.disabled = rows.length > MAX_TREATMENTS;
    rows.forEach((r) => r.remove && (r.remove.disabled = rows.length <= 2));
  };
  const push = (t, isControl = false) => {
    const row = treatmentRow(t, isControl ? null : () => {
      if (rows.length <= 2) return;
      rows.splice(rows.indexOf(row), 1);
      row.el.remove();
      relabel();
      add.focus(); // the removed button took the focus with it
    });
    row.weight.addEventListener("input", relabel);
    rows.push(row);
    list.append(row.el);
    relabel();
  };
  push(control, true);
  for (const t of treatments) push(t);
  return {
    el: h("div", {}, h("h3", {}, "Control and treatments"),
      h("p", { class: "hint" }, "Weights are relative: an exposed entity gets a treatment with probability weight ÷ sum of weights. The server names them c, t1, t2… in this order."),
      list, h("div", { class: "actions" }, add)),
    value() {
      const [c, ...ts] = rows.map((r) => r.value());
      return { Control: c, Treatments: ts };
    },
    prefillControl(entry) {
      if (!rows[0].touched()) rows[0].set(entry);
    },
  };
}

// overridesEditor edits entity ID → treatment key; keys lists the
// experiment's treatment keys (c, t1, …). value() returns the map.
export function overridesEditor(current, keys) {
  const list = h("div", { class: "overrides" });
  const rows = [];
  const add = h("button", { type: "button", on: { click() {
    push("", keys[1] || keys[0]);
    rows[rows.length - 1].entity.focus();
  } } }, "Add override");
  const relabel = () => {
    rows.forEach((r, i) => r.label(i + 1));
    add.disabled = rows.length >= MAX_OVERRIDES;
  };
  const push = (entityID, key) => {
    const entity = h("input", { autocomplete: "off", spellcheck: "false", maxlength: 2048, value: entityID, required: true });
    const sel = h("select", {}, keys.map((k) => h("option", { value: k, selected: k === key }, k === "c" ? "c (control)" : k)));
    const remove = h("button", { type: "button", class: "small danger" }, "Remove");
    const row = {
      entity,
      el: h("div", { class: "override row" }, field("Entity ID", entity), field("Treatment", sel), remove),
      label(n) {
        entity.setAttribute("aria-label", `Override ${n} entity ID`);
        sel.setAttribute("aria-label", `Override ${n} treatment`);
        remove.setAttribute("aria-label", `Remove override ${n}`);
      },
      value: () => [entity.value.trim(), sel.value],
    };
    remove.addEventListener("click", () => {
      rows.splice(rows.indexOf(row), 1);
      row.el.remove();
      relabel();
      add.focus(); // the removed button took the focus with it
    });
    rows.push(row);
    list.append(row.el);
    relabel();
  };
  for (const [e, k] of Object.entries(current || {})) push(e, k);
  return {
    el: h("div", {}, list, rows.length ? null : h("p", { class: "hint" }, "Overrides put an entity in a treatment whatever the exposure and the audience rule (the way to test at 0 % exposure)."),
      h("div", { class: "actions" }, add)),
    value() {
      const out = {};
      for (const r of rows) {
        const [e, k] = r.value();
        if (!e) throw new FormError("An override needs an entity ID.", r.entity);
        if (out[e] !== undefined) throw new FormError(`Entity ${e} has two overrides.`, r.entity);
        out[e] = k;
      }
      return out;
    },
  };
}

// markInvalid marks and focuses the control a FormError names.
export function markInvalid(err) {
  if (err instanceof FormError && err.control) {
    err.control.setAttribute("aria-invalid", "true");
    err.control.focus();
    err.control.addEventListener("input", () => err.control.removeAttribute("aria-invalid"), { once: true });
  }
}
