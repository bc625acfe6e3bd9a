// The AWS SDK for JavaScript v3 (@aws-sdk/client-appconfig and
// @aws-sdk/client-appconfigdata, unmodified) against appconfigd; Ion
// answers are read with the Amazon Ion reader (ion-js).
//
// Run by internal/itest/compat_test.go with `node --test` against the
// binary started with --time-scale 600 (a minute of service time is 0.1 s);
// the server's URL is in APPCONFIGD_URL.
import { test, before } from "node:test";
import assert from "node:assert/strict";

import {
  AppConfigClient,
  BadRequestException as ControlBadRequest,
  ConflictException,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateDeploymentStrategyCommand,
  CreateEnvironmentCommand,
  CreateHostedConfigurationVersionCommand,
  GetApplicationCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  PayloadTooLargeException,
  ResourceNotFoundException,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import {
  AppConfigDataClient,
  BadRequestException,
  GetLatestConfigurationCommand,
  ResourceNotFoundException as DataResourceNotFound,
  StartConfigurationSessionCommand,
} from "@aws-sdk/client-appconfigdata";
import * as ion from "ion-js";

const URL = process.env.APPCONFIGD_URL;
assert.ok(URL, "APPCONFIGD_URL must name a running appconfigd");
const SCALE = Number(process.env.APPCONFIGD_TIME_SCALE || "600");

const opts = {
  endpoint: URL,
  region: "us-east-1",
  credentials: { accessKeyId: "666666666666", secretAccessKey: "x" },
  maxAttempts: 1,
};
const ac = new AppConfigClient(opts);
const data = new AppConfigDataClient(opts);
const enc = new TextEncoder();
const dec = new TextDecoder();

// The SDK leaves Configuration unset when the body is empty (nothing new).
const body = (r) => (r.Configuration ? dec.decode(r.Configuration) : "");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Respect a session's minimum poll interval (15 s) in service time.
const pollPause = () => sleep((15.5 / SCALE) * 1000);

let app, env, prof, flags, now, slow;

before(async () => {
  app = (await ac.send(new CreateApplicationCommand({ Name: "js-app", Description: "from JS" }))).Id;
  env = (await ac.send(new CreateEnvironmentCommand({ ApplicationId: app, Name: "prod" }))).Id;
  prof = (await ac.send(new CreateConfigurationProfileCommand({ ApplicationId: app, Name: "cfg", LocationUri: "hosted" }))).Id;
  flags = (
    await ac.send(
      new CreateConfigurationProfileCommand({
        ApplicationId: app,
        Name: "flags",
        LocationUri: "hosted",
        Type: "AWS.AppConfig.FeatureFlags",
      }),
    )
  ).Id;
  now = (
    await ac.send(
      new CreateDeploymentStrategyCommand({
        Name: "js-now",
        DeploymentDurationInMinutes: 0,
        GrowthFactor: 100,
        FinalBakeTimeInMinutes: 0,
      }),
    )
  ).Id;
  slow = (
    await ac.send(
      new CreateDeploymentStrategyCommand({
        Name: "js-slow",
        DeploymentDurationInMinutes: 20,
        GrowthFactor: 50,
        FinalBakeTimeInMinutes: 60,
      }),
    )
  ).Id;
});

async function putVersion(profile, body, contentType = "application/json", extra = {}) {
  return ac.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: app,
      ConfigurationProfileId: profile,
      Content: enc.encode(body),
      ContentType: contentType,
      ...extra,
    }),
  );
}

async function deploy(profile, strategy, version) {
  const out = await ac.send(
    new StartDeploymentCommand({
      ApplicationId: app,
      EnvironmentId: env,
      DeploymentStrategyId: strategy,
      ConfigurationProfileId: profile,
      ConfigurationVersion: String(version),
    }),
  );
  return out.DeploymentNumber;
}

const deploymentState = async (n) =>
  (await ac.send(new GetDeploymentCommand({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n }))).State;

async function session(profile) {
  const out = await data.send(
    new StartConfigurationSessionCommand({
      ApplicationIdentifier: "js-app",
      EnvironmentIdentifier: "prod",
      ConfigurationProfileIdentifier: profile,
      RequiredMinimumPollIntervalInSeconds: 15,
    }),
  );
  assert.equal(out.$metadata.httpStatusCode, 201);
  return out.InitialConfigurationToken;
}

