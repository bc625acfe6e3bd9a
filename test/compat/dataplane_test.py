"""Drives appconfigd's data plane with boto3's appconfigdata client and the
aws CLI, across a deployment and a rollback.

Run by internal/itest/compat_test.go against the binary started with
--time-scale 600 (a minute of service time is 0.1 s), given in APPCONFIGD_URL.
"""
import json
import os
import subprocess
import tempfile
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["APPCONFIGD_URL"]
SCALE = float(os.environ.get("APPCONFIGD_TIME_SCALE", "600"))


def client(service):
    return boto3.client(service, endpoint_url=URL, region_name="us-east-1", aws_access_key_id="555555555555",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def wait_for(fn, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


class DataPlane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ac = client("appconfig")
        cls.data = client("appconfigdata")
        cls.app = cls.ac.create_application(Name="data-app")["Id"]
        cls.env = cls.ac.create_environment(ApplicationId=cls.app, Name="prod")["Id"]
        cls.prof = cls.ac.create_configuration_profile(ApplicationId=cls.app, Name="cfg", LocationUri="hosted")["Id"]
        for body in (b'{"v":1}', b'{"v":2}'):
            cls.ac.create_hosted_configuration_version(ApplicationId=cls.app, ConfigurationProfileId=cls.prof,
                                                       Content=body, ContentType="application/json")
        cls.now = cls.ac.create_deployment_strategy(Name="now", DeploymentDurationInMinutes=0, GrowthFactor=100.0,
                                                    FinalBakeTimeInMinutes=0)["Id"]
        cls.slow = cls.ac.create_deployment_strategy(Name="slow", DeploymentDurationInMinutes=20, GrowthFactor=50.0,
                                                     FinalBakeTimeInMinutes=60)["Id"]

    def deploy(self, strategy, version):
        return self.ac.start_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentStrategyId=strategy,
                                        ConfigurationProfileId=self.prof, ConfigurationVersion=version)["DeploymentNumber"]

    def state(self, number):
        return self.ac.get_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentNumber=number)["State"]

    def poll(self, token):
        # Respect the session's minimum interval in service time.
        time.sleep(15.5 / SCALE)
        return self.data.get_latest_configuration(ConfigurationToken=token)

    def test_polling_across_deployment_and_rollback(self):
        n = self.deploy(self.now, "1")
        wait_for(lambda: self.state(n) == "COMPLETE")
        session = self.data.start_configuration_session(ApplicationIdentifier="data-app", EnvironmentIdentifier="prod",
                                                        ConfigurationProfileIdentifier="cfg",
                                                        RequiredMinimumPollIntervalInSeconds=15)
        self.assertEqual(session["ResponseMetadata"]["HTTPStatusCode"], 201)
        first = self.data.get_latest_configuration(ConfigurationToken=session["InitialConfigurationToken"])
        self.assertEqual(first["Configuration"].read(), b'{"v":1}')
        self.assertEqual(first["ContentType"], "application/json")
        self.assertEqual(first["NextPollIntervalInSeconds"], 15)
        token = first["NextPollConfigurationToken"]

        with self.assertRaises(ClientError) as e:
            self.data.get_latest_configuration(ConfigurationToken=session["InitialConfigurationToken"])
        self.assertEqual(e.exception.response["Error"]["Code"], "BadRequestException")

        n2 = self.deploy(self.slow, "2")
        got = {"v": 1}
        while got != {"v": 2}:
            resp = self.poll(token)
            token = resp["NextPollConfigurationToken"]
            body = resp["Configuration"].read()
            if body:
                got = json.loads(body)
            self.assertIn(self.state(n2), ("DEPLOYING", "BAKING"))
        self.ac.stop_deployment(ApplicationId=self.app, EnvironmentId=self.env, DeploymentNumber=n2)
        wait_for(lambda: self.state(n2) == "ROLLED_BACK")
        resp = self.poll(token)
        self.assertEqual(resp["Configuration"].read(), b'{"v":1}')
        resp = self.poll(resp["NextPollConfigurationToken"])
        self.assertEqual(resp["Configuration"].read(), b"")

    def test_errors(self):
        with self.assertRaises(ClientError) as e:
            self.data.start_configuration_session(ApplicationIdentifier="nope", EnvironmentIdentifier="prod",
                                                  ConfigurationProfileIdentifier="cfg")
        err = e.exception.response
        self.assertEqual(err["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(err["ResourceType"], "Application")
        self.assertIsInstance(e.exception, self.data.exceptions.ResourceNotFoundException)
        with self.assertRaises(ClientError) as e:
            self.data.get_latest_configuration(ConfigurationToken="not-a-token")
        err = e.exception.response
        self.assertEqual(err["Error"]["Code"], "BadRequestException")
        self.assertEqual(err["Details"]["InvalidParameters"]["ConfigurationToken"]["Problem"], "Corrupted")

    def test_cli(self):
        n = self.deploy(self.now, "2")
        wait_for(lambda: self.state(n) == "COMPLETE")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="555555555555", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
        base = ["aws", "--endpoint-url", URL, "--output", "json", "appconfigdata"]
        out = subprocess.run(base + ["start-configuration-session", "--application-identifier", self.app,
                                     "--environment-identifier", self.env, "--configuration-profile-identifier", self.prof],
                             capture_output=True, text=True, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        token = json.loads(out.stdout)["InitialConfigurationToken"]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "config.json")
            out = subprocess.run(base + ["get-latest-configuration", "--configuration-token", token, path],
                                 capture_output=True, text=True, env=env)
            self.assertEqual(out.returncode, 0, out.stderr)
            meta = json.loads(out.stdout)
            self.assertIn("NextPollConfigurationToken", meta)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b'{"v":2}')


if __name__ == "__main__":
    unittest.main(verbosity=2)
