"""Experiments (AWS 2026) through boto3, as users drive them.

boto3 1.43 does not know the experiment operations; internal/itest points
AWS_DATA_PATH at the repository's models/ directory, whose
appconfig/2019-10-09/service-2.json is the newer model, and botocore loads
it instead of its own.

Run by internal/itest/compat_test.go with the binary's URL in
APPCONFIGD_URL and the server started with
--quotas experiment-definitions-per-application=3,
--extension-allow-hosts 127.0.0.1 (extension targets and monitor probes
on this process's loopback server) and --monitor-interval 1s.

With APPCONFIGD_PHASE=before or after (and APPCONFIGD_STATE naming a
file), it runs one half of the kill -9 test instead: "before" creates a
definition and a run and writes what it saw; "after" (against the
restarted server) checks that the run and its events are unchanged.
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["APPCONFIGD_URL"]

FLAGS = {
    "flags": {"checkout": {"name": "checkout"}, "banner": {"name": "banner"}},
    "values": {"checkout": {"enabled": False}, "banner": {"enabled": True}},
    "version": "1",
}


def client(key):
    return boto3.client(
        "appconfig", endpoint_url=URL, region_name="us-east-1",
        aws_access_key_id=key, aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def code(err):
    return err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]


def deployed_flags(c, app_name="app"):
    """An application whose feature flags are deployed to environment prod."""
    app = c.create_application(Name=app_name)["Id"]
    env = c.create_environment(ApplicationId=app, Name="prod")["Id"]
    prof = c.create_configuration_profile(ApplicationId=app, Name="flags", LocationUri="hosted",
                                          Type="AWS.AppConfig.FeatureFlags")["Id"]
    c.create_hosted_configuration_version(ApplicationId=app, ConfigurationProfileId=prof,
                                          Content=json.dumps(FLAGS).encode(), ContentType="application/json")
    st = c.create_deployment_strategy(Name="now", DeploymentDurationInMinutes=0, GrowthFactor=100,
                                      FinalBakeTimeInMinutes=0, ReplicateTo="NONE")["Id"]
    n = c.start_deployment(ApplicationId=app, EnvironmentId=env, DeploymentStrategyId=st,
                           ConfigurationProfileId=prof, ConfigurationVersion="1")["DeploymentNumber"]
    deadline = time.time() + 30
    while c.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=n)["State"] != "COMPLETE":
        if time.time() > deadline:
            raise AssertionError("deployment never completed")
        time.sleep(0.05)
    return app, env, prof


def definition(c, app, name="exp", flag="checkout", **kw):
    args = dict(
        ApplicationIdentifier=app, Name=name, ConfigurationProfileIdentifier="flags",
        EnvironmentIdentifier="prod", FlagKey=flag, AudienceRule='(eq $plan "pro")',
        Hypothesis="green converts better",
        Control={"Weight": 50.0, "FlagValue": {"Enabled": False}},
        Treatments=[
            {"Weight": 25.0, "FlagValue": {"Enabled": True}, "Description": "plain"},
            {"Weight": 25.0, "FlagValue": {"Enabled": True, "AttributeValues": {
                "color": {"StringValue": "green"}, "sizes": {"NumberArray": [1.0, 2.5]}}}},
        ],
    )
    args.update(kw)
    return c.create_experiment_definition(**args)


class Experiments(unittest.TestCase):
    def setUp(self):
        self.account = "%012d" % (abs(hash(self.id())) % 10**12)
        self.c = client(self.account)
        self.app, self.env, self.prof = deployed_flags(self.c)

    def err(self, fn, **kw):
        with self.assertRaises(ClientError) as e:
            fn(**kw)
        return e.exception

    def test_definition_lifecycle(self):
        d = definition(self.c, self.app, Tags={"team": "growth"})
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(d["Status"], "IDLE")
        self.assertEqual(d["Control"]["Key"], "c")
        self.assertEqual([t["Key"] for t in d["Treatments"]], ["t1", "t2"])
        self.assertEqual(d["Treatments"][1]["FlagValue"]["AttributeValues"]["sizes"], {"NumberArray": [1.0, 2.5]})
        self.assertEqual((d["ApplicationId"], d["EnvironmentId"], d["ConfigurationProfileId"]), (self.app, self.env, self.prof))
        self.assertRegex(d["Id"], r"^[a-z0-9]{4,7}$")
        by_name = self.c.get_experiment_definition(ApplicationIdentifier="app", ExperimentDefinitionIdentifier="exp")
        self.assertEqual(by_name["Id"], d["Id"])
        self.assertEqual(by_name["AudienceRule"], '(eq $plan "pro")')

        up = self.c.update_experiment_definition(
            ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=d["Id"], Hypothesis="blue",
            Treatments=[{"Weight": 1.0, "FlagValue": {"Enabled": True}}])
        self.assertEqual((up["Hypothesis"], [t["Key"] for t in up["Treatments"]]), ("blue", ["t1"]))
        self.assertGreaterEqual(up["UpdatedAt"], up["CreatedAt"])

        arn = "arn:aws:appconfig:us-east-1:%s:application/%s/experimentdefinition/%s" % (self.account, self.app, d["Id"])
        self.c.tag_resource(ResourceArn=arn, Tags={"stage": "beta"})
        self.assertEqual(self.c.list_tags_for_resource(ResourceArn=arn)["Tags"], {"team": "growth", "stage": "beta"})

        other = definition(self.c, self.app, name="other", flag="banner")
        items = self.c.list_experiment_definitions(ApplicationIdentifier="app")["Items"]
        self.assertEqual([i["Name"] for i in items], ["exp", "other"])
        self.assertNotIn("Treatments", items[0])
        pages = list(self.c.get_paginator("list_experiment_definitions").paginate(PaginationConfig={"PageSize": 1}))
        self.assertEqual([i["Id"] for p in pages for i in p["Items"]], [d["Id"], other["Id"]])

        resp = self.c.delete_experiment_definition(ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier="other", DeleteType="ARCHIVE")
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertEqual(self.c.get_experiment_definition(ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=other["Id"])["Status"], "ARCHIVED")
        self.assertEqual([i["Name"] for i in self.c.list_experiment_definitions()["Items"]], ["exp"])
        self.assertEqual([i["Name"] for i in self.c.list_experiment_definitions(Status="ARCHIVED")["Items"]], ["other"])
        self.assertEqual([i["Name"] for i in self.c.list_experiment_definitions(
            ApplicationIdentifier=self.app, EnvironmentIdentifier="prod", ConfigurationProfileIdentifier="flags", Status="IDLE")["Items"]], ["exp"])

        self.c.delete_experiment_definition(ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=d["Id"], DeleteType="DESTROY")
        e = self.err(self.c.get_experiment_definition, ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=d["Id"])
        self.assertEqual(code(e), ("ResourceNotFoundException", 404))
        self.assertIsInstance(e, self.c.exceptions.ResourceNotFoundException)
        e = self.err(self.c.list_tags_for_resource, ResourceArn=arn)
        self.assertEqual(code(e), ("ResourceNotFoundException", 404))

    def test_definition_errors(self):
        e = self.err(definition, c=self.c, app=self.app, AudienceRule='(eq $plan "pro"')
        self.assertEqual(code(e), ("BadRequestException", 400))
        self.assertIn("column 16", e.response["Error"]["Message"])
        e = self.err(definition, c=self.c, app=self.app, flag="missing")
        self.assertEqual(code(e), ("BadRequestException", 400))
        self.assertIn("not in the configuration", e.response["Error"]["Message"])
        e = self.err(definition, c=self.c, app=self.app, name="AWS.reserved")
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(definition, c=self.c, app=self.app, Treatments=[{"Weight": 1.0, "FlagValue": {"Enabled": True}}] * 6)
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(definition, c=self.c, app=self.app, Control={"Weight": 0.0, "FlagValue": {"Enabled": False}},
                     Treatments=[{"Weight": 0.0, "FlagValue": {"Enabled": True}}])
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(definition, c=self.c, app="nope")
        self.assertEqual(code(e), ("ResourceNotFoundException", 404))
        e = self.err(definition, c=self.c, app=self.app, EnvironmentIdentifier="nope")
        self.assertEqual(code(e), ("ResourceNotFoundException", 404))
        definition(self.c, self.app)
        e = self.err(definition, c=self.c, app=self.app)
        self.assertEqual(code(e), ("ConflictException", 409))
        e = self.err(self.c.delete_experiment_definition, ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier="exp", DeleteType="SOMETIMES")
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(self.c.list_experiment_definitions, NextToken="bogus")
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(self.c.delete_environment, ApplicationId=self.app, EnvironmentId=self.env)
        self.assertEqual(code(e), ("BadRequestException", 400))

    def test_quota(self):
        # The server runs with experiment-definitions-per-application=3.
        for i in range(3):
            definition(self.c, self.app, name="q%d" % i)
        e = self.err(definition, c=self.c, app=self.app, name="q3")
        self.assertEqual(code(e), ("ServiceQuotaExceededException", 402))
        self.c.delete_experiment_definition(ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier="q0", DeleteType="ARCHIVE")
        definition(self.c, self.app, name="q3")

    def test_run_state_machine(self):
        d = definition(self.c, self.app)
        ident = dict(ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=d["Id"])
        run = self.c.start_experiment_run(Description="first", ExposurePercentage=10.0,
                                          TreatmentOverrides={"Inline": {"alice": "t1"}}, **ident)
        self.assertEqual(run["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual((run["Run"], run["Status"], run["ExposurePercentage"]), (1, "RUNNING", 10.0))
        self.assertEqual(run["TreatmentOverrides"], {"Inline": {"alice": "t1"}})
        self.assertEqual(run["ExperimentDefinitionSnapshot"]["Id"], d["Id"])
        self.assertEqual([t["Key"] for t in run["ExperimentDefinitionSnapshot"]["Treatments"]], ["t1", "t2"])
        self.assertNotIn("EndedAt", run)
        self.assertEqual(self.c.get_experiment_definition(**ident)["Status"], "ACTIVE")

        for fn, kw in [(self.c.start_experiment_run, {}),
                       (self.c.update_experiment_definition, {"Hypothesis": "x"}),
                       (self.c.delete_experiment_definition, {"DeleteType": "ARCHIVE"}),
                       (self.c.delete_experiment_definition, {"DeleteType": "DESTROY"})]:
            e = self.err(fn, **ident, **kw)
            self.assertEqual(code(e), ("ConflictException", 409), fn)
        same_flag = definition(self.c, self.app, name="same-flag")
        e = self.err(self.c.start_experiment_run, ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=same_flag["Id"])
        self.assertEqual(code(e), ("ConflictException", 409))

        e = self.err(self.c.update_experiment_run, Run=1, ExposurePercentage=5.0, **ident)
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(self.c.update_experiment_run, Run=1, TreatmentOverrides={"Inline": {"bob": "t7"}}, **ident)
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(self.c.update_experiment_run, Run=1, TreatmentOverrides={"Inline": {"e%d" % i: "c" for i in range(33)}}, **ident)
        self.assertEqual(code(e), ("BadRequestException", 400))
        e = self.err(self.c.start_experiment_run, ExposurePercentage=101.0, ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=same_flag["Id"])
        self.assertEqual(code(e), ("BadRequestException", 400))
        up = self.c.update_experiment_run(Run=1, ExposurePercentage=50.0, TreatmentOverrides={"Inline": {"alice": "c", "bob": "t2"}}, **ident)
        self.assertEqual((up["ExposurePercentage"], up["TreatmentOverrides"]["Inline"]), (50.0, {"alice": "c", "bob": "t2"}))

        stopped = self.c.stop_experiment_run(Run=1, Result={"ExecutiveSummary": "t2 wins", "ReasonsToLaunch": "more sales"}, **ident)
        self.assertEqual(stopped["Status"], "DONE")
        self.assertEqual(stopped["Result"]["ExecutiveSummary"], "t2 wins")
        self.assertEqual(stopped["EndedAt"], stopped["UpdatedAt"])
        self.assertEqual(self.c.get_experiment_definition(**ident)["Status"], "IDLE")
        for fn, kw in [(self.c.stop_experiment_run, {}), (self.c.update_experiment_run, {"ExposurePercentage": 90.0})]:
            e = self.err(fn, Run=1, **ident, **kw)
            self.assertEqual(code(e), ("ConflictException", 409))
        e = self.err(self.c.get_experiment_run, Run=9, **ident)
        self.assertEqual(code(e), ("ResourceNotFoundException", 404))

        events = self.c.list_experiment_run_events(Run=1, **ident)["Items"]
        self.assertEqual([e["EventType"] for e in events], ["RUN_STOPPED", "OVERRIDES_UPDATED", "EXPOSURE_UPDATED", "RUN_STARTED"])
        self.assertEqual([e["ExposurePercentage"] for e in events], [50.0, 50.0, 50.0, 10.0])
        self.assertEqual(events[3]["TreatmentOverrides"], {"Inline": {"alice": "t1"}})
        self.assertEqual(events[0]["Description"], "Experiment run stopped")
        self.assertEqual({e["TriggeredBy"] for e in events}, {"USER"})
        # Each event names its managed deployment: 2 (start), 3 (one update, two events), 4 (stop).
        env_arn = "arn:aws:appconfig:us-east-1:%s:application/%s/environment/%s" % (self.account, self.app, self.env)
        self.assertEqual([e["AssociatedDeployment"].split("/")[-1] for e in events], ["4", "3", "3", "2"])
        self.assertTrue(events[0]["AssociatedDeployment"].startswith(env_arn + "/deployment/"))
        pages = list(self.c.get_paginator("list_experiment_run_events").paginate(Run=1, PaginationConfig={"PageSize": 3}, **ident))
        self.assertEqual(len(pages), 2)
        self.assertEqual([e["EventType"] for p in pages for e in p["Items"]], [e["EventType"] for e in events])

        # The definition can change now; run 1 keeps its snapshot; run 2 follows.
        self.c.update_experiment_definition(AudienceRule="true", **ident)
        self.assertEqual(self.c.get_experiment_run(Run=1, **ident)["ExperimentDefinitionSnapshot"]["AudienceRule"], '(eq $plan "pro")')
        run2 = self.c.start_experiment_run(Tags={"owner": "me"}, **ident)
        self.assertEqual((run2["Run"], run2["ExposurePercentage"]), (2, 0.0))
        self.assertEqual(run2["ExperimentDefinitionSnapshot"]["AudienceRule"], "true")
        run_arn = "arn:aws:appconfig:us-east-1:%s:application/%s/experimentdefinition/%s/experimentrun/2" % (self.account, self.app, d["Id"])
        self.assertEqual(self.c.list_tags_for_resource(ResourceArn=run_arn)["Tags"], {"owner": "me"})
        self.assertEqual([r["Run"] for r in self.c.list_experiment_runs(**ident)["Items"]], [2, 1])
        self.assertEqual([r["Run"] for r in self.c.list_experiment_runs(Status="RUNNING", **ident)["Items"]], [2])
        self.assertEqual([r["Run"] for r in self.c.list_experiment_runs(Status="DONE", **ident)["Items"]], [1])


def wait_for(what, fn, timeout=30):
    """Polls fn until it returns something true (the server's own clock
    and runner move things on; the client only looks)."""
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


class Hooks:
    """A loopback HTTP server that is both an extension target (it records
    every payload; AT_DEPLOYMENT_TICK answers wait until released) and a
    monitor probe (GET answers {"state": ...})."""

    def __init__(self):
        self.events = []
        self.state = "OK"
        self.reads = 0
        self.release = threading.Event()
        self.release.set()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                hooks.reads += 1
                self.answer({"state": hooks.state})

            def do_POST(self):
                ev = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                hooks.events.append(ev)
                if ev.get("Type") == "AtDeploymentTick":
                    hooks.release.wait(20)
                    self.answer({"Directive": "CONTINUE"})
                    return
                self.answer(None)

            def answer(self, doc):
                body = json.dumps(doc).encode() if doc is not None else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, typ):
        return [e for e in self.events if e.get("Type") == typ]

    def close(self):
        self.release.set()
        self.server.shutdown()


class ManagedDeployments(unittest.TestCase):
    """Start, Update and Stop of a run deploy the profile to the
    environment as MANAGED deployments, with the run's deployment
    parameters, named by the run's events."""

    def setUp(self):
        self.account = "%012d" % (abs(hash(self.id())) % 10**12)
        self.c = client(self.account)
        self.app, self.env, self.prof = deployed_flags(self.c)
        self.hooks = Hooks()
        self.addCleanup(self.hooks.close)
        self.env_arn = "arn:aws:appconfig:us-east-1:%s:application/%s/environment/%s" % (self.account, self.app, self.env)
        self.d = definition(self.c, self.app)
        self.ident = dict(ApplicationIdentifier=self.app, ExperimentDefinitionIdentifier=self.d["Id"])

    def err(self, fn, **kw):
        with self.assertRaises(ClientError) as e:
            fn(**kw)
        return e.exception

    def deployment(self, n):
        return self.c.get_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentNumber=n)

    def arn(self, n):
        return self.env_arn + "/deployment/%d" % n

    def associate(self, actions):
        ext = self.c.create_extension(Name="audit", Actions={p: [{"Name": p.lower(), "Uri": self.hooks.url}] for p in actions},
                                      Parameters={"ticket": {"Required": False, "Dynamic": True}})
        self.c.create_extension_association(ExtensionIdentifier=ext["Id"], ResourceIdentifier=self.env_arn)

    def test_managed_deployments_with_extensions(self):
        self.associate(["PRE_START_DEPLOYMENT", "ON_DEPLOYMENT_COMPLETE"])
        params = {"DynamicExtensionParameters": {"audit#ticket": "EXP-1"}, "Tags": {"experiment": "exp"}}
        run = self.c.start_experiment_run(ExposurePercentage=0.0, TreatmentOverrides={"Inline": {"qa-1": "t1"}},
                                          DeploymentParameters=params, **self.ident)
        # The managed deployment completes within the call, as on AWS.
        d2 = self.deployment(2)
        self.assertEqual((d2["State"], d2["ConfigurationVersion"], d2["PercentageComplete"]), ("COMPLETE", "1", 100.0))
        self.assertEqual(d2["EventLog"][-1]["TriggeredBy"], "APPCONFIG")
        self.assertIn("Managed deployment: experiment exp", d2["Description"])
        pre = self.hooks.of("PreStartDeployment")
        self.assertEqual(len(pre), 1)
        self.assertEqual((pre[0]["Parameters"].get("ticket"), pre[0]["DeploymentNumber"]), ("EXP-1", 2))
        invoked = [i for e in d2["EventLog"] for i in e["ActionInvocations"]]
        self.assertEqual([i["ActionName"] for i in invoked if i["ActionName"] == "pre_start_deployment"], ["pre_start_deployment"])
        self.assertEqual(self.c.list_tags_for_resource(ResourceArn=self.arn(2))["Tags"], {"experiment": "exp"})
        wait_for("ON_DEPLOYMENT_COMPLETE of deployment 2", lambda: [e for e in self.hooks.of("OnDeploymentComplete") if e["DeploymentNumber"] == 2])

        up = self.c.update_experiment_run(Run=1, ExposurePercentage=25.0, **self.ident)
        self.assertEqual(up["ExposurePercentage"], 25.0)
        self.c.stop_experiment_run(Run=1, Result={"ExecutiveSummary": "t1 wins"}, DeploymentParameters={
            "DynamicExtensionParameters": {"audit#ticket": "EXP-2"}}, **self.ident)
        self.assertEqual([e["Parameters"].get("ticket") for e in self.hooks.of("PreStartDeployment")], ["EXP-1", "EXP-1", "EXP-2"])

        events = self.c.list_experiment_run_events(Run=1, **self.ident)["Items"]
        self.assertEqual([e["EventType"] for e in events], ["RUN_STOPPED", "EXPOSURE_UPDATED", "RUN_STARTED"])
        self.assertEqual([e["AssociatedDeployment"] for e in events], [self.arn(4), self.arn(3), self.arn(2)])
        items = self.c.list_deployments(ApplicationId=self.app, EnvironmentId=self.env)["Items"]
        self.assertEqual([(i["DeploymentNumber"], i["Type"], i["State"]) for i in items],
                         [(4, "MANAGED", "COMPLETE"), (3, "MANAGED", "COMPLETE"), (2, "MANAGED", "COMPLETE"), (1, "USER", "COMPLETE")])

    def test_conflicts_both_ways(self):
        # A user deployment in progress refuses the run's start ...
        slow = self.c.create_deployment_strategy(Name="slow", DeploymentDurationInMinutes=60, GrowthFactor=50,
                                                 FinalBakeTimeInMinutes=0, ReplicateTo="NONE")["Id"]
        self.c.start_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentStrategyId=slow,
                                ConfigurationProfileId=self.prof, ConfigurationVersion="1")
        e = self.err(self.c.start_experiment_run, **self.ident)
        self.assertEqual(code(e), ("ConflictException", 409))
        self.assertIn("Deployment number 2 is in progress", e.response["Error"]["Message"])
        self.c.stop_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentNumber=2)
        wait_for("the rollback", lambda: self.deployment(2)["State"] == "ROLLED_BACK")

        # ... and a managed deployment in progress (its AT_DEPLOYMENT_TICK
        # action has not answered yet) refuses a user's.
        self.associate(["AT_DEPLOYMENT_TICK"])
        self.hooks.release.clear()
        run = self.c.start_experiment_run(**self.ident)
        self.assertEqual(run["Status"], "RUNNING")
        self.assertEqual(self.deployment(3)["State"], "DEPLOYING")
        e = self.err(self.c.start_deployment, ApplicationId=self.app, EnvironmentId=self.env, DeploymentStrategyId="AppConfig.AllAtOnce",
                     ConfigurationProfileId=self.prof, ConfigurationVersion="1")
        self.assertEqual(code(e), ("ConflictException", 409))
        self.assertIn("Deployment number 3 is in progress", e.response["Error"]["Message"])
        e = self.err(self.c.update_experiment_run, Run=1, ExposurePercentage=10.0, **self.ident)
        self.assertEqual(code(e), ("ConflictException", 409))
        self.hooks.release.set()
        wait_for("the managed deployment", lambda: self.deployment(3)["State"] == "COMPLETE")
        self.assertTrue(self.hooks.of("AtDeploymentTick"))
        self.c.update_experiment_run(Run=1, ExposurePercentage=10.0, **self.ident)

    def test_alarm_stops_run(self):
        self.c.update_environment(ApplicationId=self.app, EnvironmentId=self.env, Monitors=[{"AlarmArn": self.hooks.url + "alarm"}])
        self.c.start_experiment_run(ExposurePercentage=50.0, **self.ident)
        # The watcher reads the monitor every second; while it says OK the run goes on.
        wait_for("two monitor reads", lambda: self.hooks.reads >= 2)
        self.assertEqual(self.c.get_experiment_run(Run=1, **self.ident)["Status"], "RUNNING")
        self.hooks.state = "ALARM"
        run = wait_for("the alarm stop", lambda: (lambda r: r if r["Status"] == "DONE" else None)(
            self.c.get_experiment_run(Run=1, **self.ident)))
        self.assertEqual(run["EndedAt"], run["UpdatedAt"])
        self.assertNotIn("Result", run)
        events = self.c.list_experiment_run_events(Run=1, **self.ident)["Items"]
        self.assertEqual([(e["EventType"], e["TriggeredBy"]) for e in events], [("RUN_STOPPED", "CLOUDWATCH_ALARM"), ("RUN_STARTED", "USER")])
        self.assertIn("in state ALARM", events[0]["Description"])
        self.assertEqual(events[0]["AssociatedDeployment"], self.arn(3))
        self.assertEqual(self.deployment(3)["State"], "COMPLETE")
        self.assertEqual(self.c.get_experiment_definition(**self.ident)["Status"], "IDLE")


