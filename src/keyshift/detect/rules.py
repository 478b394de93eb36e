"""The rule table: one entry per rule id, stable forever (SARIF ``ruleId``, baselines, configs).

Each rule carries true- and false-positive samples; ``tests/detect/test_rules.py`` runs them all.
Samples are templates: ``{key}``, ``{secret}`` and ``{token}`` are replaced by generated fake values.
"""

from __future__ import annotations

from dataclasses import dataclass

from keyshift.model import CredentialKind


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    title: str
    description: str
    severity: str  # SARIF security-severity, as a string
    positives: tuple[tuple[str, str], ...] = ()  # (path, text)
    negatives: tuple[tuple[str, str], ...] = ()


RULES: tuple[Rule, ...] = (
    Rule(
        "KS001",
        "AwsAccessKeyId",
        "Hardcoded AWS access key ID",
        "An AWS access key ID (AKIA/ASIA/ABIA/ACCA) is stored in the file. Revoke the key and let the "
        "default credential chain (an ECS task role) provide short-lived credentials.",
        "7.5",
        positives=(
            ("app.py", 'KEY = "{key}"\n'),
            ("notes.txt", "key: {key}\n"),
            ("url.txt", "https://b.s3.amazonaws.com/o?X-Amz-Credential={key}%2F20240101%2Fus-east-1\n"),
            ("url2.txt", "https://b.s3.amazonaws.com/o?AWSAccessKeyId={key}&Expires=1\n"),
        ),
        negatives=(
            ("app.py", 'KEY = "AKIAIOSFODNN7EXAMPLE"\n'),
            ("app.py", 'KEY = "AKIAXXXXXXXXXXXXXXXX"\n'),
            ("app.py", 'ROLE = "AROAJ2UCCR6DPCEXAMPL"\nUSER = "AIDAJQABLZS4A3QDU576Q"\n'),
            ("app.py", 'KEY = "X{key}"\n'),
            ("app.py", 'KEY = "{key}7"\n'),
        ),
    ),
    Rule(
        "KS002",
        "AwsSecretAccessKey",
        "Hardcoded AWS secret access key",
        "An AWS secret access key is stored in the file. Anyone who reads it can act as the key's "
        "owner: revoke the key; never commit its replacement.",
        "9.1",
        positives=(
            ("app.py", 'aws_secret_access_key = "{secret}"\n'),
            (".env", "AWS_SECRET_ACCESS_KEY={secret}\n"),
            ("conf.json", '{{"SecretAccessKey": "{secret}"}}\n'),
            ("main.tf", 'provider "aws" {{\n  access_key = "{key}"\n  secret_key = "{secret}"\n}}\n'),
            ("app.properties", "aws.secretKey={secret}\n"),
            ("setup.sh", "aws configure set aws_secret_access_key {secret}\n"),
            ("Creds.java", 'new BasicAWSCredentials("{key}", "{secret}");\n'),
        ),
        negatives=(
            ("app.py", 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'),
            ("app.py", 'aws_secret_access_key = "da39a3ee5e6b4b0d3255bfef95601890afd80709"\n'),
            ("app.py", 'blob = "{secret}"\n'),
            ("app.py", 'SECRET_KEY = "{secret}"\n'),
            ("app.py", 'aws_secret_access_key = os.environ["AWS_SECRET_ACCESS_KEY"]\n'),
        ),
    ),
    Rule(
        "KS003",
        "AwsSessionToken",
        "Hardcoded AWS session token",
        "An AWS session token is stored in the file. It expires, but until then it grants the "
        "session's permissions: remove it and check how it was obtained.",
        "8.0",
        positives=(
            ("app.py", 'aws_session_token = "{token}"\n'),
            ("creds", "[default]\naws_access_key_id = {key}\naws_security_token = {token}\n"),
        ),
        negatives=(("app.py", 'session_token = os.getenv("AWS_SESSION_TOKEN")\n'),),
    ),
    Rule(
        "KS101",
        "AwsCredentialsInDockerfile",
        "AWS credentials in a Dockerfile",
        "AWS credentials in a Dockerfile end up in the image (ENV, ARG, RUN history), and environment "
        "credentials override the ECS task role at run time.",
        "9.1",
        positives=(
            (
                "Dockerfile",
                "FROM python:3.12\nENV AWS_ACCESS_KEY_ID={key} \\\n    AWS_SECRET_ACCESS_KEY={secret}\n",
            ),
        ),
        negatives=(("Dockerfile", "FROM python:3.12\nARG AWS_SECRET_ACCESS_KEY\n"),),
    ),
)

_BY_KIND = {
    CredentialKind.ACCESS_KEY_ID: "KS001",
    CredentialKind.SECRET_ACCESS_KEY: "KS002",
    CredentialKind.SESSION_TOKEN: "KS003",
}
# Rules owned by other stages; listed so reporters can describe them.
EXTRA_RULES: tuple[Rule, ...] = (
    Rule(
        "KS102",
        "AwsCredentialsInImageLayer",
        "AWS credentials in a container image layer",
        "A file in an image layer holds AWS credentials; deleting it in a later layer does not remove it.",
        "9.1",
    ),
    Rule(
        "KS103",
        "AwsCredentialsInImageConfig",
        "AWS credentials in a container image config",
        "The image config (Env, Labels, build history) holds AWS credentials; Env overrides the task role.",
        "9.1",
    ),
    Rule(
        "KS201",
        "Boto3StaticCredentials",
        "boto3 call site with static credentials",
        "A boto3/botocore client, resource or session is given explicit credentials instead of using "
        "the default credential chain.",
        "5.0",
    ),
)


def rule_for(kind: CredentialKind, carrier: str) -> str:
    return "KS101" if carrier == "dockerfile" else _BY_KIND[kind]


def all_rules() -> tuple[Rule, ...]:
    return RULES + EXTRA_RULES
