// Experiments (AWS 2026) through @aws-sdk/client-appconfig (≥ 3.1124 has
// the operations): definitions, runs, events, the snapshot, the quota.
//
// Run by internal/itest/compat_test.go with `node --test`; the server's
// URL is in APPCONFIGD_URL; it runs with the default quotas, --time-scale
// 600 and --extension-allow-hosts 127.0.0.1 (extension targets and
// monitor probes on this process's loopback server).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

import {
  AppConfigClient,
  BadRequestException,
  ConflictException,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateDeploymentStrategyCommand,
  CreateEnvironmentCommand,
  CreateExtensionAssociationCommand,
  CreateExtensionCommand,
  CreateExperimentDefinitionCommand,
  CreateHostedConfigurationVersionCommand,
  DeleteExperimentDefinitionCommand,
  GetDeploymentCommand,
  GetExperimentDefinitionCommand,
  GetExperimentRunCommand,
  ListExperimentDefinitionsCommand,
  ListExperimentRunEventsCommand,
  ListDeploymentsCommand,
  ListExperimentRunsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartDeploymentCommand,
  StartExperimentRunCommand,
  StopDeploymentCommand,
  StopExperimentRunCommand,
  UpdateEnvironmentCommand,
  UpdateExperimentDefinitionCommand,
  UpdateExperimentRunCommand,
  paginateListExperimentDefinitions,
} from "@aws-sdk/client-appconfig";

const URL = process.env.APPCONFIGD_URL;
assert.ok(URL, "APPCONFIGD_URL must name a running appconfigd");

const client = (account) =>
  new AppConfigClient({
    endpoint: URL,
    region: "us-east-1",
    credentials: { accessKeyId: account, secretAccessKey: "x" },
    maxAttempts: 1,
  });

const FLAGS = JSON.stringify({
  flags: { checkout: { name: "checkout" }, banner: { name: "banner" } },
  values: { checkout: { enabled: false }, banner: { enabled: true } },
  version: "1",
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An application whose feature flags are deployed to environment prod.
async function deployedFlags(ac) {
  const app = (await ac.send(new CreateApplicationCommand({ Name: "app" }))).Id;
  const env = (await ac.send(new CreateEnvironmentCommand({ ApplicationId: app, Name: "prod" }))).Id;
  const prof = (
    await ac.send(
      new CreateConfigurationProfileCommand({ ApplicationId: app, Name: "flags", LocationUri: "hosted", Type: "AWS.AppConfig.FeatureFlags" }),
    )
  ).Id;
  await ac.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: app, ConfigurationProfileId: prof, Content: new TextEncoder().encode(FLAGS), ContentType: "application/json",
    }),
  );
  const st = (
    await ac.send(new CreateDeploymentStrategyCommand({ Name: "now", DeploymentDurationInMinutes: 0, GrowthFactor: 100, FinalBakeTimeInMinutes: 0 }))
  ).Id;
  const n = (
    await ac.send(
      new StartDeploymentCommand({ ApplicationId: app, EnvironmentId: env, DeploymentStrategyId: st, ConfigurationProfileId: prof, ConfigurationVersion: "1" }),
    )
  ).DeploymentNumber;
  const end = Date.now() + 30000;
  while ((await ac.send(new GetDeploymentCommand({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n }))).State !== "COMPLETE") {
    if (Date.now() > end) throw new Error("deployment never completed");
    await sleep(20);
  }
  return { app, env, prof };
}

const defInput = (app, name, extra = {}) => ({
  ApplicationIdentifier: app,
  Name: name,
  ConfigurationProfileIdentifier: "flags",
  EnvironmentIdentifier: "prod",
  FlagKey: "checkout",
  AudienceRule: '(and (eq $system "iPhone") (lt $osVersion 1.8))',
  Control: { Weight: 50, FlagValue: { Enabled: false } },
  Treatments: [{ Weight: 50, Description: "on", FlagValue: { Enabled: true, AttributeValues: { tier: { StringArray: ["a", "b"] }, on: { BooleanValue: true } } } }],
  ...extra,
});

