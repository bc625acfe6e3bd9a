// Shared by the console's browser tests: Debian's chromium driven by
// playwright-core, a watch on every request the page makes, and the AWS
// SDK for JavaScript (from test/compat/js) to check what the console did.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");

export const URL_ = process.env.APPCONFIGD_URL;
assert.ok(URL_, "APPCONFIGD_URL must name a running appconfigd");
export const ORIGIN = new URL(URL_).origin;

// The SDK installed for the compat tests (npm ci --prefix test/compat/js).
const requireSDK = createRequire(join(repo, "test", "compat", "js", "package.json"));
export const sdk = requireSDK("@aws-sdk/client-appconfig");

export function client(credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" }, region = "us-east-1") {
  return new sdk.AppConfigClient({ endpoint: URL_, region, credentials, maxAttempts: 1 });
}

// The AppConfig model's operations: method plus a path pattern from each
// requestUri, which every API request the console makes must match.
function modelRoutes() {
  const model = JSON.parse(readFileSync(join(repo, "models", "appconfig", "2019-10-09", "service-2.json"), "utf8"));
  return Object.entries(model.operations).map(([name, op]) => {
    const path = op.http.requestUri.split("?")[0];
    const re = new RegExp("^" + path.replace(/\{[^}]+\+\}/g, ".+").replace(/\{[^}]+\}/g, "[^/]+") + "$");
    return { name, method: op.http.method, re };
  });
}
const routes = modelRoutes();

export function operationOf(method, pathname) {
  const hits = routes.filter((r) => r.method === method && r.re.test(pathname));
  // A literal route wins over a pattern one (GET /settings vs none, etc.).
  return hits.length ? hits.sort((a, b) => b.re.source.length - a.re.source.length)[0].name : null;
}

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

// launch starts chromium with a fresh profile (a new --user-data-dir,
// which playwright takes as launchPersistentContext's first argument) and
// returns its browser context; watch() records, per page,
// console errors, page errors, failed requests, HTTP errors, requests off
// the origin and API requests with the model operation each one is.
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "appconfigd-console-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 860 },
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function watch(page) {
  const w = { consoleErrors: [], pageErrors: [], failed: [], httpErrors: [], offOrigin: [], api: [], unknownAPI: [], unsigned: [] };
  page.on("console", (m) => {
    if (m.type() === "error") w.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => w.pageErrors.push(String(e)));
  page.on("requestfailed", (r) => w.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("request", async (r) => {
    const u = new URL(r.url());
    if (u.protocol === "data:") return;
    if (u.origin !== ORIGIN) {
      w.offOrigin.push(r.url());
      return;
    }
    if (u.pathname.startsWith("/console/") || u.pathname === "/console") return;
    const op = operationOf(r.method(), u.pathname);
    if (!op) w.unknownAPI.push(`${r.method()} ${u.pathname}`);
    const headers = await r.allHeaders();
    w.api.push({ op, method: r.method(), path: u.pathname, signed: /^AWS4-HMAC-SHA256 Credential=/.test(headers.authorization || "") });
  });
  page.on("response", (r) => {
    if (r.status() >= 400) w.httpErrors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return w;
}

// checkClean asserts the page did nothing wrong. expectedHTTPErrors lists
// the API errors the test provoked on purpose (as "STATUS METHOD" prefix
// patterns); chromium logs one "Failed to load resource" console error for
// each, and those are the only console errors allowed.
export function checkClean(w, { expectedHTTPErrors = [], signed = false } = {}) {
  assert.deepEqual(w.pageErrors, [], "JavaScript errors in the page");
  assert.deepEqual(w.failed, [], "failed requests");
  assert.deepEqual(w.offOrigin, [], "requests off the server's origin");
  assert.deepEqual(w.unknownAPI, [], "API requests that are no operation of the AWS model");
  assert.ok(w.api.length > 0, "the console made API requests");
  assert.equal(w.httpErrors.length, expectedHTTPErrors.length, `HTTP errors: ${w.httpErrors.join(", ")}`);
  expectedHTTPErrors.forEach((want, i) => assert.ok(w.httpErrors[i].startsWith(want), `HTTP error ${i}: got ${w.httpErrors[i]}, want ${want}`));
  const other = w.consoleErrors.filter((t) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(t));
  assert.deepEqual(other, [], "console errors");
  assert.equal(w.consoleErrors.length - other.length, expectedHTTPErrors.length, "one console line per provoked HTTP error");
  if (signed) assert.deepEqual(w.api.filter((a) => !a.signed).map((a) => `${a.method} ${a.path}`), [], "unsigned API requests");
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
