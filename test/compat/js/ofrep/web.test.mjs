// The OpenFeature web SDK with the OFREP web provider (both unmodified)
// against appconfigd, in Node with the eventsource package standing in for
// the browser's EventSource: bulk evaluation, ETag and 304 when polling,
// change events pushed over server-sent events, context changes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { flagsDoc, makeProfile, waitFor } from "./setup.mjs";

globalThis.EventSource = EventSource;

let base;
let deploy;
const seen = []; // every bulk request the SSE-driven provider made

// recordingFetch notes each request's URL, If-None-Match and status.
function recordingFetch(log) {
  return async (req) => {
    const res = await fetch(req);
    log.push({ url: req.url, ifNoneMatch: req.headers.get("if-none-match"), status: res.status });
    return res;
  };
}

before(async () => {
  ({ base, deploy } = await makeProfile("of-web"));
  await OpenFeature.setContext({ targetingKey: "u1", tier: "pro" });
  await OpenFeature.setProviderAndWait(
    new OFREPWebProvider({ baseUrl: base, cacheMode: "disabled", fetchImplementation: recordingFetch(seen) }),
  );
});

after(async () => {
  await OpenFeature.close();
});

test("bulk evaluation: every type, variants for the context", () => {
  const c = OpenFeature.getClient();
  const plan = c.getBooleanDetails("plan", false);
  assert.equal(plan.value, true);
  assert.equal(plan.variant, "pro");
  assert.equal(plan.reason, "TARGETING_MATCH");
  assert.equal(c.getNumberValue("plan.limit", 0), 100);
  assert.equal(c.getStringValue("banner.text", "x"), "hello");
  assert.deepEqual(c.getObjectValue("banner.tags", []), ["a", "b"]);
  assert.equal(c.getBooleanValue("mine", false), true);
  assert.equal(c.getBooleanDetails("nope", false).errorCode, "FLAG_NOT_FOUND");
  assert.equal(c.getStringDetails("banner", "x").errorCode, "TYPE_MISMATCH");
});

test("a deployment is pushed over SSE: ConfigurationChanged and new values", async () => {
  const c = OpenFeature.getClient();
  const changed = [];
  c.addHandler(ProviderEvents.ConfigurationChanged, (d) => changed.push(d));
  const before = seen.length;
  await deploy(flagsDoc("pushed"));
  await waitFor(() => c.getStringValue("banner.text", "x") === "pushed", "the pushed value");
  await waitFor(() => changed.length > 0, "ConfigurationChanged");
  assert.ok(changed[0].flagsChanged.includes("banner.text"), JSON.stringify(changed[0]));
  const refetch = seen.slice(before);
  assert.ok(refetch.some((r) => r.url.includes("flagConfigEtag=") && r.status === 200), JSON.stringify(refetch));
});

test("a context change re-evaluates", async () => {
  const c = OpenFeature.getClient();
  await OpenFeature.setContext({ targetingKey: "u2", tier: "basic" });
  assert.equal(c.getBooleanDetails("plan", false).variant, "free");
  assert.equal(c.getNumberValue("plan.limit", 0), 5);
  assert.equal(c.getBooleanValue("mine", true), false);
});

test("polling sends If-None-Match and gets 304 until something changes", async () => {
  const log = [];
  const p = new OFREPWebProvider({
    baseUrl: base,
    cacheMode: "disabled",
    changeDetection: "polling",
    pollInterval: 100,
    fetchImplementation: recordingFetch(log),
  });
  await OpenFeature.setProviderAndWait("polling", p, { targetingKey: "u3", tier: "pro" });
  await waitFor(() => log.filter((r) => r.status === 304).length >= 2, "304 answers");
  const c = OpenFeature.getClient("polling");
  assert.equal(c.getNumberValue("plan.limit", 0), 100);
  const first = log[0];
  assert.equal(first.status, 200);
  assert.ok(log.slice(1).every((r) => r.ifNoneMatch), JSON.stringify(log));
  await deploy(flagsDoc("polled"));
  await waitFor(() => c.getStringValue("banner.text", "x") === "polled", "the polled value");
  assert.ok(log.some((r, i) => i > 0 && r.status === 200));
});
