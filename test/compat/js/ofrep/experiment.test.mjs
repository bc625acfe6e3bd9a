// An experiment run seen through the OpenFeature server SDK with the OFREP
// provider (both unmodified): targetingKey is the entity, the other
// context keys the audience rule's context; an assigned entity gets a
// treatment variant (__c__, __t1__) with reason SPLIT, an overridden one
// TARGETING_MATCH; after the run stops everyone gets the deployed flag.
// The run is made with @aws-sdk/client-appconfig. Run by internal/itest
// (TestCompatOpenFeature).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { OpenFeature } from "@openfeature/server-sdk";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import {
  AppConfigClient,
  CreateExperimentDefinitionCommand,
  StartExperimentRunCommand,
  StopExperimentRunCommand,
} from "@aws-sdk/client-appconfig";
import { makeProfile, URL } from "./setup.mjs";

const ac = new AppConfigClient({
  endpoint: URL,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" },
  maxAttempts: 1,
});

let client;
let id;

before(async () => {
  const { base } = await makeProfile("of-exp");
  const value = (text) => ({ Enabled: true, AttributeValues: { text: { StringValue: text } } });
  const d = await ac.send(
    new CreateExperimentDefinitionCommand({
      ApplicationIdentifier: "of-exp",
      Name: "banner-text",
      ConfigurationProfileIdentifier: "flags",
      EnvironmentIdentifier: "prod",
      FlagKey: "banner",
      AudienceRule: '(eq $tier "pro")',
      Control: { Weight: 50, FlagValue: value("control") },
      Treatments: [{ Weight: 50, FlagValue: value("treated") }],
    }),
  );
  id = { ApplicationIdentifier: "of-exp", ExperimentDefinitionIdentifier: d.Id };
  await ac.send(new StartExperimentRunCommand({ ...id, ExposurePercentage: 100, TreatmentOverrides: { Inline: { vip: "t1" } } }));
  // A fresh provider per test file: no cache from another file's flags.
  OpenFeature.setProvider("exp", new OFREPProvider({ baseUrl: base }));
  client = OpenFeature.getClient("exp");
});

test("an override and weighted assignments give treatment variants", async () => {
  const vip = await client.getBooleanDetails("banner", false, { targetingKey: "vip" });
  assert.equal(vip.value, true);
  assert.equal(vip.variant, "__t1__");
  assert.equal(vip.reason, "TARGETING_MATCH");
  assert.deepEqual(vip.flagMetadata, { text: "treated" });
  assert.equal(await client.getStringValue("banner.text", "x", { targetingKey: "vip" }), "treated");

  const seen = new Set();
  for (let i = 0; i < 40; i++) {
    const ctx = { targetingKey: "user-" + i, tier: "pro" };
    const d = await client.getBooleanDetails("banner", false, ctx);
    assert.equal(d.reason, "SPLIT");
    assert.ok(["__c__", "__t1__"].includes(d.variant), d.variant);
    const text = await client.getStringValue("banner.text", "x", ctx);
    assert.equal(text, d.variant === "__c__" ? "control" : "treated");
    // Stable: the same entity gets the same treatment again.
    assert.equal((await client.getBooleanDetails("banner", false, ctx)).variant, d.variant);
    seen.add(d.variant);
  }
  assert.deepEqual([...seen].sort(), ["__c__", "__t1__"]);

  const outside = await client.getBooleanDetails("banner", false, { targetingKey: "user-1", tier: "free" });
  assert.equal(outside.variant, "enabled");
  assert.equal(outside.reason, "STATIC");
});

test("after the run stops everyone gets the deployed flag", async () => {
  await ac.send(new StopExperimentRunCommand({ ...id, Run: 1 }));
  for (const ctx of [{ targetingKey: "vip" }, { targetingKey: "user-0", tier: "pro" }]) {
    const d = await client.getBooleanDetails("banner", false, ctx);
    assert.equal(d.variant, "enabled");
    assert.equal(d.reason, "STATIC");
    assert.equal(await client.getStringValue("banner.text", "x", ctx), "hello");
  }
});
