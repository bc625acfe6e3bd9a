// Regenerates the README's screenshots (docs/screenshots/*.png): starts
// the binary given as argv[2] (open auth, then sigv4 for the sign-in
// page), fills it with a small example through the AWS SDK for
// JavaScript, and photographs the main pages in chromium. Run by
// scripts/screenshots.sh.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "docs", "screenshots");
const bin = process.argv[2];
if (!bin) throw new Error("usage: node screenshots.mjs PATH-TO-APPCONFIGD");

function serve(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", mkdtempSync(join(tmpdir(), "appconfigd-shots-")), ...args],
      { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    proc.stderr.on("data", (d) => {
      log += d;
      const m = /appconfigd listening.*address=(\S+)/.exec(log);
      if (m) resolve({ url: "http://" + m[1], proc });
    });
    proc.on("exit", (code) => reject(new Error(`appconfigd exited ${code}:\n${log}`)));
  });
}

const open = await serve(["--time-scale", "30"]);
process.env.APPCONFIGD_URL = open.url;
const { client, sdk, launch } = await import("./harness.mjs");
const ac = client();
const send = (Cmd, input) => ac.send(new sdk[Cmd + "Command"](input));
const enc = new TextEncoder();

const app = await send("CreateApplication", { Name: "web-shop", Description: "The storefront and its checkout" });
await send("CreateApplication", { Name: "mobile-api", Description: "Backend for the iOS and Android apps" });
await send("CreateApplication", { Name: "search", Description: "Search ranking settings" });
const prod = await send("CreateEnvironment", { ApplicationId: app.Id, Name: "production" });
await send("CreateEnvironment", { ApplicationId: app.Id, Name: "staging" });
const flags = await send("CreateConfigurationProfile", { ApplicationId: app.Id, Name: "feature-flags", LocationUri: "hosted", Type: "AWS.AppConfig.FeatureFlags" });
const settings = await send("CreateConfigurationProfile", { ApplicationId: app.Id, Name: "settings", LocationUri: "hosted" });
const doc = {
  version: "1",
  flags: {
    checkout: { name: "One-page checkout", description: "The new single-page checkout flow",
      attributes: { limit: { constraints: { type: "number", minimum: 1, maximum: 50 } }, tier: { constraints: { type: "string", enum: ["gold", "silver", "bronze"] } } } },
    banner: { name: "Holiday banner", attributes: { color: { constraints: { type: "string" } } } },
  },
  values: {
    checkout: { enabled: true, limit: 10, tier: "gold" },
    banner: { enabled: false, color: "red", _variants: [{ name: "dutch", enabled: true, rule: '(eq $country "NL")', attributeValues: { color: "orange" } }, { name: "default", enabled: false }] },
  },
};
await send("CreateHostedConfigurationVersion", { ApplicationId: app.Id, ConfigurationProfileId: flags.Id, ContentType: "application/json", Content: enc.encode(JSON.stringify(doc)) });
const put = (obj, Description) => send("CreateHostedConfigurationVersion", { ApplicationId: app.Id, ConfigurationProfileId: settings.Id,
  ContentType: "application/json", Description, Content: enc.encode(JSON.stringify(obj, null, 2)) });
await put({ cacheSeconds: 30, currency: "EUR", maxItems: 20 }, "initial settings");
await put({ cacheSeconds: 60, currency: "EUR", maxItems: 25, search: { fuzzy: true } }, "longer cache, fuzzy search");
const strat = await send("CreateDeploymentStrategy", { Name: "canary-10-min", DeploymentDurationInMinutes: 10, GrowthType: "LINEAR",
  GrowthFactor: 20, FinalBakeTimeInMinutes: 5, ReplicateTo: "NONE" });
const quick = await send("CreateDeploymentStrategy", { Name: "quick", DeploymentDurationInMinutes: 0, GrowthType: "LINEAR",
  GrowthFactor: 100, FinalBakeTimeInMinutes: 0, ReplicateTo: "NONE" });
const deploy = (ConfigurationProfileId, ConfigurationVersion, DeploymentStrategyId, Description) => send("StartDeployment", { ApplicationId: app.Id,
  EnvironmentId: prod.Id, ConfigurationProfileId, ConfigurationVersion, DeploymentStrategyId, Description });