async function rejects(promise, cls, status) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof cls, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, status);
    return true;
  });
}

let ac, w;

before(async () => {
  ac = client("888888888888");
  w = await deployedFlags(ac);
});

test("experiment definition: create, get, update, list, archive, destroy", async () => {
  const d = await ac.send(new CreateExperimentDefinitionCommand(defInput(w.app, "js-exp", { Tags: { team: "web" } })));
  assert.equal(d.$metadata.httpStatusCode, 201);
  assert.equal(d.Status, "IDLE");
  assert.equal(d.Control.Key, "c");
  assert.deepEqual(d.Treatments.map((t) => t.Key), ["t1"]);
  assert.deepEqual(d.Treatments[0].FlagValue.AttributeValues.tier, { StringArray: ["a", "b"] });
  assert.ok(d.CreatedAt instanceof Date);

  const byName = await ac.send(new GetExperimentDefinitionCommand({ ApplicationIdentifier: "app", ExperimentDefinitionIdentifier: "js-exp" }));
  assert.equal(byName.Id, d.Id);
  const up = await ac.send(
    new UpdateExperimentDefinitionCommand({ ApplicationIdentifier: w.app, ExperimentDefinitionIdentifier: d.Id, LaunchCriteria: "+2% conversion" }),
  );
  assert.equal(up.LaunchCriteria, "+2% conversion");
  await rejects(
    ac.send(new UpdateExperimentDefinitionCommand({ ApplicationIdentifier: w.app, ExperimentDefinitionIdentifier: d.Id, AudienceRule: "(eq $a" })),
    BadRequestException,
    400,
  );
  const arn = `arn:aws:appconfig:us-east-1:888888888888:application/${w.app}/experimentdefinition/${d.Id}`;
  assert.deepEqual((await ac.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags, { team: "web" });

  await ac.send(new CreateExperimentDefinitionCommand(defInput(w.app, "js-banner", { FlagKey: "banner" })));
  const ids = [];
  for await (const page of paginateListExperimentDefinitions({ client: ac, pageSize: 1 }, { ApplicationIdentifier: w.app })) {
    ids.push(...page.Items.map((i) => i.Name));
  }
  assert.deepEqual(ids, ["js-exp", "js-banner"]);

  await ac.send(new DeleteExperimentDefinitionCommand({ ApplicationIdentifier: w.app, ExperimentDefinitionIdentifier: "js-banner", DeleteType: "ARCHIVE" }));
  const active = await ac.send(new ListExperimentDefinitionsCommand({}));
  assert.deepEqual(active.Items.map((i) => i.Name), ["js-exp"]);
  const archived = await ac.send(new ListExperimentDefinitionsCommand({ Status: "ARCHIVED" }));
  assert.deepEqual(archived.Items.map((i) => [i.Name, i.Status]), [["js-banner", "ARCHIVED"]]);

  await ac.send(new DeleteExperimentDefinitionCommand({ ApplicationIdentifier: w.app, ExperimentDefinitionIdentifier: d.Id, DeleteType: "DESTROY" }));
  await rejects(
    ac.send(new GetExperimentDefinitionCommand({ ApplicationIdentifier: w.app, ExperimentDefinitionIdentifier: d.Id })),
    ResourceNotFoundException,
    404,
  );
  await rejects(ac.send(new ListTagsForResourceCommand({ ResourceArn: arn })), ResourceNotFoundException, 404);
  await rejects(
    ac.send(new CreateExperimentDefinitionCommand(defInput(w.app, "bad", { FlagKey: "nope" }))),
    BadRequestException,
    400,
  );
  await rejects(
    ac.send(new ListExperimentDefinitionsCommand({ ApplicationIdentifier: "missing" })),
    ResourceNotFoundException,
    404,
  );
});

test("experiment runs: start, update, stop, events, snapshot", async () => {
  const d = await ac.send(new CreateExperimentDefinitionCommand(defInput(w.app, "js-run")));
  const id = { ApplicationIdentifier: w.app, ExperimentDefinitionIdentifier: d.Id };
  // The run's managed deployment refuses a dynamic parameter no extension
  // declares, as StartDeployment does.
  await rejects(
    ac.send(new StartExperimentRunCommand({ ...id, DeploymentParameters: { DynamicExtensionParameters: { "ext#param": "v" } } })),
    BadRequestException,
    400,
  );
  const run = await ac.send(
    new StartExperimentRunCommand({
      ...id,
      ExposurePercentage: 0,
      TreatmentOverrides: { Inline: { tester: "t1" } },
      DeploymentParameters: { Tags: { k: "v" } },
    }),
  );
  assert.equal(run.$metadata.httpStatusCode, 201);
  assert.equal(run.Run, 1);
  assert.equal(run.Status, "RUNNING");
  assert.deepEqual(run.TreatmentOverrides, { Inline: { tester: "t1" } });
  assert.equal(run.ExperimentDefinitionSnapshot.Name, "js-run");
  await rejects(ac.send(new StartExperimentRunCommand(id)), ConflictException, 409);
  await rejects(ac.send(new UpdateExperimentDefinitionCommand({ ...id, Hypothesis: "x" })), ConflictException, 409);
  await rejects(ac.send(new DeleteExperimentDefinitionCommand({ ...id, DeleteType: "ARCHIVE" })), ConflictException, 409);

  const up = await ac.send(new UpdateExperimentRunCommand({ ...id, Run: 1, ExposurePercentage: 25 }));
  assert.equal(up.ExposurePercentage, 25);
  await rejects(ac.send(new UpdateExperimentRunCommand({ ...id, Run: 1, ExposurePercentage: 10 })), BadRequestException, 400);
  await ac.send(new UpdateExperimentRunCommand({ ...id, Run: 1, TreatmentOverrides: { Inline: { tester: "c" } } }));
  await rejects(ac.send(new GetExperimentRunCommand({ ...id, Run: 2 })), ResourceNotFoundException, 404);

  const stopped = await ac.send(
    new StopExperimentRunCommand({ ...id, Run: 1, Result: { ExecutiveSummary: "flat", ReasonsNotToLaunch: "no lift" } }),
  );
  assert.equal(stopped.Status, "DONE");
  assert.ok(stopped.EndedAt instanceof Date);
  assert.equal(stopped.Result.ReasonsNotToLaunch, "no lift");
  await rejects(ac.send(new StopExperimentRunCommand({ ...id, Run: 1 })), ConflictException, 409);
  assert.equal((await ac.send(new GetExperimentDefinitionCommand(id))).Status, "IDLE");

  const events = (await ac.send(new ListExperimentRunEventsCommand({ ...id, Run: 1 }))).Items;
  assert.deepEqual(
    events.map((e) => [e.EventType, e.ExposurePercentage, e.TriggeredBy]),
    [
      ["RUN_STOPPED", 25, "USER"],
      ["OVERRIDES_UPDATED", 25, "USER"],
      ["EXPOSURE_UPDATED", 25, "USER"],
      ["RUN_STARTED", 0, "USER"],
    ],
  );
  assert.deepEqual(events[3].TreatmentOverrides, { Inline: { tester: "t1" } });
  assert.deepEqual(events[1].TreatmentOverrides, { Inline: { tester: "c" } });
  assert.ok(events[0].OccurredAt >= events[3].OccurredAt);

  await ac.send(new UpdateExperimentDefinitionCommand({ ...id, Control: { Weight: 10, FlagValue: { Enabled: false } } }));
  const again = await ac.send(new StartExperimentRunCommand({ ...id, ExposurePercentage: 5 }));
  assert.equal(again.Run, 2);
  assert.equal(again.ExperimentDefinitionSnapshot.Control.Weight, 10);
  assert.equal((await ac.send(new GetExperimentRunCommand({ ...id, Run: 1 }))).ExperimentDefinitionSnapshot.Control.Weight, 50);
  const running = await ac.send(new ListExperimentRunsCommand({ ...id, Status: "RUNNING" }));
  assert.deepEqual(running.Items.map((r) => r.Run), [2]);
  await ac.send(new StopExperimentRunCommand({ ...id, Run: 2 }));
});

test("50 experiment definitions per application, archived ones not counted", async () => {
  const qc = client("999999999999");
  const q = await deployedFlags(qc);
  for (let i = 0; i < 50; i++) {
    await qc.send(new CreateExperimentDefinitionCommand(defInput(q.app, `q${i}`)));
  }
  await rejects(qc.send(new CreateExperimentDefinitionCommand(defInput(q.app, "q50"))), ServiceQuotaExceededException, 402);
  await qc.send(new DeleteExperimentDefinitionCommand({ ApplicationIdentifier: q.app, ExperimentDefinitionIdentifier: "q7", DeleteType: "ARCHIVE" }));
  const d = await qc.send(new CreateExperimentDefinitionCommand(defInput(q.app, "q50")));
  assert.equal(d.Status, "IDLE");
});

// A loopback server that is an extension target (it records payloads;
// AT_DEPLOYMENT_TICK answers wait while held) and a monitor probe.
async function hooksServer() {
  const h = { events: [], state: "OK", reads: 0, held: null };
  h.server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      if (req.method === "GET") {
        h.reads++;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ state: h.state }));
        return;
      }
      const ev = JSON.parse(body || "{}");
      h.events.push(ev);
      if (ev.Type === "AtDeploymentTick" && h.held) await h.held;
      res.setHeader("Content-Type", "application/json");
      res.end(ev.Type === "AtDeploymentTick" ? JSON.stringify({ Directive: "CONTINUE" }) : "");
    });
  });
  await new Promise((r) => h.server.listen(0, "127.0.0.1", r));
  h.url = `http://127.0.0.1:${h.server.address().port}/`;
  h.of = (type) => h.events.filter((e) => e.Type === type);
  return h;
}