class CLI(unittest.TestCase):
    """The aws CLI (v1, on the same botocore) with AWS_DATA_PATH."""

    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="555555555555", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
        out = subprocess.run(["aws", "--endpoint-url", URL, "--output", "json", "appconfig"] + list(args),
                             capture_output=True, text=True, env=env)
        return out.returncode, out.stdout, out.stderr

    def test_cli_experiment_round_trip(self):
        app, _, _ = deployed_flags(client("555555555555"), "cli")
        rc, out, err = self.aws("create-experiment-definition", "--application-identifier", app, "--name", "cli-exp",
                                "--configuration-profile-identifier", "flags", "--environment-identifier", "prod",
                                "--flag-key", "checkout", "--audience-rule", "true",
                                "--control", json.dumps({"Weight": 1, "FlagValue": {"Enabled": False}}),
                                "--treatments", json.dumps([{"Weight": 1, "FlagValue": {"Enabled": True}}]))
        self.assertEqual(rc, 0, err)
        d = json.loads(out)
        self.assertEqual((d["Status"], d["Treatments"][0]["Key"]), ("IDLE", "t1"))
        ident = ["--application-identifier", app, "--experiment-definition-identifier", "cli-exp"]
        rc, out, err = self.aws("start-experiment-run", *ident, "--exposure-percentage", "5",
                                "--treatment-overrides", json.dumps({"Inline": {"me": "t1"}}))
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["Run"], 1)
        rc, out, err = self.aws("stop-experiment-run", *ident, "--run", "1", "--result", json.dumps({"ExecutiveSummary": "ok"}))
        self.assertEqual(rc, 0, err)
        rc, out, err = self.aws("list-experiment-run-events", *ident, "--run", "1")
        self.assertEqual(rc, 0, err)
        self.assertEqual([e["EventType"] for e in json.loads(out)["Items"]], ["RUN_STOPPED", "RUN_STARTED"])
        rc, out, err = self.aws("start-experiment-run", "--application-identifier", app, "--experiment-definition-identifier", "nope")
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", err)


