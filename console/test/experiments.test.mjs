// The console's experiments pages in a real browser against the real
// binary (--auth open; run by internal/itest/console_test.go): create a
// definition (and the server's error for a bad audience rule), edit it,
// start a run, raise exposure, edit overrides, stop with a result, read the
// event log, archive and destroy; plus the deployment Type in lists. Each
// step is checked through the API with the AWS SDK for JavaScript.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { URL_, client, sdk, launch, watch, checkClean } from "./harness.mjs";

const ac = client();
const send = (Cmd, input) => ac.send(new sdk[Cmd + "Command"](input));
const enc = new TextEncoder();

let b, page, w;
const ids = {};
const expectedHTTPErrors = [];

const go = (path) => page.goto(URL_ + path);
const heading = () => page.getByRole("heading", { level: 1 });
// isAPI: an API request (routes below change API answers, never pages).
const isAPI = (u) => !u.pathname.startsWith("/console");
const rowsOf = (region) => page.getByRole("region", { name: region }).locator("tbody tr");

// flagsApp creates an application with environment "prod" and a feature
// flag profile whose version 1 (flag "checkout") is deployed there.
async function flagsApp(name, strategy) {
  const app = await send("CreateApplication", { Name: name });
  const env = await send("CreateEnvironment", { ApplicationId: app.Id, Name: "prod" });
  const prof = await send("CreateConfigurationProfile", { ApplicationId: app.Id, Name: "flags", LocationUri: "hosted", Type: "AWS.AppConfig.FeatureFlags" });
  const doc = { version: "1", flags: { checkout: { name: "Checkout", attributes: { color: { constraints: { type: "string" } } } } },
    values: { checkout: { enabled: false, color: "blue" } } };
  await send("CreateHostedConfigurationVersion", { ApplicationId: app.Id, ConfigurationProfileId: prof.Id, ContentType: "application/json",
    Content: enc.encode(JSON.stringify(doc)) });
  await send("StartDeployment", { ApplicationId: app.Id, EnvironmentId: env.Id, ConfigurationProfileId: prof.Id, ConfigurationVersion: "1",
    DeploymentStrategyId: strategy });
  for (let i = 0; ; i++) {
    const d = await send("GetDeployment", { ApplicationId: app.Id, EnvironmentId: env.Id, DeploymentNumber: 1 });
    if (d.State === "COMPLETE") break;
    assert.ok(i < 300, `deployment of ${name} did not complete (${d.State})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { app: app.Id, env: env.Id, prof: prof.Id };
}

before(async () => {
  const quick = await send("CreateDeploymentStrategy", { Name: "quick", DeploymentDurationInMinutes: 0, GrowthType: "LINEAR",
    GrowthFactor: 100, FinalBakeTimeInMinutes: 0, ReplicateTo: "NONE" });
  ids.shop = await flagsApp("shop", quick.Id);
  ids.blog = await flagsApp("blog", quick.Id);
  const blogDef = await send("CreateExperimentDefinition", { ApplicationIdentifier: ids.blog.app, Name: "blog-test",
    EnvironmentIdentifier: ids.blog.env, ConfigurationProfileIdentifier: ids.blog.prof, FlagKey: "checkout", AudienceRule: "true",
    Control: { Weight: 1, FlagValue: { Enabled: false } }, Treatments: [{ Weight: 1, FlagValue: { Enabled: true } }] });
  ids.blogDef = blogDef.Id;
  b = await launch();
  page = b.context.pages()[0] || (await b.context.newPage());
  page.setDefaultTimeout(15000);
  w = watch(page);
});

after(async () => {
  await b?.close();
});

const getDef = (app, def) => send("GetExperimentDefinition", { ApplicationIdentifier: app, ExperimentDefinitionIdentifier: def });
const getRun = (n) => send("GetExperimentRun", { ApplicationIdentifier: ids.shop.app, ExperimentDefinitionIdentifier: ids.def, Run: n });

test("experiments list: filter by application; create with client and server validation errors, then for real", async () => {
  await go("/console/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Experiments" }).click();
  await heading().filter({ hasText: "Experiments" }).waitFor();
  await page.getByRole("link", { name: "blog-test" }).waitFor();
  await page.getByLabel("Application", { exact: true }).selectOption({ label: "shop" });
  await page.getByText("No experiment definitions match.").waitFor();
  assert.equal(new URL(page.url()).search, `?application=${ids.shop.app}`);

  await page.getByRole("button", { name: "Create experiment definition" }).click();
  const form = page.getByRole("form", { name: "Create experiment definition" });
  await form.getByLabel("Environment").locator(`option[value="${ids.shop.env}"]`).waitFor({ state: "attached" });
  await form.getByLabel("Feature flag profile").locator(`option[value="${ids.shop.prof}"]`).waitFor({ state: "attached" });
  await form.getByLabel("Name", { exact: true }).fill("checkout-color");
  await form.getByLabel("Flag key").fill("checkout");
  // The control starts as the flag is in the profile's newest version.
  await page.waitForFunction((el) => el.value === '{"color":"blue"}', await form.getByLabel("Control attribute values").elementHandle());
  assert.equal(await form.getByLabel("Control flag enabled").isChecked(), false);
  assert.equal(await form.getByLabel("Treatment 1 flag enabled").isChecked(), true);
  await form.getByLabel("Hypothesis").fill("An orange button sells more");
  await form.getByLabel("Audience rule").fill('(eq $country "NL"');
  await form.getByLabel("Control attribute values").fill('{"color": "blue"}');
  await form.getByLabel("Treatment 1 weight").fill("30");
  await form.getByLabel("Treatment 1 attribute values").fill('{"color": "orange"}');
  await form.getByRole("button", { name: "Add treatment" }).click();
  await form.getByLabel("Treatment 2 weight").fill("20");
  await form.getByLabel("Treatment 2 attribute values").fill("{color");
  // Shares follow the weights as they are typed.
  await form.getByText("50 % of exposed entities").waitFor();
  await form.getByText("20 % of exposed entities").waitFor();

  // Not JSON: the console says which field, and sends nothing.
  await form.getByRole("button", { name: "Create", exact: true }).click();
  await form.getByRole("alert").filter({ hasText: "Treatment 2" }).waitFor();
  assert.match(await form.getByRole("alert").textContent(), /attribute values are not JSON/);
  assert.equal(await form.getByLabel("Treatment 2 attribute values").getAttribute("aria-invalid"), "true");
  assert.equal(w.api.filter((a) => a.op === "CreateExperimentDefinition").length, 0, "no request for a form error");

  // A bad audience rule: the server's error, with the position, and nothing created.
  await form.getByLabel("Treatment 2 attribute values").fill('{"color": "green"}');
  expectedHTTPErrors.push("400 POST");
  await form.getByRole("button", { name: "Create", exact: true }).click();
  const alert = form.getByRole("alert");
  await alert.filter({ hasText: "BadRequestException" }).waitFor();
  assert.match(await alert.textContent(), /AudienceRule is not valid at line 1, column \d+/);
  assert.equal(await form.getByLabel("Audience rule").getAttribute("aria-invalid"), "true", "the rule field is marked");
  assert.equal(await form.getByLabel("Audience rule").evaluate((el) => el === document.activeElement), true, "and focused");
  assert.equal((await send("ListExperimentDefinitions", { ApplicationIdentifier: ids.shop.app })).Items.length, 0);

  await form.getByLabel("Audience rule").fill('(eq $country "NL")');
  await form.getByRole("button", { name: "Create", exact: true }).click();
  await heading().filter({ hasText: "checkout-color" }).waitFor();
  const d = await getDef(ids.shop.app, "checkout-color");
  ids.def = d.Id;
  assert.equal(new URL(page.url()).pathname, `/console/applications/${ids.shop.app}/experiments/${d.Id}`);
  assert.equal(d.Status, "IDLE");
  assert.equal(d.FlagKey, "checkout");
  assert.equal(d.EnvironmentId, ids.shop.env);
  assert.equal(d.ConfigurationProfileId, ids.shop.prof);
  assert.equal(d.AudienceRule, '(eq $country "NL")');
  assert.equal(d.Hypothesis, "An orange button sells more");
  const tv = (t) => [t.Key, t.Weight, t.FlagValue.Enabled, t.FlagValue.AttributeValues?.color?.StringValue];
  assert.deepEqual([d.Control, ...d.Treatments].map(tv), [["c", 50, false, "blue"], ["t1", 30, true, "orange"], ["t2", 20, true, "green"]]);
  const rows = await rowsOf("Control and treatments").allTextContents();
  assert.equal(rows.length, 3);
  assert.match(rows[0], /^c50 ?50 %disabled, color="blue"/);
  assert.match(rows[1], /^t130 ?30 %enabled, color="orange"/);
  assert.match(rows[2], /^t220 ?20 %enabled, color="green"/);
  assert.equal(await page.getByTestId("audience-rule").textContent(), '(eq $country "NL")');
});

test("definition page: edit while idle", async () => {
  await page.getByRole("button", { name: "Edit definition" }).click();
  const form = page.getByRole("form", { name: "Update experiment definition" });
  assert.equal(await form.getByLabel("Treatment 2 attribute values").inputValue(), '{"color":"green"}');
  await form.getByLabel("Hypothesis").fill("Orange sells more than blue");
  await form.getByLabel("Treatment 2 weight").fill("40");
  await form.getByRole("button", { name: "Save definition" }).click();
  await form.waitFor({ state: "detached" });
  await page.locator("dl.facts").getByText("Orange sells more than blue").waitFor();
  const d = await getDef(ids.shop.app, ids.def);
  assert.equal(d.Hypothesis, "Orange sells more than blue");
  assert.deepEqual([d.Control, ...d.Treatments].map((t) => [t.Key, t.Weight]), [["c", 50], ["t1", 30], ["t2", 40]]);
  assert.equal(d.Treatments[1].FlagValue.AttributeValues.color.StringValue, "green", "unchanged fields kept");
});

const overridesText = (o) => Object.entries(o?.Inline || {}).map(([k, v]) => `${k} → ${v}`).join(", ") || "none";

test("run: start at 0 % with an override, raise exposure (and the error for lowering it), edit overrides, stop with a result", async () => {
  await page.getByRole("button", { name: "Start run" }).click();
  const form = page.getByRole("form", { name: "Start run" });
  await form.getByLabel("Run description").fill("first try");
  await form.getByRole("button", { name: "Add override" }).click();
  await form.getByLabel("Override 1 entity ID").fill("alice");
  await form.getByLabel("Override 1 treatment").selectOption("t1");
  await form.getByRole("button", { name: "Start", exact: true }).click();
  await heading().filter({ hasText: "Run 1 of checkout-color" }).waitFor();
  let r = await getRun(1);
  assert.equal(r.Status, "RUNNING");
  assert.equal(r.ExposurePercentage, 0);
  assert.equal(r.Description, "first try");
  assert.deepEqual(r.TreatmentOverrides.Inline, { alice: "t1" });
  assert.equal((await getDef(ids.shop.app, ids.def)).Status, "ACTIVE");
  assert.equal(await page.getByTestId("exposure").textContent(), "0 %");

  // The definition page now says a run is running, and offers no edit.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "checkout-color" }).click();
  await page.getByText("is running; stop it before starting another").waitFor();
  assert.equal(await page.getByRole("button", { name: "Edit definition" }).count(), 0);
  await page.getByRole("link", { name: "Run 1", exact: true }).click();
  await heading().filter({ hasText: "Run 1" }).waitFor();

  await page.getByLabel("Exposure (%)").fill("25");
  await page.getByRole("button", { name: "Raise exposure" }).click();
  await page.getByRole("status").filter({ hasText: "Exposure is now 25 %." }).waitFor();
  assert.equal((await getRun(1)).ExposurePercentage, 25);
  assert.equal(await page.getByTestId("exposure").textContent(), "25 %");

  expectedHTTPErrors.push("400 PATCH");
  await page.getByLabel("Exposure (%)").fill("10");
  await page.getByRole("button", { name: "Raise exposure" }).click();
  await page.getByRole("alert").filter({ hasText: "BadRequestException" }).waitFor();
  assert.match(await page.getByRole("alert").textContent(), /can only be increased/);
  assert.equal((await getRun(1)).ExposurePercentage, 25);

  await page.getByRole("button", { name: "Edit overrides" }).click();
  const ov = page.getByRole("form", { name: "Edit overrides" });
  assert.equal(await ov.getByLabel("Override 1 entity ID").inputValue(), "alice");
  await ov.getByRole("button", { name: "Remove override 1" }).click();
  assert.equal(await ov.getByRole("button", { name: "Add override" }).evaluate((el) => el === document.activeElement), true,
    "focus goes to Add override, not to the page");
  await ov.getByRole("button", { name: "Add override" }).click();
  await ov.getByLabel("Override 1 entity ID").fill("bob");
  await ov.getByLabel("Override 1 treatment").selectOption("t2");
  await ov.getByRole("button", { name: "Add override" }).click();
  await ov.getByLabel("Override 2 entity ID").fill("carol");
  await ov.getByLabel("Override 2 treatment").selectOption("c");
  await ov.getByRole("button", { name: "Save overrides" }).click();
  await page.getByRole("status").filter({ hasText: "Overrides saved." }).waitFor();
  assert.deepEqual((await getRun(1)).TreatmentOverrides.Inline, { bob: "t2", carol: "c" });
  assert.deepEqual(await rowsOf("Overrides").allTextContents(), ["bobt2", "carolc"]);

  await page.getByRole("button", { name: "Stop run" }).click();
  const stop = page.getByRole("form", { name: "Stop run" });
  await stop.getByLabel("Executive summary").fill("Orange won by 4 %");
  await stop.getByLabel("Reasons to launch").fill("more orders");
  await stop.getByRole("button", { name: "Stop run" }).click();
  // Cancel first: nothing stops.
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("dialog").waitFor({ state: "detached" });
  assert.equal((await getRun(1)).Status, "RUNNING");
  await stop.getByRole("button", { name: "Stop run" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop run" }).click();
  await page.getByRole("status").filter({ hasText: "Run 1 stopped." }).waitFor();
  r = await getRun(1);
  assert.equal(r.Status, "DONE");
  assert.ok(r.EndedAt);
  assert.deepEqual(r.Result, { ExecutiveSummary: "Orange won by 4 %", ReasonsToLaunch: "more orders" });
  assert.equal((await getDef(ids.shop.app, ids.def)).Status, "IDLE");
  await page.getByText("Orange won by 4 %").waitFor();
  assert.equal(await page.getByRole("button", { name: "Raise exposure" }).count(), 0, "no controls on a stopped run");
});

test("run page: the event log, newest first, as the API has it (type, TriggeredBy, exposure, overrides, deployment)", async () => {
  const events = (await send("ListExperimentRunEvents", { ApplicationIdentifier: ids.shop.app, ExperimentDefinitionIdentifier: ids.def, Run: 1 })).Items;
  assert.deepEqual(events.map((e) => e.EventType), ["RUN_STOPPED", "OVERRIDES_UPDATED", "EXPOSURE_UPDATED", "RUN_STARTED"]);
  const rows = rowsOf("Event log, newest first");
  assert.equal(await rows.count(), events.length);
  for (const [i, e] of events.entries()) {
    const cells = await rows.nth(i).locator("td").allTextContents();
    assert.equal(cells[1], e.EventType);
    assert.equal(cells[2], e.TriggeredBy);
    assert.equal(cells[3], `${e.ExposurePercentage} %`);
    assert.equal(cells[4], overridesText(e.TreatmentOverrides));
    if (e.AssociatedDeployment) assert.ok(cells[5].includes(e.AssociatedDeployment), `event ${i} shows ${e.AssociatedDeployment}`);
    else assert.equal(cells[5], "");
  }
  assert.deepEqual(events.map((e) => e.ExposurePercentage), [25, 25, 25, 0]);

  // An event's deployment ARN links to that deployment's page (injected
  // here when the server sends none, so the rendering is always tested).
  const arn = `arn:aws:appconfig:us-east-1:${process.env.APPCONFIGD_ACCOUNT}:application/${ids.shop.app}/environment/${ids.shop.env}/deployment/1`;
  const pattern = (u) => isAPI(u) && u.pathname.endsWith("/experimentruns/1/events");
  await page.route(pattern, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    for (const e of body.Items) e.AssociatedDeployment ||= arn;
    await route.fulfill({ response: res, json: body });
  });
  await page.reload();
  const shown = (await rowsOf("Event log, newest first").first().locator("td").nth(5).locator("code").textContent());
  assert.match(shown, /:application\/[^/]+\/environment\/[^/]+\/deployment\/\d+$/);
  await rowsOf("Event log, newest first").first().getByRole("link", { name: /^Deployment \d+$/ }).click();
  await heading().filter({ hasText: /^Deployment \d+$/ }).waitFor();
  await page.unroute(pattern);
});

test("definition page: runs newest first; archive refused while a run runs; archive; destroy; the status filter", async () => {
  await go(`/console/applications/${ids.shop.app}/experiments/${ids.def}`);
  await page.getByRole("button", { name: "Start run" }).click();
  await page.getByRole("form", { name: "Start run" }).getByLabel("Exposure (%)").fill("50");
  await page.getByRole("form", { name: "Start run" }).getByRole("button", { name: "Start", exact: true }).click();
  await heading().filter({ hasText: "Run 2 of checkout-color" }).waitFor();
  assert.equal((await getRun(2)).ExposurePercentage, 50);
  assert.equal((await getRun(2)).TreatmentOverrides, undefined);
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "checkout-color" }).click();
  const runs = rowsOf("Runs, newest first");
  await runs.nth(1).waitFor();
  assert.match(await runs.nth(0).textContent(), /^Run 2RUNNING/);
  assert.match(await runs.nth(1).textContent(), /^Run 1DONEfirst try/);

  expectedHTTPErrors.push("409 DELETE");
  await page.getByRole("button", { name: "Archive" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Archive" }).click();
  await page.getByRole("alert").filter({ hasText: "ConflictException" }).waitFor();
  assert.equal((await getDef(ids.shop.app, ids.def)).Status, "ACTIVE");

  // A run stopped elsewhere (here the SDK) shows on its page without a reload.
  await page.getByRole("link", { name: "Run 2", exact: true }).click();
  await page.getByRole("button", { name: "Raise exposure" }).waitFor();
  await page.evaluate(() => (window.__sameDocument = true));
  await send("StopExperimentRun", { ApplicationIdentifier: ids.shop.app, ExperimentDefinitionIdentifier: ids.def, Run: 2 });
  await page.getByRole("status").filter({ hasText: "Run 2 was stopped elsewhere" }).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
  assert.equal(await page.getByRole("button", { name: "Raise exposure" }).count(), 0);
  assert.equal(await rowsOf("Event log, newest first").first().locator("td").nth(1).textContent(), "RUN_STOPPED");
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "checkout-color" }).click();
  await page.getByRole("button", { name: "Archive" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Archive" }).click();
  await heading().filter({ hasText: "Experiments" }).waitFor();
  assert.equal((await getDef(ids.shop.app, ids.def)).Status, "ARCHIVED");
  assert.equal(await page.getByLabel("Status").inputValue(), "ARCHIVED");
  assert.match(await rowsOf("Experiment definitions, newest first").first().textContent(), /checkout-color.*ARCHIVED/);
  await page.getByLabel("Status").selectOption({ label: "All but archived" });
  await page.getByText("No experiment definitions match.").waitFor();
  await page.getByLabel("Application", { exact: true }).selectOption({ label: "All applications" });
  await page.getByRole("link", { name: "blog-test" }).click();
  await heading().filter({ hasText: "blog-test" }).waitFor();
  await page.getByRole("button", { name: "Destroy" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Destroy" }).click();
  await heading().filter({ hasText: "Experiments" }).waitFor();
  await assert.rejects(getDef(ids.blog.app, ids.blogDef), (err) => err.name === "ResourceNotFoundException");
});

test("deployments: the Type column (USER / MANAGED) when the server returns it", async () => {
  const envPath = `/console/applications/${ids.shop.app}/environments/${ids.shop.env}`;
  const items = (await send("ListDeployments", { ApplicationId: ids.shop.app, EnvironmentId: ids.shop.env })).Items;
  await go(envPath);
  const region = page.getByRole("region", { name: "Deployments, newest first" });
  await region.waitFor();
  const headers = await region.locator("th").allTextContents();
  if (items.some((d) => d.Type)) {
    assert.ok(headers.includes("Type"), `a Type column: ${headers}`);
    const col = headers.indexOf("Type");
    for (const [i, d] of [...items].sort((a, b) => b.DeploymentNumber - a.DeploymentNumber).entries()) {
      assert.equal(await region.locator("tbody tr").nth(i).locator("td").nth(col).textContent(), d.Type || "");
    }
  } else {
    assert.ok(!headers.includes("Type"), "no Type column when the server sends none");
  }
  // The rendering of both types, whatever this server sends.
  const pattern = (u) => isAPI(u) && u.pathname.endsWith(`/environments/${ids.shop.env}/deployments`);
  await page.route(pattern, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.Items = [{ ...body.Items[0], DeploymentNumber: 2, Type: "MANAGED" }, { ...body.Items[0], DeploymentNumber: 1, Type: "USER" }];
    await route.fulfill({ response: res, json: body });
  });
  await page.reload();
  await region.locator("th", { hasText: "Type" }).waitFor();
  const col = (await region.locator("th").allTextContents()).indexOf("Type");
  assert.equal(await region.locator("tbody tr").nth(0).locator("td").nth(col).textContent(), "MANAGED");
  assert.equal(await region.locator("tbody tr").nth(1).locator("td").nth(col).textContent(), "USER");
  await page.unroute(pattern);

  // A managed deployment's page: GetDeployment has no strategy (and maybe a
  // Type); nothing asks for a strategy that is not there.
  const one = (u) => isAPI(u) && u.pathname.endsWith(`/environments/${ids.shop.env}/deployments/1`);
  await page.route(one, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    await route.fulfill({ response: res, json: { ...body, DeploymentStrategyId: null, Type: "MANAGED" } });
  });
  const strategyCalls = () => w.api.filter((a) => a.op === "GetDeploymentStrategy").length;
  const calls = strategyCalls();
  await go(`${envPath}/deployments/1`);
  await page.getByText("No deployment strategy: 0 min, LINEAR 100%, bake 0 min").waitFor();
  assert.equal(await page.locator("dl.facts dd .badge").textContent(), "MANAGED");
  assert.equal(strategyCalls(), calls, "no GetDeploymentStrategy without a strategy");
  await page.unroute(one);
});

test("experiments pages fit a phone screen", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const base = `/console/applications/${ids.shop.app}/experiments/${ids.def}`;
  for (const path of ["/console/experiments?status=ARCHIVED", base, `${base}/runs/1`]) {
    await go(path);
    await page.locator("main h1").waitFor();
    await page.waitForLoadState("networkidle");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} fits a phone screen (overflows by ${overflow}px)`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
});

test("no errors, no failed requests, nothing off the origin, only AWS model operations", () => {
  checkClean(w, { expectedHTTPErrors });
  const ops = new Set(w.api.map((a) => a.op));
  for (const op of ["ListExperimentDefinitions", "CreateExperimentDefinition", "GetExperimentDefinition", "UpdateExperimentDefinition",
    "DeleteExperimentDefinition", "StartExperimentRun", "GetExperimentRun", "UpdateExperimentRun", "StopExperimentRun",
    "ListExperimentRuns", "ListExperimentRunEvents", "ListDeployments"]) {
    assert.ok(ops.has(op), `the console called ${op}`);
  }
});