async function waitFor(what, fn) {
  const end = Date.now() + 30000;
  for (;;) {
    const got = await fn();
    if (got) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("managed deployments: Type, AssociatedDeployment, extensions, conflicts both ways, alarm stop", async () => {
  const mc = client("444444444444");
  const m = await deployedFlags(mc);
  const h = await hooksServer();
  try {
    const envArn = `arn:aws:appconfig:us-east-1:444444444444:application/${m.app}/environment/${m.env}`;
    const dep = (n) => mc.send(new GetDeploymentCommand({ ApplicationId: m.app, EnvironmentId: m.env, DeploymentNumber: n }));
    const ext = await mc.send(
      new CreateExtensionCommand({
        Name: "audit",
        Actions: {
          PRE_START_DEPLOYMENT: [{ Name: "pre", Uri: h.url }],
          AT_DEPLOYMENT_TICK: [{ Name: "tick", Uri: h.url }],
        },
        Parameters: { ticket: { Dynamic: true } },
      }),
    );
    await mc.send(new CreateExtensionAssociationCommand({ ExtensionIdentifier: ext.Id, ResourceIdentifier: envArn }));
    const d = await mc.send(new CreateExperimentDefinitionCommand(defInput(m.app, "managed")));
    const id = { ApplicationIdentifier: m.app, ExperimentDefinitionIdentifier: d.Id };

    // Start: managed deployment 2, held in DEPLOYING by its tick, refuses a user's.
    let release;
    h.held = new Promise((r) => (release = r));
    await mc.send(
      new StartExperimentRunCommand({ ...id, DeploymentParameters: { DynamicExtensionParameters: { "audit#ticket": "EXP-7" }, Tags: { exp: "managed" } } }),
    );
    assert.equal((await dep(2)).State, "DEPLOYING");
    await rejects(
      mc.send(new StartDeploymentCommand({ ApplicationId: m.app, EnvironmentId: m.env, DeploymentStrategyId: "AppConfig.AllAtOnce", ConfigurationProfileId: m.prof, ConfigurationVersion: "1" })),
      ConflictException,
      409,
    );
    release();
    h.held = null;
    await waitFor("managed deployment 2", async () => (await dep(2)).State === "COMPLETE");
    const pre = h.of("PreStartDeployment");
    assert.deepEqual(pre.map((e) => [e.Parameters?.ticket, e.DeploymentNumber]), [["EXP-7", 2]]);
    assert.deepEqual((await mc.send(new ListTagsForResourceCommand({ ResourceArn: `${envArn}/deployment/2` }))).Tags, { exp: "managed" });

    // A user deployment in progress refuses the run's update.
    const slow = (await mc.send(new CreateDeploymentStrategyCommand({ Name: "slow", DeploymentDurationInMinutes: 600, GrowthFactor: 50, FinalBakeTimeInMinutes: 0 }))).Id;
    await mc.send(new StartDeploymentCommand({ ApplicationId: m.app, EnvironmentId: m.env, DeploymentStrategyId: slow, ConfigurationProfileId: m.prof, ConfigurationVersion: "1" }));
    await rejects(mc.send(new UpdateExperimentRunCommand({ ...id, Run: 1, ExposurePercentage: 20 })), ConflictException, 409);
    await mc.send(new StopDeploymentCommand({ ApplicationId: m.app, EnvironmentId: m.env, DeploymentNumber: 3 }));
    await waitFor("the rollback", async () => (await dep(3)).State === "ROLLED_BACK");
    await mc.send(new UpdateExperimentRunCommand({ ...id, Run: 1, ExposurePercentage: 20 }));
    await waitFor("managed deployment 4", async () => (await dep(4)).State === "COMPLETE");

    // An environment monitor in ALARM stops the run.
    await mc.send(new UpdateEnvironmentCommand({ ApplicationId: m.app, EnvironmentId: m.env, Monitors: [{ AlarmArn: h.url + "alarm" }] }));
    await waitFor("two monitor reads", () => h.reads >= 2);
    assert.equal((await mc.send(new GetExperimentRunCommand({ ...id, Run: 1 }))).Status, "RUNNING");
    h.state = "ALARM";
    const run = await waitFor("the alarm stop", async () => {
      const r = await mc.send(new GetExperimentRunCommand({ ...id, Run: 1 }));
      return r.Status === "DONE" && r;
    });
    assert.equal(run.Result, undefined);
    await waitFor("managed deployment 5", async () => (await dep(5)).State === "COMPLETE");

    const events = (await mc.send(new ListExperimentRunEventsCommand({ ...id, Run: 1 }))).Items;
    assert.deepEqual(
      events.map((e) => [e.EventType, e.TriggeredBy, e.AssociatedDeployment]),
      [
        ["RUN_STOPPED", "CLOUDWATCH_ALARM", `${envArn}/deployment/5`],
        ["EXPOSURE_UPDATED", "USER", `${envArn}/deployment/4`],
        ["RUN_STARTED", "USER", `${envArn}/deployment/2`],
      ],
    );
    const items = (await mc.send(new ListDeploymentsCommand({ ApplicationId: m.app, EnvironmentId: m.env }))).Items;
    assert.deepEqual(
      items.map((i) => [i.DeploymentNumber, i.Type]),
      [[5, "MANAGED"], [4, "MANAGED"], [3, "USER"], [2, "MANAGED"], [1, "USER"]],
    );
    // The alarm stop's deployment ran the extensions with the run's parameters too.
    assert.deepEqual(
      h.of("PreStartDeployment").map((e) => [e.DeploymentNumber, e.Parameters?.ticket]),
      [[2, "EXP-7"], [3, undefined], [4, "EXP-7"], [5, "EXP-7"]],
    );
  } finally {
    h.server.close();
  }
});
