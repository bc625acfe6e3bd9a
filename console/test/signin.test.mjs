// The web console against the real binary with --auth sigv4 (run by
// internal/itest/console_test.go): the sign-in form, a wrong secret (the
// server's error, no data), the right one, and every request signed in
// the browser with WebCrypto.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { URL_, client, sdk, launch, watch, checkClean } from "./harness.mjs";

if (process.env.APPCONFIGD_AUTH !== "sigv4") throw new Error("signin.test.mjs expects --auth sigv4");
const KEY = process.env.APPCONFIGD_ACCESS_KEY_ID;
const SECRET = process.env.APPCONFIGD_SECRET_ACCESS_KEY;
// The console signs in the server's region (the form's default).
const ac = client({ accessKeyId: KEY, secretAccessKey: SECRET }, "eu-west-1");
const send = (Cmd, input) => ac.send(new sdk[Cmd + "Command"](input));

let b, page, w, app;
const expectedHTTPErrors = [];

before(async () => {
  b = await launch();
  page = b.context.pages()[0] || (await b.context.newPage());
  page.setDefaultTimeout(15000);
  w = watch(page);
  app = await send("CreateApplication", { Name: "signed-app" });
  await send("CreateEnvironment", { ApplicationId: app.Id, Name: "staging" });
});

after(async () => {
  await b?.close();
});

const form = () => page.getByRole("form", { name: "Sign in" });

test("a deep link asks to sign in; a wrong secret shows the server's error and no data", async () => {
  await page.goto(`${URL_}/console/applications/${app.Id}`);
  await form().waitFor();
  assert.equal(await page.getByLabel("Region").inputValue(), "eu-west-1", "the server's region is the default");
  await page.getByLabel("Access key ID").fill(KEY);
  await page.getByLabel("Secret access key").fill(SECRET + "-wrong");
  expectedHTTPErrors.push("403 GET");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, /SignatureDoesNotMatch|InvalidSignature/);
  assert.match(text, /signature/i, "the server's message");
  assert.equal(await page.getByText("signed-app").count(), 0, "no data shown");
  assert.equal(await page.getByText("staging").count(), 0, "no data shown");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, "nothing kept");
});

test("the right secret opens the page asked for; it survives a reload; the key stays in the tab", async () => {
  await page.getByLabel("Secret access key").fill(SECRET);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "signed-app" }).waitFor();
  await page.getByRole("link", { name: "staging" }).waitFor();
  assert.match(await page.locator("#who").textContent(), new RegExp(`Signed in as ${KEY}`));
  await page.reload();
  await page.getByRole("link", { name: "staging" }).click();
  await page.getByRole("heading", { level: 1, name: "staging" }).waitFor();
  // A console action, signed, seen by the API.
  await page.getByRole("link", { name: "signed-app" }).click();
  await page.getByRole("button", { name: "Create environment" }).click();
  await page.getByLabel("Name").fill("qa");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("link", { name: "qa" }).waitFor();
  assert.deepEqual((await send("ListEnvironments", { ApplicationId: app.Id })).Items.map((e) => e.Name).sort(), ["qa", "staging"]);
  assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
  // The experiments list, signed like every other call.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Experiments" }).click();
  await page.getByRole("heading", { level: 1, name: "Experiments" }).waitFor();
  await page.getByText("No experiment definitions yet.").waitFor();
  assert.ok(w.api.some((a) => a.op === "ListExperimentDefinitions" && a.signed), "ListExperimentDefinitions signed");
  // Another tab has its own session: it must sign in again.
  const other = await b.context.newPage();
  await other.goto(`${URL_}/console/`);
  await other.getByRole("form", { name: "Sign in" }).waitFor();
  await other.close();
  // Sign out forgets the key.
  await page.getByRole("button", { name: "Sign out" }).click();
  await form().waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});

test("every API request was signed and is an AWS model operation; no errors", () => {
  checkClean(w, { expectedHTTPErrors, signed: true });
});
