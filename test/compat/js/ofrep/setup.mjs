// Shared by the OpenFeature tests: a feature-flag profile on the server in
// APPCONFIGD_URL, made and deployed with the AWS SDK for JavaScript.
import assert from "node:assert/strict";
import {
  AppConfigClient,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateDeploymentStrategyCommand,
  CreateEnvironmentCommand,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";

export const URL = process.env.APPCONFIGD_URL;
assert.ok(URL, "APPCONFIGD_URL must name a running appconfigd");

const ac = new AppConfigClient({
  endpoint: URL,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" },
  maxAttempts: 1,
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await sleep(25);
  }
}

// The flags: a plain flag with string, number and list attributes; a
// multi-variant flag chosen by a context key; one chosen by the targeting
// key; a disabled flag.
export function flagsDoc(bannerText = "hello") {
  return JSON.stringify({
    version: "1",
    flags: {
      banner: {
        name: "Banner",
        attributes: {
          text: { constraints: { type: "string" } },
          size: { constraints: { type: "number" } },
          tags: { constraints: { type: "array", elements: { type: "string" } } },
        },
      },
      plan: { name: "Plan", attributes: { limit: { constraints: { type: "number" } } } },
      mine: { name: "Mine" },
      dark: { name: "Dark" },
    },
    values: {
      banner: { enabled: true, text: bannerText, size: 3, tags: ["a", "b"] },
      plan: {
        _variants: [
          { name: "pro", enabled: true, rule: '(eq $tier "pro")', attributeValues: { limit: 100 } },
          { name: "free", enabled: true, attributeValues: { limit: 5 } },
        ],
      },
      mine: {
        _variants: [
          { name: "me", enabled: true, rule: '(eq $targetingKey "u1")' },
          { name: "others", enabled: false },
        ],
      },
      dark: { enabled: false },
    },
  });
}

// makeProfile creates application `name` with environment prod and
// profiles flags (feature flags) and plain (freeform), deploys flagsDoc()
// and returns the OFREP base URL (the Agent-route path, by names) and a
// deploy(doc) that deploys at once and waits for completion.
export async function makeProfile(name) {
  const app = await ac.send(new CreateApplicationCommand({ Name: name }));
  const env = await ac.send(new CreateEnvironmentCommand({ ApplicationId: app.Id, Name: "prod" }));
  const prof = await ac.send(
    new CreateConfigurationProfileCommand({
      ApplicationId: app.Id,
      Name: "flags",
      LocationUri: "hosted",
      Type: "AWS.AppConfig.FeatureFlags",
    }),
  );
  const strategy = await ac.send(
    new CreateDeploymentStrategyCommand({
      Name: name + "-now",
      DeploymentDurationInMinutes: 0,
      GrowthFactor: 100,
      FinalBakeTimeInMinutes: 0,
    }),
  );
  const enc = new TextEncoder();
  const deploy = async (doc) => {
    const v = await ac.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: app.Id,
        ConfigurationProfileId: prof.Id,
        Content: enc.encode(doc),
        ContentType: "application/json",
      }),
    );
    const d = await ac.send(
      new StartDeploymentCommand({
        ApplicationId: app.Id,
        EnvironmentId: env.Id,
        ConfigurationProfileId: prof.Id,
        DeploymentStrategyId: strategy.Id,
        ConfigurationVersion: String(v.VersionNumber),
      }),
    );
    await waitFor(async () => {
      const got = await ac.send(
        new GetDeploymentCommand({ ApplicationId: app.Id, EnvironmentId: env.Id, DeploymentNumber: d.DeploymentNumber }),
      );
      return got.State === "COMPLETE";
    }, "deployment " + d.DeploymentNumber);
    return String(v.VersionNumber);
  };
  await deploy(flagsDoc());
  return { base: `${URL}/applications/${name}/environments/prod/configurations/flags`, deploy };
}
