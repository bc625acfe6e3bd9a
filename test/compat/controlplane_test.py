"""Drives a running appconfigd with boto3 and the aws CLI, as users do.

Run by internal/itest/compat_test.go, which builds and starts the binary
and passes its URL in APPCONFIGD_URL.
"""
import json
import os
import subprocess
import unittest

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["APPCONFIGD_URL"]


def client(service="appconfig", key="AKIDEXAMPLE", region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def code(err):
    return err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]


class ControlPlane(unittest.TestCase):
    def setUp(self):
        # Each test runs in its own account so they cannot see each other.
        self.account = "%012d" % (abs(hash(self.id())) % 10**12)
        self.c = client(key=self.account)

    def test_application_lifecycle(self):
        app = self.c.create_application(Name="boto app", Description="d", Tags={"t": "1"})
        self.assertEqual(len(app["Id"]), 7)
        self.assertEqual(app["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertTrue(app["ResponseMetadata"]["RequestId"])
        got = self.c.get_application(ApplicationId="boto app")
        self.assertEqual(got["Id"], app["Id"])
        apps = self.c.list_applications()["Items"]
        self.assertEqual([a["Id"] for a in apps], [app["Id"]])
        self.c.update_application(ApplicationId=app["Id"], Name="renamed")
        self.assertEqual(self.c.get_application(ApplicationId=app["Id"])["Name"], "renamed")
        resp = self.c.delete_application(ApplicationId=app["Id"])
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            self.c.get_application(ApplicationId=app["Id"])
        self.assertEqual(code(e.exception), ("ResourceNotFoundException", 404))
        self.assertIsInstance(e.exception, self.c.exceptions.ResourceNotFoundException)

    def test_empty_list_has_items(self):
        self.assertEqual(self.c.list_applications()["Items"], [])

    def test_pagination(self):
        ids = [self.c.create_application(Name="a%d" % i)["Id"] for i in range(5)]
        pages = list(self.c.get_paginator("list_applications").paginate(PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([a["Id"] for p in pages for a in p["Items"]], ids)

    def test_validation_errors(self):
        with self.assertRaises(ClientError) as e:
            self.c.create_application(Name="x" * 65)
        self.assertEqual(code(e.exception), ("BadRequestException", 400))
        with self.assertRaises(ClientError) as e:
            self.c.create_deployment_strategy(Name="s", DeploymentDurationInMinutes=5, GrowthFactor=500.0)
        self.assertEqual(code(e.exception), ("BadRequestException", 400))

    def test_hosted_versions(self):
        app = self.c.create_application(Name="a")["Id"]
        prof = self.c.create_configuration_profile(
            ApplicationId=app, Name="p", LocationUri="hosted",
            Validators=[{"Type": "JSON_SCHEMA", "Content": json.dumps({"type": "object", "required": ["x"]})}],
        )["Id"]
        v = self.c.create_hosted_configuration_version(
            ApplicationId=app, ConfigurationProfileId=prof, Content=b'{"x": 1}',
            ContentType="application/json", VersionLabel="v1.0", Description="first",
        )
        self.assertEqual(v["VersionNumber"], 1)
        self.assertEqual(v["Content"].read(), b'{"x": 1}')
        self.assertEqual(v["VersionLabel"], "v1.0")
        got = self.c.get_hosted_configuration_version(ApplicationId=app, ConfigurationProfileId=prof, VersionNumber=1)
        self.assertEqual(got["Content"].read(), b'{"x": 1}')
        self.assertEqual(got["ContentType"], "application/json")
        self.assertEqual(got["Description"], "first")
        with self.assertRaises(ClientError) as e:
            self.c.create_hosted_configuration_version(
                ApplicationId=app, ConfigurationProfileId=prof, Content=b"{}",
                ContentType="application/json", LatestVersionNumber=0)
        self.assertEqual(code(e.exception), ("ConflictException", 409))
        self.c.create_hosted_configuration_version(ApplicationId=app, ConfigurationProfileId=prof, Content=b"{}", ContentType="application/json")
        with self.assertRaises(ClientError) as e:
            self.c.validate_configuration(ApplicationId=app, ConfigurationProfileId=prof, ConfigurationVersion="2")
        self.assertEqual(code(e.exception), ("BadRequestException", 400))
        self.assertEqual(e.exception.response["Reason"], "InvalidConfiguration")
        self.assertTrue(e.exception.response["Details"]["InvalidConfiguration"])
        self.c.validate_configuration(ApplicationId=app, ConfigurationProfileId=prof, ConfigurationVersion="v1.0")
        items = self.c.list_hosted_configuration_versions(ApplicationId=app, ConfigurationProfileId=prof, VersionLabel="v1*")["Items"]
        self.assertEqual([i["VersionNumber"] for i in items], [1])
        with self.assertRaises(ClientError) as e:
            self.c.create_hosted_configuration_version(
                ApplicationId=app, ConfigurationProfileId=prof, Content=b"a" * (2048 * 1024 + 1), ContentType="text/plain")
        self.assertEqual(code(e.exception), ("PayloadTooLargeException", 413))
        self.assertEqual(e.exception.response["Measure"], "KILOBYTES")

    def test_strategies_and_typo_route(self):
        s = self.c.create_deployment_strategy(Name="s", DeploymentDurationInMinutes=2, GrowthFactor=50.0)
        ids = [x["Id"] for x in self.c.list_deployment_strategies()["Items"]]
        self.assertEqual(ids[0], s["Id"])
        self.assertIn("AppConfig.AllAtOnce", ids)
        self.c.delete_deployment_strategy(DeploymentStrategyId=s["Id"])
        with self.assertRaises(ClientError) as e:
            self.c.delete_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")
        self.assertEqual(code(e.exception), ("BadRequestException", 400))

    def test_tags_and_settings(self):
        app = self.c.create_application(Name="a")
        arn = "arn:aws:appconfig:us-east-1:%s:application/%s" % (self.account, app["Id"])
        self.c.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
        self.c.untag_resource(ResourceArn=arn, TagKeys=["b"])
        self.assertEqual(self.c.list_tags_for_resource(ResourceArn=arn)["Tags"], {"a": "1"})
        s = self.c.update_account_settings(DeletionProtection={"Enabled": True, "ProtectionPeriodInMinutes": 20})
        self.assertEqual(s["DeletionProtection"], {"Enabled": True, "ProtectionPeriodInMinutes": 20})
        self.assertTrue(self.c.get_account_settings()["DeletionProtection"]["Enabled"])

    def test_environment_waiter(self):
        app = self.c.create_application(Name="a")["Id"]
        env = self.c.create_environment(ApplicationId=app, Name="e")
        self.assertEqual(env["State"], "ReadyForDeployment")
        self.c.get_waiter("environment_ready_for_deployment").wait(
            ApplicationId=app, EnvironmentId=env["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 2})


class CLI(unittest.TestCase):
    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="444444444444", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="eu-central-1")
        out = subprocess.run(["aws", "--endpoint-url", URL, "--output", "json"] + list(args),
                             capture_output=True, text=True, env=env)
        return out.returncode, out.stdout, out.stderr

    def test_cli_round_trip(self):
        rc, out, err = self.aws("appconfig", "create-application", "--name", "cli-app")
        self.assertEqual(rc, 0, err)
        app = json.loads(out)["Id"]
        rc, out, err = self.aws("appconfig", "create-configuration-profile", "--application-id", app,
                                "--name", "cfg", "--location-uri", "hosted")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.aws("appconfig", "list-applications")
        self.assertEqual(rc, 0, err)
        self.assertEqual([a["Id"] for a in json.loads(out)["Items"]], [app])
        rc, out, err = self.aws("appconfig", "get-application", "--application-id", "missing")
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
