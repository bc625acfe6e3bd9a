// The web console in a real browser against the real binary with --auth
// open (run by internal/itest/console_test.go): every page and action,
// each checked through the API with the AWS SDK for JavaScript.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { URL_, client, sdk, launch, watch, checkClean } from "./harness.mjs";

if (process.env.APPCONFIGD_AUTH === "sigv4") throw new Error("console.test.mjs expects --auth open");
const ACCOUNT = process.env.APPCONFIGD_ACCOUNT;
const ac = client();
const send = (Cmd, input) => ac.send(new sdk[Cmd + "Command"](input));

let b, page, w;
const ids = {};
const expectedHTTPErrors = [];

before(async () => {
  b = await launch();
  page = b.context.pages()[0] || (await b.context.newPage());
  page.setDefaultTimeout(15000);
  w = watch(page);
});

after(async () => {
  await b?.close();
});

const go = (path) => page.goto(URL_ + path);
const heading = () => page.getByRole("heading", { level: 1 });

test("applications page: open auth shows the server's account; create an application", async () => {
  await go("/console/");
  await assert.doesNotReject(heading().filter({ hasText: "Applications" }).waitFor());
  assert.equal(await page.getByTestId("account").textContent(), ACCOUNT);
  await page.getByRole("button", { name: "Create application" }).click();
  await page.getByLabel("Name").fill("shop");
  await page.getByLabel("Description").fill("the web shop");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await heading().filter({ hasText: "shop" }).waitFor();
  const apps = (await send("ListApplications", {})).Items;
  const shop = apps.find((a) => a.Name === "shop");
  assert.ok(shop, "CreateApplication through the console");
  assert.equal(shop.Description, "the web shop");
  assert.equal(new URL(page.url()).pathname, `/console/applications/${shop.Id}`);
  ids.app = shop.Id;
});