const settle = async (n) => {
  for (let i = 0; i < 50 && (await send("GetDeployment", { ApplicationId: app.Id, EnvironmentId: prod.Id, DeploymentNumber: n })).State !== "COMPLETE"; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
};
await settle((await deploy(flags.Id, "1", quick.Id, "feature flags v1")).DeploymentNumber);
await settle((await deploy(settings.Id, "1", quick.Id, "settings v1")).DeploymentNumber);
const exp = await seedExperiments();
// The canary stays in progress (the baking screenshot below).
const canary = (await deploy(settings.Id, "2", strat.Id, "settings v2")).DeploymentNumber;

// seedExperiments: a stopped experiment with a result, and a running one
// started at 0 % with overrides, then raised to 10 % and 25 %.
async function seedExperiments() {
  const where = { ApplicationIdentifier: app.Id, EnvironmentIdentifier: prod.Id, ConfigurationProfileIdentifier: flags.Id };
  const tv = (Weight, Enabled, attrs, Description) => ({ Weight, Description, FlagValue: { Enabled, AttributeValues: attrs } });
  const limit = await send("CreateExperimentDefinition", { ...where, Name: "checkout-limit", FlagKey: "checkout",
    Hypothesis: "A higher item limit does not slow checkout down", AudienceRule: "true",
    Control: tv(50, true, { limit: { NumberValue: 10 } }, "10 items"), Treatments: [tv(50, true, { limit: { NumberValue: 25 } }, "25 items")] });
  const ids = { ApplicationIdentifier: app.Id, ExperimentDefinitionIdentifier: limit.Id };
  await send("StartExperimentRun", { ...ids, ExposurePercentage: 20, Description: "two weeks at 20 %" });
  await send("StopExperimentRun", { ...ids, Run: 1, Result: { ExecutiveSummary: "No measurable change in checkout time",
    ReasonsToLaunch: "Bigger baskets for 4 % of orders" } });
  const banner = await send("CreateExperimentDefinition", { ...where, Name: "holiday-banner-color", FlagKey: "banner",
    Hypothesis: "A green or gold banner gets more clicks than the red one", AudienceRule: '(in $country ["NL" "BE" "DE"])',
    AudienceDescription: "Shoppers in the Benelux and Germany", LaunchCriteria: "Click-through +5 % with no drop in orders",
    Control: tv(50, true, { color: { StringValue: "red" } }, "today's red banner"),
    Treatments: [tv(25, true, { color: { StringValue: "green" } }, "green"), tv(25, true, { color: { StringValue: "gold" } }, "gold")] });
  const bids = { ApplicationIdentifier: app.Id, ExperimentDefinitionIdentifier: banner.Id };
  await send("StartExperimentRun", { ...bids, ExposurePercentage: 0, Description: "QA first, then a slow ramp",
    TreatmentOverrides: { Inline: { "qa-anna": "t1", "qa-ben": "t2" } } });
  await send("UpdateExperimentRun", { ...bids, Run: 1, ExposurePercentage: 10 });
  await send("UpdateExperimentRun", { ...bids, Run: 1, TreatmentOverrides: { Inline: { "qa-anna": "t1", "qa-ben": "t2", "qa-carla": "c" } } });
  await send("UpdateExperimentRun", { ...bids, Run: 1, ExposurePercentage: 25 });
  return { banner: banner.Id };
}

mkdirSync(out, { recursive: true });
const b = await launch({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
const page = b.context.pages()[0] || (await b.context.newPage());
const shot = async (path, name, ready, full = true) => {
  await page.goto(open.url + path);
  await page.locator(ready).first().waitFor();
  await page.waitForLoadState("networkidle").catch(() => {});
  await page.screenshot({ path: join(out, name), fullPage: full });
  console.log("wrote", name);
};
const base = `/console/applications/${app.Id}`;
await shot("/console/", "applications.png", "table");
await shot(base, "application.png", "table");
await shot(`${base}/configurationprofiles/${flags.Id}`, "flags-editor.png", "[role=switch]", false);
await shot(`${base}/configurationprofiles/${settings.Id}/versions/2?compare=1`, "version-diff.png", "pre.diff");
await shot("/console/experiments", "experiments.png", "table");
await shot(`${base}/experiments/${exp.banner}`, "experiment-definition.png", "table");
await shot(`${base}/experiments/${exp.banner}/runs/1`, "experiment-run.png", "table");
// The create form with the server's error for an audience rule that does not parse.
await page.goto(`${open.url}/console/experiments?application=${app.Id}`);
await page.getByRole("button", { name: "Create experiment definition" }).click();
const create = page.getByRole("form", { name: "Create experiment definition" });
await create.getByLabel("Feature flag profile").locator(`option[value="${flags.Id}"]`).waitFor({ state: "attached" });
await create.getByLabel("Name", { exact: true }).fill("banner-copy");
await create.getByLabel("Flag key").fill("banner");
await create.getByLabel("Hypothesis").fill("Shorter copy gets more clicks");
await create.getByLabel("Audience rule").fill('(and (eq $country "NL") (gte $appVersion 3)');
await create.getByLabel("Control attribute values").fill('{"color": "red"}');
await create.getByLabel("Treatment 1 attribute values").fill('{"color": "orange"}');
await create.getByRole("button", { name: "Create", exact: true }).click();
await create.getByRole("alert").waitFor();
await page.screenshot({ path: join(out, "experiment-create-error.png"), fullPage: true });
console.log("wrote experiment-create-error.png");
// Photograph the canary while it bakes, with its countdown.
for (let i = 0; i < 400 && (await send("GetDeployment", { ApplicationId: app.Id, EnvironmentId: prod.Id, DeploymentNumber: canary })).State !== "BAKING"; i++) {
  await new Promise((r) => setTimeout(r, 100));
}
await shot(`${base}/environments/${prod.Id}/deployments/${canary}`, "deployment.png", "progress");
await page.setViewportSize({ width: 390, height: 844 });
await shot(`${base}/environments/${prod.Id}/deployments/${canary}`, "deployment-phone.png", "progress", false);
await b.close();
open.proc.kill("SIGINT");

const credsDir = mkdtempSync(join(tmpdir(), "appconfigd-shots-creds-"));
writeFileSync(join(credsDir, "credentials"), "[me]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n");
const signed = await serve(["--auth", "sigv4", "--credentials-file", join(credsDir, "credentials")]);
const b2 = await launch({ viewport: { width: 1200, height: 640 } });
const p2 = b2.context.pages()[0] || (await b2.context.newPage());
await p2.goto(signed.url + "/console/");
await p2.getByLabel("Access key ID").fill("AKIAEXAMPLE");
await p2.getByLabel("Secret access key").fill("wrong");
await p2.getByRole("button", { name: "Sign in" }).click();
await p2.getByRole("alert").waitFor();
await p2.screenshot({ path: join(out, "sign-in.png") });
console.log("wrote sign-in.png");
await b2.close();
signed.proc.kill("SIGINT");