test("control plane: resources, blobs and modeled errors", async () => {
  const got = await ac.send(new GetApplicationCommand({ ApplicationId: app }));
  assert.equal(got.Name, "js-app");
  assert.equal(got.Description, "from JS");
  const list = await ac.send(new ListApplicationsCommand({ MaxResults: 50 }));
  assert.ok(list.Items.some((a) => a.Id === app));

  const v = await putVersion(prof, '{"greeting":"héllo"}', "application/json", { Description: "first" });
  assert.equal(v.VersionNumber, 1);
  assert.equal(v.ContentType, "application/json");
  assert.equal(dec.decode(v.Content), '{"greeting":"héllo"}');
  const back = await ac.send(
    new GetHostedConfigurationVersionCommand({ ApplicationId: app, ConfigurationProfileId: prof, VersionNumber: 1 }),
  );
  assert.equal(back.Description, "first");
  assert.equal(dec.decode(back.Content), '{"greeting":"héllo"}');

  await assert.rejects(ac.send(new GetApplicationCommand({ ApplicationId: "nope123" })), (err) => {
    assert.ok(err instanceof ResourceNotFoundException, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 404);
    assert.ok(err.message.length > 0);
    return true;
  });
  // The optimistic lock on LatestVersionNumber.
  await assert.rejects(putVersion(prof, "{}", "application/json", { LatestVersionNumber: 7 }), (err) => {
    assert.ok(err instanceof ConflictException, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 409);
    return true;
  });
  // A body over 2 MB: 413 with the modeled members.
  await assert.rejects(putVersion(prof, "x".repeat(2 * 1024 * 1024 + 1), "text/plain"), (err) => {
    assert.ok(err instanceof PayloadTooLargeException, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 413);
    assert.equal(err.Measure, "KILOBYTES");
    assert.equal(err.Limit, 2048);
    assert.ok(err.Size > 2048, `Size ${err.Size}`);
    return true;
  });
  // Input validation with the reason the model defines.
  await assert.rejects(ac.send(new CreateApplicationCommand({ Name: "" })), (err) => {
    assert.ok(err instanceof ControlBadRequest, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 400);
    return true;
  });
});

test("data plane: polling across a deployment and a stop", async () => {
  await putVersion(prof, '{"v":2}');
  const first = await deploy(prof, now, 1);
  await waitFor(async () => (await deploymentState(first)) === "COMPLETE", "deployment 1 to complete");

  const initial = await session("cfg");
  const r1 = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: initial }));
  assert.equal(body(r1), '{"greeting":"héllo"}');
  assert.equal(r1.ContentType, "application/json");
  assert.equal(r1.NextPollIntervalInSeconds, 15);
  let token = r1.NextPollConfigurationToken;

  // A token is good for one call.
  await assert.rejects(data.send(new GetLatestConfigurationCommand({ ConfigurationToken: initial })), (err) => {
    assert.ok(err instanceof BadRequestException, `${err.name}: ${err.message}`);
    return true;
  });

  // A slow deployment reaches this client at some step; it keeps seeing
  // version 1 (an empty body: nothing new) until then.
  const second = await deploy(prof, slow, 2);
  let seen = "";
  while (seen !== '{"v":2}') {
    await pollPause();
    const r = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: token }));
    token = r.NextPollConfigurationToken;
    if (body(r) !== "") seen = body(r);
    assert.ok(["DEPLOYING", "BAKING"].includes(await deploymentState(second)));
  }
  await ac.send(new StopDeploymentCommand({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: second }));
  await waitFor(async () => (await deploymentState(second)) === "ROLLED_BACK", "deployment 2 to roll back");
  await pollPause();
  const back = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: token }));
  assert.equal(body(back), '{"greeting":"héllo"}');
  await pollPause();
  const same = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: back.NextPollConfigurationToken }));
  assert.equal(body(same), "");
});

test("data plane: feature flags in their client form", async () => {
  const doc = {
    version: "1",
    flags: {
      beta: { name: "Beta", attributes: { color: { constraints: { type: "string", enum: ["red", "blue"] } } } },
      dark: { name: "Dark mode" },
    },
    values: { beta: { enabled: true, color: "red" }, dark: { enabled: false } },
  };
  const v = await putVersion(flags, JSON.stringify(doc), "application/json", { VersionLabel: "flags-v1" });
  // Tests in a file run one after another, so the environment is free.
  const n = await deploy(flags, now, v.VersionNumber);
  await waitFor(async () => (await deploymentState(n)) === "COMPLETE", "the flags deployment to complete");
  const token = await session("flags");
  const r = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: token }));
  assert.equal(r.ContentType, "application/json");
  assert.deepEqual(JSON.parse(body(r)), { beta: { enabled: true, color: "red" }, dark: { enabled: false } });
  assert.equal(r.VersionLabel, "flags-v1");

  // A flag value that breaks its constraint is refused with the details.
  const bad = structuredClone(doc);
  bad.values.beta.color = "green";
  await assert.rejects(putVersion(flags, JSON.stringify(bad)), (err) => {
    assert.ok(err instanceof ControlBadRequest, `${err.name}: ${err.message}`);
    assert.equal(err.Reason, "InvalidConfiguration");
    assert.ok(err.Details.InvalidConfiguration.some((d) => d.Location === "/values/beta/color"), JSON.stringify(err.Details));
    return true;
  });
});

