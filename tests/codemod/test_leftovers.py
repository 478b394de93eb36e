"""Credentials the rewrite leaves alone are still reported: settings, environment writes, Spark,
set_credentials, botocore Credentials, storage_options, config files, placeholders.

Every case is a module a careful tool must leave alone *and report*: the engine must find the
note (with ``needs_human``) and the CLI must exit 1 with status ``report-only`` for it, also on
a second run, since the notes come from the file as it is.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .helpers import KEY, SECRET, fill, fix

# (id, source, note kind, text in the message)
LEFTOVER_CASES = [
    (
        "settings-module-without-boto3",
        """
        AWS_ACCESS_KEY_ID = "@KEY@"
        AWS_SECRET_ACCESS_KEY = "@SECRET@"
        AWS_STORAGE_BUCKET_NAME = "media"
        """,
        "settings",
        "AWS_ACCESS_KEY_ID",
    ),
    (
        "flask-config-class",
        """
        import os
        class Config(object):
            S3_BUCKET = "uploads"
            AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID")
            AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY")
        """,
        "settings",
        "Config.AWS_SECRET_ACCESS_KEY",
    ),
    (
        "pydantic-settings",
        """
        from pydantic_settings import BaseSettings
        class Settings(BaseSettings):
            aws_access_key_id: str
            aws_secret_access_key: str
            aws_region: str = "eu-west-1"
        """,
        "settings",
        "Settings.aws_access_key_id",
    ),
    (
        "dataclass-config",
        """
        from dataclasses import dataclass
        @dataclass
        class S3Config:
            bucket: str
            access_key: str = ""
            secret_key: str = ""
        """,
        "settings",
        "S3Config.secret_key",
    ),
    (
        "environ-subscript-write-without-boto3",
        """
        import os
        os.environ["AWS_SECRET_ACCESS_KEY"] = "@SECRET@"
        """,
        "environ-write",
        "AWS_SECRET_ACCESS_KEY",
    ),
    (
        "environ-setdefault",
        """
        import os
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "@KEY@")
        """,
        "environ-write",
        "AWS_ACCESS_KEY_ID",
    ),
    (
        "set-credentials-positional",
        """
        import botocore.session
        def client(access_key, secret_key):
            session = botocore.session.get_session()
            session.set_credentials(access_key, secret_key)
            return session.create_client("s3", region_name="us-east-1")
        """,
        "set-credentials",
        "set_credentials",
    ),
    (
        "botocore-credentials-object",
        """
        from botocore.credentials import Credentials
        def creds(key, secret):
            return Credentials(key, secret)
        """,
        "credentials-object",
        "botocore.credentials.Credentials",
    ),
    (
        "storage-options-through-a-name",
        """
        import pandas as pd
        OPTS = {"key": "@KEY@", "secret": "@SECRET@"}
        df = pd.read_csv("s3://bucket/data.csv", storage_options=OPTS)
        """,
        "storage-options",
        "key, secret",
    ),
    (
        "spark-conf-set",
        """
        def configure(spark, key, secret):
            spark.conf.set("fs.s3a.access.key", key)
            spark.conf.set("fs.s3a.secret.key", secret)
        """,
        "spark",
        "fs.s3a.secret.key",
    ),
    (
        "hadoop-configuration-set",
        """
        def configure(sc, key):
            sc._jsc.hadoopConfiguration().set("fs.s3a.access.key", key)
        """,
        "spark",
        "fs.s3a.access.key",
    ),
    (
        "spark-builder-config",
        """
        from pyspark.sql import SparkSession
        from keys import ACCESS, SECRET
        spark = (
            SparkSession.builder.appName("etl")
            .config("spark.hadoop.fs.s3a.access.key", ACCESS)
            .config("spark.hadoop.fs.s3a.secret.key", SECRET)
            .getOrCreate()
        )
        """,
        "spark",
        "spark.hadoop.fs.s3a.access.key",
    ),
    (
        "keys-module-empty-placeholders",
        """
        ACCESS_KEY = ""
        SECRET_KEY = ""
        """,
        "placeholder",
        "SECRET_KEY",
    ),
    (
        "yaml-config-read",
        """
        import yaml
        with open("config.yml") as handle:
            config = yaml.safe_load(handle)
        ACCESS = config["aws"]["access_key"]
        """,
        "key-file",
        "config.yml",
    ),
    (
        "pandas-credentials-csv",
        """
        import pandas as pd
        creds = pd.read_csv("credentials.csv")
        key_id = creds["Access key ID"][0]
        """,
        "key-file",
        "credentials.csv",
    ),
    (
        "configparser-ini",
        """
        import configparser
        parser = configparser.ConfigParser()
        parser.read("aws.ini")
        secret = parser.get("default", "aws_secret_access_key")
        """,
        "key-file",
        "aws.ini",
    ),
    (
        "json-key-file",
        """
        import json
        keys = json.load(open("keys.json"))
        """,
        "key-file",
        "keys.json",
    ),
    (
        "environ-update-keywords",
        """
        import os
        os.environ.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_REGION="eu-west-1")
        """,
        "environ-write",
        "AWS_ACCESS_KEY_ID",
    ),
    (
        "storage-options-from-a-helper",
        """
        import os
        import pandas as pd
        def storage_options():
            return {"key": os.environ["S3_KEY"], "secret": os.environ["S3_SECRET"]}
        df = pd.read_csv("s3://bucket/data.csv", storage_options=storage_options())
        """,
        "storage-options",
        "key, secret",
    ),
    (
        "spark-per-bucket-fstring",
        """
        def configure(spark, bucket, key):
            spark.conf.set(f"spark.hadoop.fs.s3a.bucket.{bucket}.access.key", key)
        """,
        "spark",
        "fs.s3a.bucket.{}.access.key",
    ),
    (
        "credential-mapping-in-a-config-module",
        """
        import os
        AWS_CONFIG = {
            "aws_access_key_id": os.getenv("AWS_ACCESS_KEY_ID"),
            "aws_secret_access_key": os.getenv("AWS_SECRET_ACCESS_KEY"),
            "region_name": "us-east-1",
        }
        """,
        "credential-mapping",
        "aws_access_key_id, aws_secret_access_key",
    ),
    (
        "credential-mapping-placeholders",
        """
        AWS_CREDENTIALS = {"aws_access_key_id": "", "aws_secret_access_key": "", "region_name": "us-east-1"}
        """,
        "credential-mapping",
        "aws_secret_access_key",
    ),
    (
        "credentials-passed-to-a-wrapper",
        """
        from .aws import make_client
        s3 = make_client("s3", aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
        """,
        "passed-credentials",
        "make_client(...)",
    ),
    (
        "legacy-boto-keywords",
        """
        import boto
        conn = boto.connect_s3(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        """,
        "passed-credentials",
        "boto.connect_s3(...)",
    ),
    (
        "legacy-boto-positional",
        """
        from boto.s3.connection import S3Connection
        conn = S3Connection(KEY_ID, SECRET)
        """,
        "passed-credentials",
        "positional key and secret",
    ),
    (
        "localstack-keys-in-a-settings-class-under-if",
        """
        class Local(Common):
            if USE_LOCALSTACK:
                dummy_key = "test"
                AWS_S3_DATAFILES_ACCESS_KEY = dummy_key
                AWS_S3_DATAFILES_SECRET_KEY = dummy_key
        """,
        "settings",
        "Local.AWS_S3_DATAFILES_SECRET_KEY",
    ),
    (
        "keys-module-under-try",
        """
        try:
            AWS_ACCESS_KEY_ID = "@KEY@"
            AWS_SECRET_ACCESS_KEY = "@SECRET@"
        except ImportError:
            pass
        """,
        "settings",
        "AWS_SECRET_ACCESS_KEY",
    ),
    (
        "keys-returned-by-an-environment-helper",
        """
        import os
        def get_bedrock_key():
            return os.getenv("AWS_ACCESS_KEY_ID"), os.getenv("AWS_SECRET_ACCESS_KEY")
        """,
        "returned-credentials",
        "get_bedrock_key() returns AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
    ),
    (
        "keys-returned-from-a-downloaded-csv",
        """
        import csv
        def get_aws_keys(file_name="deploy_accessKeys.csv"):
            with open(file_name, encoding="utf-8-sig") as handle:
                for row in csv.DictReader(handle):
                    access_key = row["Access key ID"]
                    secret_key = row["Secret access key"].strip()
                    return access_key, secret_key
        """,
        "returned-credentials",
        "Access key ID, Secret access key",
    ),
    (
        "keys-returned-as-kwargs-from-a-config-file",
        """
        import yaml
        class Keys:
            def kwargs(self):
                conf = yaml.safe_load(open("settings.yml"))
                return dict(aws_access_key_id=conf["aws"]["access_key"], region_name="eu-west-1")
        """,
        "returned-credentials",
        "kwargs() returns AWS credentials (access_key)",
    ),
    (
        "keys-stored-in-a-dotenv-file-by-name",
        """
        from dotenv import set_key
        def save(key, secret):
            set_key(".env", "AWS_ACCESS_KEY_ID", key)
            set_key(".env", "AWS_SECRET_ACCESS_KEY", secret)
        """,
        "passed-credentials",
        "AWS_SECRET_ACCESS_KEY (by name)",
    ),
    (
        "keys-stored-with-aws-configure-set",
        """
        import subprocess
        subprocess.run(["aws", "configure", "set", "aws_secret_access_key", "@SECRET@"], check=True)
        """,
        "passed-credentials",
        "aws_secret_access_key (by name)",
    ),
    (
        "keys-written-to-a-credentials-file-section",
        """
        import configparser
        def write(path, key):
            cfg = configparser.ConfigParser()
            cfg.set("default", "aws_access_key_id", key)
            cfg.write(open(path, "w"))
        """,
        "passed-credentials",
        "cfg.set(...)",
    ),
    (
        "literal-key-in-another-library",
        """
        from requests_aws4auth import AWS4Auth
        auth = AWS4Auth("@KEY@", "@SECRET@", "eu-west-1", "es")
        """,
        "literal-key",
        KEY,
    ),
]


@pytest.mark.parametrize(
    ("source", "kind", "text"), [c[1:] for c in LEFTOVER_CASES], ids=[c[0] for c in LEFTOVER_CASES]
)
def test_leftover_is_reported(source: str, kind: str, text: str) -> None:
    src = fill(textwrap.dedent(source).lstrip("\n"))
    out, result = fix(src)
    assert out == src and not result.changed  # left alone
    matching = [n for n in result.notes if n.kind == kind]
    assert matching, [(n.kind, n.message) for n in result.notes]
    assert any(text in n.message for n in matching), [n.message for n in matching]
    assert all(n.needs_human for n in matching)
    assert all(SECRET not in n.message for n in result.notes)


NEGATIVES = [
    ("django-secret-key", 'SECRET_KEY = "django-insecure-abc"\nDEBUG = True\n'),
    ("region-and-bucket", 'AWS_REGION = "eu-west-1"\nAWS_STORAGE_BUCKET_NAME = "media"\n'),
    ("secrets-manager-name", 'AWS_SECRET_NAME = "prod/db"\n'),
    ("none-setting", "AWS_ACCESS_KEY_ID = None\n"),
    ("documentation-example-key", 'EXAMPLE = "AKIAIOSFODNN7EXAMPLE"\n'),
    ("spark-other-setting", 'conf.set("fs.s3a.endpoint", "http://minio:9000")\n'),
    ("spark-per-bucket-endpoint", 'conf.set(f"fs.s3a.bucket.{b}.endpoint", url)\n'),
    (
        "sts-response-mapping",
        'c = {"AccessKeyId": r["AccessKeyId"], "SecretAccessKey": r["SecretAccessKey"]}\n',
    ),
    ("mapping-of-none", 'AWS = {"aws_access_key_id": None, "aws_secret_access_key": None}\n'),
    ("wrapper-passed-none", "c = make_client('s3', aws_access_key_id=None)\n"),
    ("environ-update-other", 'import os\nos.environ.update(AWS_REGION="eu-west-1")\n'),
    ("boto-connection-one-argument", "import boto\nc = boto.connect_s3('host')\n"),
    (
        "script-locals-from-the-environment-under-a-main-guard",
        'import os\nif __name__ == "__main__":\n    access_key = os.environ["AWS_ACCESS_KEY_ID"]\n',
    ),
    (
        "returns-whether-a-key-is-set",
        'import os\ndef has_keys():\n    return os.getenv("AWS_ACCESS_KEY_ID") is not None\n',
    ),
    ("returns-the-region", 'import os\ndef region():\n    return os.getenv("AWS_REGION")\n'),
    ("returns-a-bare-secret", 'def signing_secret(conf):\n    return conf.get("secret")\n'),
    (
        "returns-temporary-sts-keys",
        "def temporary(sts, arn):\n"
        '    creds = sts.assume_role(RoleArn=arn, RoleSessionName="x")["Credentials"]\n'
        '    return creds["AccessKeyId"], creds["SecretAccessKey"]\n',
    ),
    (
        "credential-names-read-with-defaults-or-logged",
        "import os\n"
        'a = os.getenv("AWS_SECRET_ACCESS_KEY", "")\n'
        'b = getattr(settings, "AWS_ACCESS_KEY_ID", None)\n'
        'logger.info("AWS_ACCESS_KEY_ID", a)\n'
        'print("aws_secret_access_key", b)\n'
        'set_key(".env", "AWS_ACCESS_KEY_ID", "")\n',
    ),
    (
        "returns-instance-metadata-keys",
        "import json\nimport requests\ndef role_credentials(url):\n"
        "    creds = json.loads(requests.get(url).text)\n"
        '    return creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"]\n',
    ),
    (
        "returns-a-client-built-from-the-environment",
        "import os\nfrom .aws import make_client\ndef client():\n"
        '    return len(os.getenv("AWS_ACCESS_KEY_ID"))\n',
    ),
]


@pytest.mark.parametrize("source", [c[1] for c in NEGATIVES], ids=[c[0] for c in NEGATIVES])
def test_not_a_credential_is_not_reported(source: str) -> None:
    _, result = fix(source)
    assert not [n for n in result.notes if n.needs_human], [(n.kind, n.message) for n in result.notes]


def test_double_star_attribute_with_credential_keys_is_report_only() -> None:
    src = textwrap.dedent(
        """
        import botocore.session
        class Store:
            def __init__(self, key, secret):
                self.config = {"aws_access_key_id": key, "aws_secret_access_key": secret}
            def client(self):
                return botocore.session.get_session().create_client("s3", **self.config)
        """
    ).lstrip("\n")
    out, result = fix(src)
    assert out == src
    assert [s.status for s in result.sites] == ["report-only"]
    assert "**self.config" in (result.sites[0].reason or "")


def test_localstack_endpoint_on_session_resource_warns() -> None:
    src = fill(
        textwrap.dedent(
            """
            import boto3
            session = boto3.Session(aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
            s3 = session.resource("s3", endpoint_url="http://localhost:4566")
            """
        ).lstrip("\n")
    )
    _, result = fix(src)
    assert result.changed
    assert any(n.kind == "endpoint" for n in result.notes)


def test_dead_config_read_is_named_after_the_rewrite() -> None:
    src = textwrap.dedent(
        """
        import boto3
        import yaml

        CONFIG = yaml.safe_load(open("config.yml"))
        s3 = boto3.client(
            "s3",
            aws_access_key_id=CONFIG["aws"]["key"],
            aws_secret_access_key=CONFIG["aws"]["secret"],
        )
        """
    ).lstrip("\n")
    out, result = fix(src)
    assert result.changed and 'CONFIG = yaml.safe_load(open("config.yml"))' in out
    kinds = {n.kind: n for n in result.notes}
    assert "config.yml" in kinds["key-file"].message and kinds["key-file"].needs_human
    assert "CONFIG is no longer used" in kinds["dead-read"].message
    assert "config.yml" in kinds["dead-read"].message


runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["fix", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("source", "kind"), [(c[1], c[2]) for c in LEFTOVER_CASES], ids=[c[0] for c in LEFTOVER_CASES]
)
def test_cli_reports_every_leftover_with_exit_1(tmp_path: Path, source: str, kind: str) -> None:
    path = tmp_path / "mod.py"
    src = fill(textwrap.dedent(source).lstrip("\n"))
    path.write_text(src)
    code, out = _run(str(tmp_path), "--json", "--write", "-q")
    doc = json.loads(out)
    assert code == 1
    assert [f["status"] for f in doc["files"]] == ["report-only"]
    assert kind in {n["kind"] for n in doc["files"][0]["notes"]}
    assert path.read_text() == src
    assert SECRET not in out


def test_second_run_still_lists_open_items(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{KEY}"\n')
    (tmp_path / "config.yml").write_text(f"aws:\n  access_key: {KEY}\n  secret_key: {SECRET}\n")
    (tmp_path / "app.py").write_text(
        "import boto3\nimport yaml\n\n"
        'CONFIG = yaml.safe_load(open("config.yml"))\n'
        's3 = boto3.client("s3", aws_access_key_id=CONFIG["aws"]["access_key"])\n'
    )
    first, out1 = _run(str(tmp_path), "--write")
    assert first == 1 and "rewritten" in out1
    second, out2 = _run(str(tmp_path), "--write")
    assert second == 1
    assert "app.py" in out2 and "settings.py" in out2
    assert "still open: key-file" in out2 and "config.yml" in out2
    assert "still open: settings" in out2
    assert KEY in (tmp_path / "config.yml").read_text()  # keyshift never edits the key file
    assert SECRET not in out1 + out2


def test_dotenv_with_keys_is_still_open_after_the_rewrite(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    (tmp_path / "app.py").write_text(
        "import os\nimport boto3\nfrom dotenv import load_dotenv\n\nload_dotenv()\n"
        's3 = boto3.client("s3", aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"))\n'
    )
    first, _ = _run(str(tmp_path), "--write")
    second, out = _run(str(tmp_path), "--write")
    assert first == 1 and second == 1
    assert "still open: key-file" in out and ".env" in out and SECRET not in out


def test_key_file_outside_the_tree_or_through_a_symlink_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config.yml").write_text(f"aws_access_key_id: {KEY}\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "config.yml").symlink_to(outside / "config.yml")
    (tree / "app.py").write_text(
        'import yaml\nCONFIG = yaml.safe_load(open("../outside/config.yml"))\n'
        'OTHER = open("config.yml").read()\n'
    )
    code, out = _run(str(tree / "app.py"), "--json", "-q")
    assert code == 0, out


def test_exclude_has_the_meaning_scan_gives_it(tmp_path: Path) -> None:
    """``exclude = ["vendor"]`` skips ``lib/vendor/aws.py`` in fix as it does in scan."""
    (tmp_path / "lib" / "vendor").mkdir(parents=True)
    (tmp_path / "lib" / "vendor" / "aws.py").write_text(f'AWS_ACCESS_KEY_ID = "{KEY}"\n')
    (tmp_path / "pyproject.toml").write_text('[tool.keyshift]\nexclude = ["vendor"]\n')
    code, out = _run(str(tmp_path), "--json", "-q")
    assert code == 0 and json.loads(out)["files"] == []
    from keyshift.sources.worktree import is_excluded

    assert is_excluded("lib/vendor/aws.py", ("vendor",))


def test_unparsable_file_without_aws_markers_does_not_fail_the_run(tmp_path: Path) -> None:
    (tmp_path / "py2.py").write_text('print "client secret from credentials.json"\n')
    (tmp_path / "aws2.py").write_text('import boto3\nprint "aws"\n')
    code, out = _run(str(tmp_path), "--json", "-q")
    doc = json.loads(out)
    assert code == 1
    assert {f["path"].rsplit("/", 1)[-1]: f["status"] for f in doc["files"]} == {"aws2.py": "unparsable"}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "import boto3\nclass S:\n    def __init__(self, cfg):\n        self.config = cfg\n"
            "    def client(self):\n        return boto3.session.Session().client('s3', **self.config)\n",
            "object state",
        ),
        (
            "import boto3, json\nOPTS = json.load(open('aws.json'))\ns3 = boto3.client('s3', **OPTS)\n",
            "aws.json",
        ),
        (
            "import boto3\ndef client(creds):\n    return boto3.client('s3', **creds)\n",
            "named as credentials",
        ),
        (
            "import boto3\nclass A:\n    def c(self):\n        return boto3.client('s3', **self.aws_credentials)\n",
            "named as credentials",
        ),
    ],
    ids=["self-attribute", "config-file", "named-creds", "named-attribute"],
)
def test_opaque_double_star_from_state_or_file_is_report_only(source: str, reason: str) -> None:
    out, result = fix(source)
    assert out == source
    assert [s.status for s in result.sites] == ["report-only"]
    assert reason in (result.sites[0].reason or "")