test("application page: create and delete environments and profiles, confirmation, reload and Back", async () => {
  const createIn = async (button, name, type) => {
    await page.getByRole("button", { name: button }).click();
    const form = page.getByRole("form", { name: button });
    await form.getByLabel("Name").fill(name);
    if (type) await form.getByLabel("Type").selectOption({ label: type });
    await form.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("link", { name, exact: true }).waitFor();
  };
  await createIn("Create environment", "prod");
  await createIn("Create environment", "scratch");
  await createIn("Create configuration profile", "settings", "Freeform");
  await createIn("Create configuration profile", "flags", "Feature flags");
  const envs = (await send("ListEnvironments", { ApplicationId: ids.app })).Items;
  assert.deepEqual(envs.map((e) => e.Name).sort(), ["prod", "scratch"]);
  const profs = (await send("ListConfigurationProfiles", { ApplicationId: ids.app })).Items;
  assert.deepEqual(profs.map((p) => [p.Name, p.Type]).sort(), [["flags", "AWS.AppConfig.FeatureFlags"], ["settings", "AWS.Freeform"]]);
  ids.env = envs.find((e) => e.Name === "prod").Id;
  ids.settings = profs.find((p) => p.Name === "settings").Id;
  ids.flags = profs.find((p) => p.Name === "flags").Id;

  // Delete asks first: Cancel keeps the environment, Delete removes it.
  await page.getByRole("button", { name: "Delete environment scratch" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete environment?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "detached" });
  assert.equal((await send("ListEnvironments", { ApplicationId: ids.app })).Items.length, 2);
  await page.getByRole("button", { name: "Delete environment scratch" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("link", { name: "scratch", exact: true }).waitFor({ state: "detached" });
  assert.deepEqual((await send("ListEnvironments", { ApplicationId: ids.app })).Items.map((e) => e.Name), ["prod"]);

  // The page survives a reload; Back returns to the applications list.
  await page.reload();
  await page.getByRole("link", { name: "prod", exact: true }).waitFor();
  await page.goBack();
  await heading().filter({ hasText: "Applications" }).waitFor();
  await page.getByRole("link", { name: "shop" }).waitFor();
  await page.goForward();
  await heading().filter({ hasText: "shop" }).waitFor();
});

test("profile page: versions newest first, server validation errors, version page and diff", async () => {
  await page.getByRole("link", { name: "settings", exact: true }).click();
  await heading().filter({ hasText: "settings" }).waitFor();
  const content = page.getByLabel("Content", { exact: true });
  for (const [i, color] of ["red", "blue"].entries()) {
    await content.fill(JSON.stringify({ color, size: 1 }, null, 2));
    await page.getByLabel("Description", { exact: true }).fill(`make it ${color}`);
    await page.getByRole("button", { name: "Create version" }).click();
    await page.getByRole("status").filter({ hasText: `Saved version ${i + 1}.` }).waitFor();
  }
  const versions = (await send("ListHostedConfigurationVersions", { ApplicationId: ids.app, ConfigurationProfileId: ids.settings })).Items;
  assert.deepEqual(versions.map((v) => v.VersionNumber).sort(), [1, 2]);
  const rows = page.getByRole("region", { name: "Hosted versions, newest first" }).getByRole("row");
  assert.match(await rows.nth(1).textContent(), /Version 2.*make it blue/);
  assert.match(await rows.nth(2).textContent(), /Version 1.*make it red/);

  // A version page, then its diff with the previous one.
  await page.getByRole("link", { name: "Version 1", exact: true }).click();
  await heading().filter({ hasText: "Version 1" }).waitFor();
  assert.match(await page.locator("pre").textContent(), /"color": "red"/);
  await page.goBack();
  await page.getByRole("link", { name: "Compare version 2 with version 1" }).click();
  await page.getByRole("heading", { name: "Changes from version 1 to version 2" }).waitFor();
  assert.equal(new URL(page.url()).search, "?compare=1");
  assert.deepEqual(await page.locator("pre.diff del").allTextContents(), ['  "color": "red",\n']);
  assert.deepEqual(await page.locator("pre.diff ins").allTextContents(), ['  "color": "blue",\n']);
  await page.reload();
  await page.locator("pre.diff ins").waitFor();

  // A feature flag document the server refuses: its error and details show.
  await go(`/console/applications/${ids.app}/configurationprofiles/${ids.flags}`);
  await page.getByLabel("Content", { exact: true }).fill('{"version": "1", "flags": {"Bad Key": {"name": "x"}}, "values": {}}');
  expectedHTTPErrors.push("400 POST");
  await page.getByRole("button", { name: "Create version" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /BadRequestException/);
  assert.equal((await send("ListHostedConfigurationVersions", { ApplicationId: ids.app, ConfigurationProfileId: ids.flags })).Items.length, 0);
});

const FLAGS = {
  version: "1",
  flags: {
    checkout: {
      name: "New checkout",
      description: "The one-page checkout",
      attributes: {
        limit: { constraints: { type: "number", minimum: 1, maximum: 100 } },
        tier: { constraints: { type: "string", enum: ["gold", "silver"] } },
      },
    },
    banner: { name: "Banner", attributes: { color: { constraints: { type: "string" } } } },
  },
  values: {
    checkout: { enabled: false, limit: 5, tier: "gold" },
    banner: {
      enabled: true,
      color: "green",
      _variants: [
        { name: "dutch", enabled: true, rule: '(eq $country "NL")', attributeValues: { color: "orange" } },
        { name: "default", enabled: false },
      ],
    },
  },
};

test("flags editor: toggles, attributes, variants and a new flag saved as new versions, nothing else changed", async () => {
  await send("CreateHostedConfigurationVersion", { ApplicationId: ids.app, ConfigurationProfileId: ids.flags,
    ContentType: "application/json", Content: new TextEncoder().encode(JSON.stringify(FLAGS)) });
  const read = async (n) => JSON.parse(new TextDecoder().decode((await send("GetHostedConfigurationVersion",
    { ApplicationId: ids.app, ConfigurationProfileId: ids.flags, VersionNumber: n })).Content));
  const before = await read(1);
  await page.reload();
  const sw = page.getByRole("switch", { name: /checkout/ });
  assert.equal(await sw.isChecked(), false);
  assert.equal(await page.getByRole("switch", { name: /banner/ }).isChecked(), true);
  const save = page.getByRole("button", { name: "Save new version" });
  assert.equal(await save.isDisabled(), true);
  await sw.check();
  await page.getByLabel("checkout limit").fill("7");
  await page.getByLabel("banner variant 1 Rule").fill('(eq $country "BE")');
  await page.getByLabel("Description of the change").fill("checkout on");
  await save.click();
  await page.getByRole("status").filter({ hasText: "Saved version 2" }).waitFor();

  const afterDoc = await read(2);
  assert.equal(afterDoc.values.checkout.enabled, true);
  assert.equal(afterDoc.values.checkout.limit, 7);
  // Exactly the edits: the same document with them applied; the server
  // restamps _updatedAt of the two changed values entries only.
  const want = structuredClone(before);
  want.values.checkout.enabled = true;
  want.values.checkout.limit = 7;
  want.values.banner._variants[0].rule = '(eq $country "BE")';
  want.values.checkout._updatedAt = afterDoc.values.checkout._updatedAt;
  want.values.banner._updatedAt = afterDoc.values.banner._updatedAt;
  assert.deepEqual(afterDoc, want);
  assert.ok(before.flags.checkout._createdAt, "the server stamps flags");
  const v2 = (await send("ListHostedConfigurationVersions", { ApplicationId: ids.app, ConfigurationProfileId: ids.flags })).Items
    .find((v) => v.VersionNumber === 2);
  assert.equal(v2.Description, "checkout on");
  // The editor reloaded the saved version.
  assert.equal(await page.getByRole("switch", { name: /checkout/ }).isChecked(), true);

  // Add a flag, add a variant to another, remove one: version 3.
  await page.getByText("Add a flag").click();
  await page.getByLabel("Flag key").fill("gift-wrap");
  await page.getByLabel("Flag name").fill("Gift wrap");
  await page.getByRole("button", { name: "Add flag" }).click();
  await page.getByRole("switch", { name: /gift-wrap/ }).check();
  await page.getByRole("button", { name: "Add variant to checkout" }).click();
  await page.getByLabel("checkout variant 1 Name").fill("big-spenders");
  await page.getByLabel("checkout variant 1 Rule").fill("(gt $basket 100)");
  await page.getByRole("button", { name: "Add variant to checkout" }).click();
  await page.getByLabel("checkout variant 2 Name").fill("everyone");
  await page.getByLabel("checkout variant 2 Enabled").check();
  await page.getByRole("button", { name: "Remove variant 1 of banner" }).click();
  await page.getByRole("button", { name: "Save new version" }).click();
  await page.getByRole("status").filter({ hasText: "Saved version 3" }).waitFor();
  const v3 = await read(3);
  const want3 = structuredClone(afterDoc);
  want3.flags["gift-wrap"] = { name: "Gift wrap", _createdAt: v3.flags["gift-wrap"]._createdAt, _updatedAt: v3.flags["gift-wrap"]._updatedAt };
  want3.values["gift-wrap"] = { enabled: true, _createdAt: v3.values["gift-wrap"]._createdAt, _updatedAt: v3.values["gift-wrap"]._updatedAt };
  want3.values.checkout._variants = [{ name: "big-spenders", enabled: false, rule: "(gt $basket 100)" }, { name: "everyone", enabled: true }];
  want3.values.checkout._updatedAt = v3.values.checkout._updatedAt;
  want3.values.banner._variants.shift();
  want3.values.banner._updatedAt = v3.values.banner._updatedAt;
  assert.deepEqual(v3, want3);
});

test("environment and deployment pages: start, live progress with bake countdown, revert, stop", async () => {
  const fast = await send("CreateDeploymentStrategy", { Name: "fast", DeploymentDurationInMinutes: 2, GrowthType: "LINEAR",
    GrowthFactor: 50, FinalBakeTimeInMinutes: 1, ReplicateTo: "NONE" });
  await send("CreateDeploymentStrategy", { Name: "slow", DeploymentDurationInMinutes: 600, GrowthType: "LINEAR",
    GrowthFactor: 10, FinalBakeTimeInMinutes: 0, ReplicateTo: "NONE" });
  await go(`/console/applications/${ids.app}`);
  await page.getByRole("link", { name: "prod", exact: true }).click();
  await heading().filter({ hasText: "prod" }).waitFor();

  const start = async (profile, version, strategy) => {
    await page.getByRole("button", { name: "Start deployment" }).click();
    await page.getByLabel("Configuration profile").selectOption({ label: profile });
    await page.getByLabel("Version", { exact: true }).locator(`option[value="${version}"]`).waitFor({ state: "attached" });
    await page.getByLabel("Version", { exact: true }).selectOption(String(version));
    await page.getByLabel("Deployment strategy").selectOption({ label: strategy });
    await page.getByRole("button", { name: "Start", exact: true }).click();
  };
  await start(`settings (${ids.settings})`, 2, `fast (${fast.Id})`);
  await heading().filter({ hasText: "Deployment 1" }).waitFor();
  await page.getByText("fast: 2 min, LINEAR 50%, bake 1 min").waitFor();
  const deps = (await send("ListDeployments", { ApplicationId: ids.app, EnvironmentId: ids.env })).Items;
  assert.equal(deps.length, 1);
  assert.equal(deps[0].ConfigurationVersion, "2");

  // Live: the page changes while it progresses, without a reload.
  await page.evaluate(() => (window.__sameDocument = true));
  const seen = new Set();
  let bakeText = null;
  const status = page.locator(".deploy-status");
  for (const end = Date.now() + 30000; Date.now() < end;) {
    const text = await status.textContent();
    const pct = /Percentage complete: ([\d.]+)%/.exec(text)?.[1];
    if (pct) seen.add(pct);
    if (/Baking: .* left/.test(text)) bakeText = text;
    if (/COMPLETE/.test(text)) break;
    await page.waitForTimeout(100);
  }
  assert.match(await status.textContent(), /COMPLETE/);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
  assert.ok(seen.has("50"), `saw the 50% step (saw ${[...seen]})`);
  assert.ok(seen.size >= 2, `saw the percentage change (saw ${[...seen]})`);
  assert.ok(bakeText, "saw the bake countdown");
  assert.equal((await page.locator("tbody tr").count()) >= 4, true, "event log rows");

  // Revert a COMPLETE deployment.
  await page.getByRole("button", { name: "Revert" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revert" }).click();
  await status.filter({ hasText: "REVERTED" }).waitFor();
  assert.equal((await send("GetDeployment", { ApplicationId: ids.app, EnvironmentId: ids.env, DeploymentNumber: 1 })).State, "REVERTED");

  // Stop one in progress.
  await page.getByRole("link", { name: "prod" }).click();
  await start(`flags (${ids.flags})`, 2, `slow (${(await send("ListDeploymentStrategies", {})).Items.find((s) => s.Name === "slow").Id})`);
  await heading().filter({ hasText: "Deployment 2" }).waitFor();
  await page.getByRole("button", { name: "Stop deployment" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop deployment" }).click();
  await status.filter({ hasText: "ROLLED_BACK" }).waitFor();
  assert.equal((await send("GetDeployment", { ApplicationId: ids.app, EnvironmentId: ids.env, DeploymentNumber: 2 })).State, "ROLLED_BACK");

  // The environment lists them newest first.
  await page.getByRole("link", { name: "prod" }).click();
  const rows = page.getByRole("region", { name: "Deployments, newest first" }).getByRole("row");
  await rows.nth(2).waitFor();
  assert.match(await rows.nth(1).textContent(), /Deployment 2.*ROLLED_BACK/);
  assert.match(await rows.nth(2).textContent(), /Deployment 1.*REVERTED/);
});

test("extensions: a read view of extensions and associations", async () => {
  const ext = await send("CreateExtension", { Name: "audit-hook", Description: "posts to the audit log",
    Actions: { PRE_CREATE_HOSTED_CONFIGURATION_VERSION: [{ Name: "audit", Uri: "https://audit.example.com/hook" }] },
    Parameters: { token: { Required: false, Description: "a token" } } });
  const arn = `arn:aws:appconfig:us-east-1:${ACCOUNT}:application/${ids.app}`;
  const assoc = await send("CreateExtensionAssociation", { ExtensionIdentifier: ext.Id, ResourceIdentifier: arn });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Extensions" }).click();
  await heading().filter({ hasText: "Extensions" }).waitFor();
  await page.getByText(assoc.Id).waitFor();
  await page.getByRole("link", { name: "audit-hook" }).click();
  await heading().filter({ hasText: "audit-hook" }).waitFor();
  await page.getByText("PRE_CREATE_HOSTED_CONFIGURATION_VERSION").waitFor();
  await page.getByText("https://audit.example.com/hook").waitFor();
  await page.getByText(arn).waitFor();
});

test("keyboard, unknown pages, a phone screen", async () => {
  await go("/console/");
  await heading().waitFor();
  // Tab to "Create application", open it with Enter, type, submit with Enter.
  const btn = page.getByRole("button", { name: "Create application" });
  for (let i = 0; i < 20 && !(await btn.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
  assert.equal(await btn.evaluate((el) => el === document.activeElement), true, "reachable by Tab");
  await page.keyboard.press("Enter");
  await page.keyboard.type("keyboard-app");
  await page.keyboard.press("Enter");
  await heading().filter({ hasText: "keyboard-app" }).waitFor();
  // Escape closes a confirmation without deleting.
  await page.getByRole("button", { name: "Delete application" }).click();
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached" });
  assert.ok((await send("ListApplications", {})).Items.some((a) => a.Name === "keyboard-app"));
  await page.getByRole("button", { name: "Delete application" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await heading().filter({ hasText: "Applications" }).waitFor();
  assert.ok(!(await send("ListApplications", {})).Items.some((a) => a.Name === "keyboard-app"));

  await go("/console/no/such/page");
  await heading().filter({ hasText: "Page not found" }).waitFor();

  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of [`/console/applications/${ids.app}`, `/console/applications/${ids.app}/configurationprofiles/${ids.flags}`,
    `/console/applications/${ids.app}/environments/${ids.env}/deployments/1`]) {
    await go(path);
    await page.locator("main h1").waitFor();
    await page.waitForLoadState("networkidle");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} fits a phone screen (overflows by ${overflow}px)`);
  }
});

test("no errors, no failed requests, nothing off the origin, only AWS model operations", () => {
  checkClean(w, { expectedHTTPErrors });
  const ops = new Set(w.api.map((a) => a.op));
  for (const op of ["ListApplications", "CreateApplication", "GetApplication", "DeleteApplication", "CreateEnvironment", "DeleteEnvironment",
    "CreateConfigurationProfile", "CreateHostedConfigurationVersion", "GetHostedConfigurationVersion", "ListHostedConfigurationVersions",
    "StartDeployment", "GetDeployment", "StopDeployment", "ListDeployments", "ListExtensions", "GetExtension", "ListExtensionAssociations"]) {
    assert.ok(ops.has(op), `the console called ${op}`);
  }
});