test("data plane: modeled errors", async () => {
  await assert.rejects(
    data.send(
      new StartConfigurationSessionCommand({
        ApplicationIdentifier: "nope",
        EnvironmentIdentifier: "prod",
        ConfigurationProfileIdentifier: "cfg",
      }),
    ),
    (err) => {
      assert.ok(err instanceof DataResourceNotFound, `${err.name}: ${err.message}`);
      assert.equal(err.ResourceType, "Application");
      return true;
    },
  );
  await assert.rejects(data.send(new GetLatestConfigurationCommand({ ConfigurationToken: "not-a-token" })), (err) => {
    assert.ok(err instanceof BadRequestException, `${err.name}: ${err.message}`);
    assert.equal(err.Details.InvalidParameters.ConfigurationToken.Problem, "Corrupted");
    return true;
  });
});

test("data plane: multi-variant flags as JSON for SDK callers and as Ion for the Agent", async () => {
  const mv = (
    await ac.send(
      new CreateConfigurationProfileCommand({
        ApplicationId: app,
        Name: "mv-flags",
        LocationUri: "hosted",
        Type: "AWS.AppConfig.FeatureFlags",
      }),
    )
  ).Id;
  const doc = {
    version: "1",
    flags: {
      colorway: { name: "Colorway", attributes: { background: { constraints: { type: "string" } } } },
      simple: { name: "Simple" },
    },
    values: {
      simple: { enabled: true },
      colorway: {
        enabled: true,
        _variants: [
          { name: "BetaTesters", enabled: true, rule: '(contains $userId "beta")', attributeValues: { background: "blue" } },
          { name: "Listed", enabled: true, rule: '(in $country ["FR" "DE"])', attributeValues: { background: "red" } },
          { name: "Hidden", enabled: false, rule: "(split by::$userId pct::10)" },
          { name: "default", enabled: true, attributeValues: { background: "green" } },
        ],
      },
    },
  };
  const v = await putVersion(mv, JSON.stringify(doc));
  const n = await deploy(mv, now, v.VersionNumber);
  await waitFor(async () => (await deploymentState(n)) === "COMPLETE", "the multi-variant deployment to complete");

  // An SDK caller gets JSON: each multi-variant flag as its default variant.
  const plain = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: await session("mv-flags") }));
  assert.equal(plain.ContentType, "application/json");
  assert.deepEqual(JSON.parse(body(plain)), { colorway: { enabled: true, background: "green" }, simple: { enabled: true } });

  // A client that accepts the Agent's type gets Ion, read here by the
  // Amazon Ion reader: flags annotated with their keys, a basic flag as
  // its JSON string, a multi-variant flag as [rule, content] pairs and
  // then its default content.
  const agent = new AppConfigDataClient(opts);
  agent.middlewareStack.add(
    (next) => (args) => {
      args.request.headers["accept"] = "application/ion;type=AWS.AppConfig.FeatureFlags";
      return next(args);
    },
    { step: "build", name: "acceptIon" },
  );
  const r = await agent.send(new GetLatestConfigurationCommand({ ConfigurationToken: await session("mv-flags") }));
  assert.match(r.ContentType, /^application\/ion;\s*type=AWS\.AppConfig\.FeatureFlags$/);
  const values = ion.loadAll(r.Configuration);
  assert.deepEqual(
    values.map((x) => x.getAnnotations()),
    [["colorway"], ["simple"]],
  );
  const [colorway, simple] = values;
  assert.equal(simple.getType(), ion.IonTypes.STRING);
  assert.deepEqual(JSON.parse(simple.stringValue()), { enabled: true });

  assert.equal(colorway.getType(), ion.IonTypes.LIST);
  const items = colorway.elements();
  assert.equal(items.length, 4);
  const rules = items.slice(0, 3).map((pair) => {
    assert.equal(pair.getType(), ion.IonTypes.LIST);
    assert.equal(pair.get(0).getType(), ion.IonTypes.SEXP);
    return [ion.dumpText(pair.get(0)), JSON.parse(pair.get(1).stringValue())];
  });
  assert.deepEqual(rules, [
    ['(contains $userId "beta")', { _variant: "BetaTesters", enabled: true, background: "blue" }],
    ['(in $country ["FR","DE"])', { _variant: "Listed", enabled: true, background: "red" }],
    ["(split by::$userId pct::10)", { _variant: "Hidden", enabled: false }],
  ]);
  // The operator and the context reference are Ion symbols, the list an
  // Ion list: what the Agent evaluates.
  const inRule = items[1].get(0);
  assert.equal(inRule.get(0).getType(), ion.IonTypes.SYMBOL);
  assert.equal(inRule.get(0).stringValue(), "in");
  assert.equal(inRule.get(1).stringValue(), "$country");
  assert.equal(inRule.get(2).getType(), ion.IonTypes.LIST);
  const split = items[2].get(0);
  assert.deepEqual(split.get(1).getAnnotations(), ["by"]);
  assert.deepEqual(split.get(2).getAnnotations(), ["pct"]);
  assert.equal(Number(split.get(2).numberValue()), 10);
  assert.deepEqual(JSON.parse(items[3].stringValue()), { _variant: "default", enabled: true, background: "green" });
});