class Walkthrough(unittest.TestCase):
    """The README's experiment walkthrough, command for command, through the
    aws CLI (with a strategy of no duration, and its own application)."""

    def aws(self, *args, query=None):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="666666666666", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
        cmd = ["aws", "--endpoint-url", URL, "appconfig"] + list(args)
        cmd += ["--query", query, "--output", "text"] if query else ["--output", "json"]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        self.assertEqual(out.returncode, 0, "%s: %s" % (args[0], out.stderr))
        return out.stdout.strip()

    def deploy(self, version, tmp):
        n = self.aws("start-deployment", "--application-id", "walk", "--environment-id", "prod", "--configuration-profile-id", "flags",
                     "--configuration-version", version, "--deployment-strategy-id", self.strategy, query="DeploymentNumber")
        c = client("666666666666")  # boto3 polls faster than the CLI starts
        wait_for("deployment " + n, lambda: c.get_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentNumber=int(n))["State"] == "COMPLETE")

    def flags(self, tmp, enabled, color):
        path = os.path.join(tmp, "flags.json")
        with open(path, "w") as f:
            json.dump({"version": "1", "flags": {"checkout": {"name": "checkout", "attributes": {"color": {"constraints": {"type": "string"}}}}},
                       "values": {"checkout": {"enabled": enabled, "color": color}}}, f)
        self.aws("create-hosted-configuration-version", "--application-id", "walk", "--configuration-profile-id", "flags",
                 "--content", "fileb://" + path, "--content-type", "application/json", os.path.join(tmp, "version.json"))

    def test_readme_walkthrough(self):
        import tempfile
        tmp = tempfile.mkdtemp()
        self.app = self.aws("create-application", "--name", "walk", query="Id")
        self.env = self.aws("create-environment", "--application-id", "walk", "--name", "prod", query="Id")
        self.strategy = self.aws("create-deployment-strategy", "--name", "quick", "--deployment-duration-in-minutes", "0",
                                 "--growth-factor", "100", "--final-bake-time-in-minutes", "0", "--replicate-to", "NONE", query="Id")
        self.aws("create-configuration-profile", "--application-id", "walk", "--name", "flags", "--location-uri", "hosted",
                 "--type", "AWS.AppConfig.FeatureFlags")
        self.flags(tmp, False, "blue")
        self.deploy("1", tmp)
        exp = ["--application-identifier", "walk"]
        d = self.aws("create-experiment-definition", *exp, "--name", "green-checkout",
                     "--configuration-profile-identifier", "flags", "--environment-identifier", "prod", "--flag-key", "checkout",
                     "--audience-rule", '(eq $plan "pro")', "--hypothesis", "A green checkout button converts better",
                     "--control", '{"Weight": 50, "FlagValue": {"Enabled": false}}',
                     "--treatments", '[{"Weight": 50, "FlagValue": {"Enabled": true, "AttributeValues": {"color": {"StringValue": "green"}}}}]',
                     query="Id")
        exp += ["--experiment-definition-identifier", d]
        run = json.loads(self.aws("start-experiment-run", *exp, "--exposure-percentage", "0",
                                  "--treatment-overrides", '{"Inline": {"qa-alice": "t1"}}'))
        self.assertEqual((run["Run"], run["Status"], run["ExposurePercentage"]), (1, "RUNNING", 0.0))
        self.aws("update-experiment-run", *exp, "--run", "1", "--exposure-percentage", "20")
        self.flags(tmp, True, "green")
        self.deploy("2", tmp)
        stopped = json.loads(self.aws("stop-experiment-run", *exp, "--run", "1",
                                      "--result", '{"ExecutiveSummary": "t1 wins", "ReasonsToLaunch": "+4 % checkouts"}'))
        self.assertEqual((stopped["Status"], stopped["Result"]["ExecutiveSummary"]), ("DONE", "t1 wins"))
        events = [l.split("\t") for l in self.aws("list-experiment-run-events", *exp, "--run", "1",
                                                   query="Items[].[EventType, TriggeredBy, AssociatedDeployment]").splitlines()]
        self.assertEqual([(e[0], e[1], e[2].rsplit("/", 1)[-1]) for e in events],
                         [("RUN_STOPPED", "USER", "5"), ("EXPOSURE_UPDATED", "USER", "3"), ("RUN_STARTED", "USER", "2")])
        deployments = self.aws("list-deployments", "--application-id", "walk", "--environment-id", "prod",
                               query="Items[].[DeploymentNumber, Type, State]")
        self.assertEqual([l.split("\t") for l in deployments.splitlines()],
                         [["5", "MANAGED", "COMPLETE"], ["4", "USER", "COMPLETE"], ["3", "MANAGED", "COMPLETE"],
                          ["2", "MANAGED", "COMPLETE"], ["1", "USER", "COMPLETE"]])
        # The promoted version is what the stop's managed deployment serves.
        self.assertEqual(self.aws("get-deployment", "--application-id", "walk", "--environment-id", "prod",
                                  "--deployment-number", "5", query="ConfigurationVersion"), "2")


