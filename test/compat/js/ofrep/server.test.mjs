// The OpenFeature server SDK with the OFREP provider (both unmodified)
// against appconfigd: every flag type, variants by context, every error
// code a server can answer. Run by internal/itest (TestCompatOpenFeature).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { OpenFeature, ErrorCode } from "@openfeature/server-sdk";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { makeProfile, URL } from "./setup.mjs";

let client;
let base;

before(async () => {
  ({ base } = await makeProfile("of-server"));
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: base }));
  client = OpenFeature.getClient();
});

test("boolean flag with its attributes as metadata", async () => {
  const d = await client.getBooleanDetails("banner", false);
  assert.equal(d.value, true);
  assert.equal(d.variant, "enabled");
  assert.equal(d.reason, "STATIC");
  assert.deepEqual(d.flagMetadata, { size: 3, text: "hello" });
  assert.equal(d.errorCode, undefined);
  const off = await client.getBooleanDetails("dark", true);
  assert.equal(off.value, false);
  assert.equal(off.variant, "disabled");
});

test("string, number and object values from F.attr keys", async () => {
  assert.equal(await client.getStringValue("banner.text", "x"), "hello");
  assert.equal(await client.getNumberValue("banner.size", 0), 3);
  assert.deepEqual(await client.getObjectValue("banner.tags", []), ["a", "b"]);
});

test("variants by context", async () => {
  const pro = await client.getBooleanDetails("plan", false, { targetingKey: "u9", tier: "pro" });
  assert.equal(pro.variant, "pro");
  assert.equal(pro.reason, "TARGETING_MATCH");
  const limit = await client.getNumberDetails("plan.limit", 0, { tier: "basic" });
  assert.equal(limit.value, 5);
  assert.equal(limit.variant, "free");
  assert.equal(limit.reason, "DEFAULT");
  assert.equal(await client.getNumberValue("plan.limit", 0, { tier: "pro" }), 100);
  assert.equal(await client.getBooleanValue("mine", false, { targetingKey: "u1" }), true);
  assert.equal(await client.getBooleanValue("mine", true, { targetingKey: "u2" }), false);
});

test("errors: not found, targeting key missing, invalid context, type mismatch, general", async () => {
  const nf = await client.getBooleanDetails("nope", false);
  assert.equal(nf.errorCode, ErrorCode.FLAG_NOT_FOUND);
  assert.equal(nf.value, false);
  const tk = await client.getBooleanDetails("mine", true, {});
  assert.equal(tk.errorCode, ErrorCode.TARGETING_KEY_MISSING);
  assert.equal(tk.value, true);
  const ic = await client.getBooleanDetails("banner", false, { user: { id: 1 } });
  assert.equal(ic.errorCode, ErrorCode.INVALID_CONTEXT);
  const tm = await client.getStringDetails("banner", "x");
  assert.equal(tm.errorCode, ErrorCode.TYPE_MISMATCH);
  // A profile that does not exist: the provider reports the flag missing.
  OpenFeature.setProvider("missing", new OFREPProvider({ baseUrl: `${URL}/applications/of-server/environments/prod/configurations/nope` }));
  const gone = await OpenFeature.getClient("missing").getBooleanDetails("banner", false);
  assert.equal(gone.errorCode, ErrorCode.FLAG_NOT_FOUND);
});
