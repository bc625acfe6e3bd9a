// The AppConfig control-plane API (restJson1), as the AWS model defines
// it: every call here is one of the model's operations.
import { sign, rfc3986 } from "./sigv4.js";

export class ApiError extends Error {
  constructor(status, type, message, details) {
    super(message || type || `HTTP ${status}`);
    this.status = status;
    this.type = type;
    this.details = details;
  }
}

// Settings written into index.html by the server.
export const settings = JSON.parse(document.getElementById("appconfigd-settings").textContent);
const loadedAt = performance.now();

// serviceNow is the server's service clock (which --time-scale speeds up).
export function serviceNow() {
  return settings.serviceTime + (performance.now() - loadedAt) * settings.timeScale;
}

const CREDS_KEY = "appconfigd.credentials";

export function savedCredentials() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDS_KEY) || "null");
  } catch {
    return null;
  }
}
export function saveCredentials(c) {
  if (c) sessionStorage.setItem(CREDS_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(CREDS_KEY);
}
export const needsSignIn = () => settings.auth === "sigv4" && !savedCredentials();

const seg = (s) => rfc3986(String(s));

// call sends one request. path segments must already be escaped (use p``).
export async function call(method, path, { query = [], headers = {}, body, raw = false, creds } = {}) {
  query = query.filter(([, v]) => v !== undefined && v !== null && v !== "");
  let sendHeaders = { ...headers };
  let payload = body;
  if (body !== undefined && typeof body !== "string") {
    payload = JSON.stringify(body);
    sendHeaders["Content-Type"] = "application/json";
  }
  const c = creds || savedCredentials();
  if (settings.auth === "sigv4") {
    if (!c) throw new ApiError(0, "NotSignedIn", "Sign in first.");
    sendHeaders = await sign({ method, path, query, headers: sendHeaders, body: payload ?? "" }, c, location.host);
  }
  const qs = query.map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`).join("&");
  const res = await fetch(path + (qs ? "?" + qs : ""), { method, headers: sendHeaders, body: payload, cache: "no-store" });
  const text = await res.text();
  if (!res.ok) {
    let data = {};
    try {
      data = JSON.parse(text);
    } catch {
      data = { Message: text };
    }
    const type = (res.headers.get("x-amzn-errortype") || data.__type || data.Code || "").split(":")[0].split("#").pop();
    throw new ApiError(res.status, type, data.Message || data.message, data.Details);
  }
  if (raw) return { headers: res.headers, text };
  return text ? JSON.parse(text) : {};
}

// p builds a path, escaping each interpolated segment.
export function p(strings, ...values) {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? seg(values[i]) : ""), "");
}

async function listAll(path, query = []) {
  const items = [];
  let token;
  do {
    const out = await call("GET", path, { query: [...query, ["max_results", 50], ["next_token", token]] });
    items.push(...(out.Items || []));
    token = out.NextToken;
  } while (token);
  return items;
}

export const api = {
  listApplications: () => listAll("/applications"),
  listApplicationsWith: (creds) => call("GET", "/applications", { query: [["max_results", 1]], creds }),
  getApplication: (app) => call("GET", p`/applications/${app}`),
  createApplication: (Name, Description) => call("POST", "/applications", { body: { Name, Description } }),
  deleteApplication: (app) => call("DELETE", p`/applications/${app}`),

  listEnvironments: (app) => listAll(p`/applications/${app}/environments`),
  getEnvironment: (app, env) => call("GET", p`/applications/${app}/environments/${env}`),
  createEnvironment: (app, Name, Description) => call("POST", p`/applications/${app}/environments`, { body: { Name, Description } }),
  deleteEnvironment: (app, env) => call("DELETE", p`/applications/${app}/environments/${env}`),

  listProfiles: (app) => listAll(p`/applications/${app}/configurationprofiles`),
  getProfile: (app, prof) => call("GET", p`/applications/${app}/configurationprofiles/${prof}`),
  createProfile: (app, body) => call("POST", p`/applications/${app}/configurationprofiles`, { body }),
  deleteProfile: (app, prof) => call("DELETE", p`/applications/${app}/configurationprofiles/${prof}`),

  listVersions: (app, prof) => listAll(p`/applications/${app}/configurationprofiles/${prof}/hostedconfigurationversions`),
  async getVersion(app, prof, n) {
    const r = await call("GET", p`/applications/${app}/configurationprofiles/${prof}/hostedconfigurationversions/${n}`, { raw: true });
    return {
      VersionNumber: Number(r.headers.get("Version-Number")),
      ContentType: r.headers.get("Content-Type"),
      Description: r.headers.get("Description"),
      VersionLabel: r.headers.get("VersionLabel"),
      Content: r.text,
    };
  },
  async createVersion(app, prof, { content, contentType, description, label, latest }) {
    const headers = { "Content-Type": contentType || "application/json" };
    if (description) headers.Description = description;
    if (label) headers.VersionLabel = label;
    if (latest !== undefined) headers["Latest-Version-Number"] = String(latest);
    const r = await call("POST", p`/applications/${app}/configurationprofiles/${prof}/hostedconfigurationversions`,
      { headers, body: content, raw: true });
    return { VersionNumber: Number(r.headers.get("Version-Number")) };
  },

  listStrategies: () => listAll("/deploymentstrategies"),
  getStrategy: (id) => call("GET", p`/deploymentstrategies/${id}`),
  listDeployments: (app, env) => listAll(p`/applications/${app}/environments/${env}/deployments`),
  getDeployment: (app, env, n) => call("GET", p`/applications/${app}/environments/${env}/deployments/${n}`),
  startDeployment: (app, env, body) => call("POST", p`/applications/${app}/environments/${env}/deployments`, { body }),
  stopDeployment: (app, env, n, allowRevert) =>
    call("DELETE", p`/applications/${app}/environments/${env}/deployments/${n}`,
      { headers: allowRevert ? { "Allow-Revert": "true" } : {} }),

  // Experiments (the model's 2026 operations). ListExperimentDefinitions
  // is account-wide; archived definitions show only with status=ARCHIVED.
  listExperimentDefinitions: ({ application, status } = {}) =>
    listAll("/experimentdefinitions", [["application_identifier", application], ["status", status]]),
  getExperimentDefinition: (app, def) => call("GET", p`/applications/${app}/experimentdefinitions/${def}`),
  createExperimentDefinition: (app, body) => call("POST", p`/applications/${app}/experimentdefinitions`, { body }),
  updateExperimentDefinition: (app, def, body) => call("PATCH", p`/applications/${app}/experimentdefinitions/${def}`, { body }),
  deleteExperimentDefinition: (app, def, deleteType) =>
    call("DELETE", p`/applications/${app}/experimentdefinitions/${def}`, { query: [["delete_type", deleteType]] }),
  listExperimentRuns: (app, def) => listAll(p`/applications/${app}/experimentdefinitions/${def}/experimentruns`),
  getExperimentRun: (app, def, run) => call("GET", p`/applications/${app}/experimentdefinitions/${def}/experimentruns/${run}`),
  startExperimentRun: (app, def, body) => call("POST", p`/applications/${app}/experimentdefinitions/${def}/experimentruns`, { body }),
  updateExperimentRun: (app, def, run, body) =>
    call("PATCH", p`/applications/${app}/experimentdefinitions/${def}/experimentruns/${run}/update`, { body }),
  stopExperimentRun: (app, def, run, body) =>
    call("PATCH", p`/applications/${app}/experimentdefinitions/${def}/experimentruns/${run}/stop`, { body }),
  listExperimentRunEvents: (app, def, run) =>
    listAll(p`/applications/${app}/experimentdefinitions/${def}/experimentruns/${run}/events`),

  listExtensions: () => listAll("/extensions"),
  getExtension: (id) => call("GET", p`/extensions/${id}`),
  listAssociations: (extension) => listAll("/extensionassociations", [["extension_identifier", extension]]),
};