def phase_before(state):
    c = client("777777777777")
    app, _, _ = deployed_flags(c, "crash")
    d = definition(c, app)
    ident = dict(ApplicationIdentifier=app, ExperimentDefinitionIdentifier=d["Id"])
    c.start_experiment_run(ExposurePercentage=20.0, TreatmentOverrides={"Inline": {"alice": "t2"}}, **ident)
    c.update_experiment_run(Run=1, ExposurePercentage=30.0, **ident)
    # A second run, on another flag, watched through a monitor that says OK
    # until the test raises it after the restart.
    c.update_environment(ApplicationId=app, EnvironmentId="prod", Monitors=[{"AlarmArn": os.environ["APPCONFIGD_PROBE"]}])
    watched = dict(ApplicationIdentifier=app, ExperimentDefinitionIdentifier=definition(c, app, name="watched", flag="banner")["Id"])
    c.start_experiment_run(ExposurePercentage=50.0, **watched)
    seen = {
        "watched": watched,
        "ident": ident,
        "run": c.get_experiment_run(Run=1, **ident),
        "events": c.list_experiment_run_events(Run=1, **ident)["Items"],
        "definition": c.get_experiment_definition(**ident),
    }
    with open(state, "w") as f:
        json.dump(seen, f, default=str)


def phase_after(state):
    with open(state) as f:
        before = json.load(f)
    c = client("777777777777")
    ident = before["ident"]
    now = json.loads(json.dumps({
        "ident": ident,
        "run": c.get_experiment_run(Run=1, **ident),
        "events": c.list_experiment_run_events(Run=1, **ident)["Items"],
        "definition": c.get_experiment_definition(**ident),
    }, default=str))
    assert c.get_experiment_run(Run=1, **before["watched"])["Status"] == "RUNNING"
    for k in ("run", "events", "definition"):
        for doc in (before[k], now[k]):
            if isinstance(doc, dict):
                doc.pop("ResponseMetadata", None)
        assert before[k] == now[k], "%s changed across the restart:\n%s\n%s" % (k, before[k], now[k])
    assert now["run"]["Status"] == "RUNNING" and now["definition"]["Status"] == "ACTIVE"
    assert [e["EventType"] for e in now["events"]] == ["EXPOSURE_UPDATED", "RUN_STARTED"]
    try:
        c.start_experiment_run(**ident)
        raise AssertionError("a second run started after the restart")
    except ClientError as e:
        assert code(e) == ("ConflictException", 409), code(e)
    stopped = c.stop_experiment_run(Run=1, **ident)
    assert stopped["Status"] == "DONE"
    print("run, events and definition unchanged across kill -9")


def phase_alarm(state):
    with open(state) as f:
        watched = json.load(f)["watched"]
    c = client("777777777777")
    # A restart within the dead process's lease on the run (2 min) waits
    # for the lease to end.
    wait_for("the alarm stop after the restart",
             lambda: c.get_experiment_run(Run=1, **watched)["Status"] == "DONE", timeout=180)
    ev = c.list_experiment_run_events(Run=1, **watched)["Items"][0]
    assert (ev["EventType"], ev["TriggeredBy"]) == ("RUN_STOPPED", "CLOUDWATCH_ALARM"), ev
    assert "/deployment/" in ev["AssociatedDeployment"], ev
    print("the restarted server stopped the watched run on its alarm")


if __name__ == "__main__":
    phase = os.environ.get("APPCONFIGD_PHASE")
    if phase == "before":
        phase_before(os.environ["APPCONFIGD_STATE"])
    elif phase == "after":
        phase_after(os.environ["APPCONFIGD_STATE"])
    elif phase == "alarm":
        phase_alarm(os.environ["APPCONFIGD_STATE"])
    else:
        unittest.main(verbosity=2, argv=sys.argv[:1])
