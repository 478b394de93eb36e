"""A moto server on 127.0.0.1 with IAM authentication enforced, and a live key created in it."""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass

import pytest

KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")


@dataclass(frozen=True)
class Moto:
    endpoint: str

    def post(self, path: str, body: bytes) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}{path}", data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def live_key(self, user: str) -> tuple[str, str]:
        """Create an IAM user with an access key keyshift's detector recognises (moto draws 0-9 too)."""
        import boto3

        self.post("/moto-api/reset-auth", b"inf")  # a setup window without IAM checks
        try:
            iam = boto3.client(
                "iam",
                region_name="us-east-1",
                endpoint_url=self.endpoint,
                aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                aws_secret_access_key="setup-only",
            )
            for attempt in range(200):
                name = f"{user}{attempt}" if attempt else user
                iam.create_user(UserName=name)
                key = iam.create_access_key(UserName=name)["AccessKey"]
                if KEY_ID.fullmatch(key["AccessKeyId"]) and re.fullmatch(
                    r"[A-Za-z0-9/+]{40}", key["SecretAccessKey"]
                ):
                    return key["AccessKeyId"], key["SecretAccessKey"]
            raise AssertionError("moto never produced a base32 key ID")
        finally:
            self.post("/moto-api/reset-auth", b"0")


@pytest.fixture(scope="session")
def moto(moto_endpoint: str) -> Moto:
    return Moto(moto_endpoint)
