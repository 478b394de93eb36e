"""A plan never builds a resource ARN out of a credential value.

Measured on a real FastAPI app: one settings helper (``self._get_env(name)``) read every
variable, the analysis merged its return values, and the bucket of ``upload_fileobj`` became the
key ID and the secret access key, printed inside an S3 ARN.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

SETTINGS = """import os
class Settings:
    def __init__(self):
        self.KEY = self._get_env("APP_AWS_KEY")
        self.SECRET = self._get_env("APP_AWS_SECRET")
        self.BUCKET = self._get_env("UPLOAD_BUCKET")
    def _get_env(self, name):
        value = os.getenv(name)
        if not value or not value.strip():
            raise RuntimeError(name)
        return value.strip()
settings = Settings()
"""
APP = """import boto3
from settings import settings
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id=settings.KEY,
                  aws_secret_access_key=settings.SECRET)
def upload(f, name):
    s3.upload_fileobj(f, settings.BUCKET, name)
"""


def test_merged_settings_never_put_a_key_or_secret_in_a_resource(tmp_path: Path) -> None:
    key, secret = fake_key_id("111122223333", seed="merge"), fake_secret("merge")
    root = tmp_path / "svc"
    root.mkdir()
    (root / "settings.py").write_text(SETTINGS)
    (root / "app.py").write_text(APP)
    (root / ".env").write_text(f"APP_AWS_KEY={key}\nAPP_AWS_SECRET={secret}\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    assert secret not in result.stdout
    (role,) = json.loads(result.stdout)["roles"]
    resources = [r for p in role["permissions"] for r in p["resources"]]
    assert resources and not any(key in r or secret in r for r in resources)
    text = CliRunner().invoke(app, ["plan", str(root), "--exit-zero"]).stdout
    assert secret not in text
