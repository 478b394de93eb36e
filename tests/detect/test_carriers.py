"""Every supported carrier: the key ID, secret and token are found, on the right line, paired."""

from __future__ import annotations

import json

import pytest

from keyshift.detect import detect_bytes
from keyshift.detect.account import account_id
from keyshift.model import CredentialKind, SourceKind
from keyshift.redact import sha1_hex

K = CredentialKind.ACCESS_KEY_ID
S = CredentialKind.SECRET_ACCESS_KEY
T = CredentialKind.SESSION_TOKEN

# (case id, path, template, expected [(kind, line)]) — every secret/token must pair with {key}.
CASES = [
    (
        "python-assign",
        "app/settings.py",
        'AWS_ACCESS_KEY_ID = "{key}"\nAWS_SECRET_ACCESS_KEY = "{secret}"\n',
        [(K, 1), (S, 2)],
    ),
    (
        "python-call",
        "app/aws.py",
        'import boto3\nc = boto3.client("s3", aws_access_key_id="{key}",\n    aws_secret_access_key="{secret}")\n',
        [(K, 2), (S, 3)],
    ),
    (
        "python-dict",
        "app/conf.py",
        "CONF = {{'aws': {{'access_key': '{key}', 'secret_key': '{secret}', 'token': None}}}}\n",
        [(K, 1), (S, 1)],
    ),
    (
        "python-implicit-concat",
        "app/split.py",
        'KEY = ("{key_a}"\n       "{key_b}")\nSECRET = "{secret_a}" + \\\n    "{secret_b}"\n',
        [(K, 1), (S, 3)],
    ),
    (
        "ini-profiles",
        "home/.aws/credentials",
        "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_session_token = {token}\n",
        [(K, 2), (S, 3), (T, 4)],
    ),
    ("dotenv", ".env", "AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY='{secret}'\n", [(K, 1), (S, 2)]),
    (
        "shell-export",
        "deploy.sh",
        '#!/bin/sh\nexport AWS_ACCESS_KEY_ID="{key}"\nexport AWS_SECRET_ACCESS_KEY="{secret}"\n',
        [(K, 2), (S, 3)],
    ),
    (
        "aws-configure",
        "setup.sh",
        "aws configure set aws_access_key_id {key}\naws configure set aws_secret_access_key {secret}\n",
        [(K, 1), (S, 2)],
    ),
    (
        "compose",
        "docker-compose.yml",
        "services:\n  app:\n    environment:\n      - AWS_ACCESS_KEY_ID={key}\n      - AWS_SECRET_ACCESS_KEY={secret}\n",
        [(K, 4), (S, 5)],
    ),
    (
        "k8s-name-value",
        "deploy/pod.yaml",
        'env:\n  - name: AWS_ACCESS_KEY_ID\n    value: {key}\n  - name: AWS_SECRET_ACCESS_KEY\n    value: "{secret}"\n',
        [(K, 3), (S, 5)],
    ),
    (
        "yaml-block-strip",
        "config/creds.yaml",
        "aws_access_key_id: |-\n  {key}\naws_secret_access_key: |-\n  {secret}\n",
        [(K, 2), (S, 4)],
    ),
    (
        "yaml-block-keep-folded",
        "config/creds.yml",
        "aws:\n  access_key_id: >+\n    {key}\n  secret_access_key: >-\n    {secret}\n"
        "  session_token: |+\n    {token}\n",
        [(K, 3), (S, 5), (T, 7)],
    ),
    (
        "yaml-block-indentation-indicator",
        "config/creds.yaml",
        "AWS_ACCESS_KEY_ID: {key}\nAWS_SECRET_ACCESS_KEY: |2-\n    {secret}\nAWS_SESSION_TOKEN: >1+\n  {token}\n",
        [(K, 1), (S, 3), (T, 5)],
    ),
    (
        "ecs-task-definition",
        "ecs/task.json",
        '{{"environment": [\n  {{"name": "AWS_ACCESS_KEY_ID", "value": "{key}"}},\n'
        '  {{"name": "AWS_SECRET_ACCESS_KEY", "value": "{secret}"}}\n]}}\n',
        [(K, 2), (S, 3)],
    ),
    (
        "ecs-value-first",
        "ecs/task2.json",
        '[\n  {{"value": "{key}", "name": "AWS_ACCESS_KEY_ID"}},\n  {{"value": "{secret}", "name": "AWS_SECRET_ACCESS_KEY"}}\n]\n',
        [(K, 2), (S, 3)],
    ),
    (
        "cloudformation",
        "template.yaml",
        "Resources:\n  Fn:\n    Properties:\n      Environment:\n        Variables:\n"
        "          AccessKeyId: {key}\n          SecretAccessKey: {secret}\n",
        [(K, 6), (S, 7)],
    ),
    (
        "terraform",
        "main.tf",
        'provider "aws" {{\n  region     = "us-east-1"\n  access_key = "{key}"\n  secret_key = "{secret}"\n}}\n',
        [(K, 3), (S, 4)],
    ),
    (
        "java-properties",
        "src/main/resources/application.properties",
        "cloud.aws.credentials.access-key={key}\ncloud.aws.credentials.secret-key={secret}\n",
        [(K, 1), (S, 2)],
    ),
    (
        "java-code",
        "src/S3.java",
        'AWSCredentials c = new BasicAWSCredentials(\n    "{key}",\n    "{secret}");\n',
        [(K, 2), (S, 3)],
    ),
    (
        "javascript",
        "src/s3.js",
        "const s3 = new S3({{\n  credentials: {{ accessKeyId: '{key}', secretAccessKey: '{secret}' }},\n}});\n",
        [(K, 2), (S, 2)],
    ),
    (
        "go",
        "aws.go",
        'creds := credentials.NewStaticCredentials("{key}", "{secret}", "")\n',
        [(K, 1), (S, 1)],
    ),
    (
        "dockerfile-env",
        "Dockerfile",
        "FROM alpine\nENV AWS_ACCESS_KEY_ID {key}\nENV AWS_SECRET_ACCESS_KEY {secret}\n",
        [(K, 2), (S, 3)],
    ),
    (
        "dockerfile-arg-continuation",
        "build/Dockerfile.prod",
        "FROM alpine\nARG AWS_ACCESS_KEY_ID={key} \\\n    AWS_SECRET_ACCESS_KEY=\\\n{secret}\n",
        [(K, 2), (S, 4)],
    ),
    (
        "presigned-url",
        "docs/link.txt",
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={key}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request\n",
        [(K, 1)],
    ),
    (
        "credentials-csv",
        "credentials.csv",
        "User name,Access key ID,Secret access key\ndeploy,{key},{secret}\n",
        [(K, 2), (S, 2)],
    ),
    (
        "xml",
        "conf/aws.xml",
        "<aws>\n  <accessKey>{key}</accessKey>\n  <secretKey>{secret}</secretKey>\n</aws>\n",
        [(K, 2), (S, 3)],
    ),
    (
        "powershell",
        "deploy.ps1",
        '$env:AWS_ACCESS_KEY_ID = "{key}"\n$env:AWS_SECRET_ACCESS_KEY = "{secret}"\n',
        [(K, 1), (S, 2)],
    ),
    (
        "session-token-json",
        "creds.json",
        '{{"Credentials": {{"AccessKeyId": "{key}", "SecretAccessKey": "{secret}",\n "SessionToken": "{token}"}}}}\n',
        [(K, 1), (S, 1), (T, 2)],
    ),
]


def test_kubernetes_secret_base64(creds: dict[str, str]) -> None:
    import base64

    def b64(v: str) -> str:
        return base64.b64encode(v.encode()).decode()

    text = f"kind: Secret\ndata:\n  AWS_ACCESS_KEY_ID: {b64(creds['key'])}\n  AWS_SECRET_ACCESS_KEY: {b64(creds['secret'])}\n"
    found = detect_bytes(text.encode(), "k8s/secret.yaml")
    assert [(f.kind, f.line, f.key_id) for f in found] == [(K, 3, creds["key"]), (S, 4, creds["key"])]
    assert found[1].secret_sha1 == sha1_hex(creds["secret"])


def test_split_literals_in_javascript(creds: dict[str, str]) -> None:
    key, secret = creds["key"], creds["secret"]
    text = f'const k = "{key[:10]}" +\n  "{key[10:]}";\nconst secretAccessKey = "{secret[:20]}" + "{secret[20:]}";\n'
    found = detect_bytes(text.encode(), "src/aws.js")
    assert [(f.kind, f.line) for f in found] == [(K, 1), (S, 3)]


def test_unnamed_session_token_next_to_temporary_key(creds: dict[str, str]) -> None:
    from keyshift.fakes import fake_key_id

    asia = fake_key_id("123456789012", prefix="ASIA", seed="t")
    text = f'creds = ("{asia}", "{creds["secret"]}", "{creds["token"]}")\n'
    found = detect_bytes(text.encode(), "x.py")
    assert sorted(f.kind for f in found) == sorted([K, S, T])
    assert all(f.key_id == asia for f in found)


def test_connection_url(creds: dict[str, str]) -> None:
    found = detect_bytes(f"BACKUP_URL=s3://{creds['key']}:{creds['secret']}@bucket/path\n".encode(), "x.cfg")
    assert sorted(f.kind for f in found) == [K, S]


def _notebook(creds: dict[str, str]) -> str:
    cell = {
        "cell_type": "code",
        "metadata": {},
        "source": [
            "import boto3\n",
            f'session = boto3.Session(aws_access_key_id="{creds["key"]}",\n',
            f'                        aws_secret_access_key="{creds["secret"]}")\n',
        ],
        "outputs": [],
        "execution_count": None,
    }
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def _render(template: str, creds: dict[str, str]) -> str:
    key, secret = creds["key"], creds["secret"]
    return template.format(
        key=key,
        secret=secret,
        token=creds["token"],
        key_a=key[:8],
        key_b=key[8:],
        secret_a=secret[:17],
        secret_b=secret[17:],
    )


@pytest.mark.parametrize(("path", "template", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_carrier(
    path: str, template: str, expected: list[tuple[CredentialKind, int]], creds: dict[str, str]
) -> None:
    text = _render(template, creds)
    found = [f for f in detect_bytes(text.encode(), path) if not f.suppressed]
    assert sorted((f.kind, f.line) for f in found) == sorted(expected)
    for f in found:
        assert f.key_id == creds["key"]
        assert f.account_id == "123456789012" == account_id(creds["key"])
        if f.kind is S:
            assert f.secret_sha1 == sha1_hex(creds["secret"])
        if f.kind is T:
            assert f.secret_sha1 == sha1_hex(creds["token"])
    if path.endswith("Dockerfile") or "Dockerfile." in path:
        assert {f.source for f in found} == {SourceKind.DOCKERFILE}
        assert {f.rule_id for f in found} == {"KS101"}


def test_notebook(creds: dict[str, str]) -> None:
    found = detect_bytes(_notebook(creds).encode(), "analysis.ipynb")
    assert {f.kind for f in found} == {K, S}
    assert all(f.key_id == creds["key"] for f in found)


def test_two_profiles_pair_by_section(creds: dict[str, str]) -> None:
    text = (
        f"[default]\naws_access_key_id = {creds['key']}\naws_secret_access_key = {creds['secret']}\n\n"
        f"[prod]\naws_secret_access_key = {creds['secret2']}\naws_access_key_id = {creds['key2']}\n"
    )
    found = {f.secret_sha1: f.key_id for f in detect_bytes(text.encode(), ".aws/credentials") if f.kind is S}
    assert found == {sha1_hex(creds["secret"]): creds["key"], sha1_hex(creds["secret2"]): creds["key2"]}


def test_key_id_without_secret_is_reported(creds: dict[str, str]) -> None:
    found = detect_bytes(f"key = '{creds['key']}'\n".encode(), "a.py")
    assert [(f.kind, f.key_id, f.secret_sha1) for f in found] == [(K, creds["key"], None)]


def test_secret_never_in_finding(creds: dict[str, str]) -> None:
    text = f'aws_access_key_id="{creds["key"]}"\naws_secret_access_key="{creds["secret"]}"\n'
    for f in detect_bytes(text.encode(), "x.py"):
        assert creds["secret"] not in repr(f)


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b\n",
        "sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'\n",
        "digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
        "data = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXpxdXV4cXV1eHF1dXpx'\n",
        "AWS_SECRET_ACCESS_KEY=${{AWS_SECRET_ACCESS_KEY}}\n",
        "aws_secret_access_key = YOUR_SECRET_ACCESS_KEY_HERE\n",
        "aws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "token = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'\n",
        "user = 'AIDAJQABLZS4A3QDU576Q'  role = 'AROADBQP57FF2AEXAMPLE'\n",
        "ThisIsALongCamelCaseIdentifierNameHere1 = 1\n",
    ],
)
def test_negatives(text: str) -> None:
    assert [f for f in detect_bytes(text.encode(), "x.py") if not f.suppressed] == []


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('k = "AKIAIOSFODNN7EXAMPLE"', "example-key"),
        ('s = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # aws_secret_access_key', None),
        ('k = "AKIAXXXXXXXXXXXXXXXX"', "placeholder"),
        ('k = "AKIAAAAAAAAAAAAAAAAA"', "placeholder"),
        ('k = "AKIAABCDEFGHIJKLMNOP"', "placeholder"),
    ],
)
def test_examples_are_suppressed(line: str, reason: str | None) -> None:
    found = detect_bytes((line + "\n").encode(), "x.py")
    assert all(f.suppressed for f in found)
    if reason:
        assert [f.suppressed for f in found] == [reason]


@pytest.mark.parametrize(
    "comment",
    ["# keyshift: allow", "# pragma: allowlist secret", "// gitleaks:allow"],
)
def test_inline_allow(comment: str, creds: dict[str, str]) -> None:
    found = detect_bytes(f'k = "{creds["key"]}"  {comment}\n'.encode(), "x.py")
    assert [f.suppressed for f in found] == ["inline-allow"]
    found = detect_bytes(f'k = "{creds["key"]}"  {comment}\n'.encode(), "x.py", inline_ignores=False)
    assert [f.suppressed for f in found] == [None]


def test_allow_next_line(creds: dict[str, str]) -> None:
    text = f'# pragma: allowlist nextline secret\nk = "{creds["key"]}"\nj = "{creds["key2"]}"\n'
    found = detect_bytes(text.encode(), "x.py")
    assert [(f.line, f.suppressed) for f in found] == [(2, "inline-allow"), (3, None)]


def test_invalid_utf8_is_scanned(creds: dict[str, str]) -> None:
    data = b"\xff\xfe\xfa garbage \x80\n" + f"key={creds['key']}\n".encode()
    assert [f.line for f in detect_bytes(data, "x.txt")] == [2]


def test_dockerfile_continuations_are_joined(creds: dict[str, str]) -> None:
    key, secret = creds["key"], creds["secret"]
    b = "\\"
    text = (
        f"FROM alpine\n# comment\nRUN echo hi && {b}\n    # inner comment\n"
        f"    aws configure set aws_access_key_id {key} && {b}\n"
        f"    aws configure set aws_secret_access_key {secret[:20]}{b}\n{secret[20:]}\n"
    )
    found = detect_bytes(text.encode(), "Dockerfile")
    assert [(f.kind, f.line, f.location.column) for f in found] == [(K, 5, 41), (S, 6, 45)]
    assert all(f.key_id == key and "history" in (f.note or "") for f in found)


def test_dockerfile_escape_directive(creds: dict[str, str]) -> None:
    text = f"# escape=`\nFROM x\nENV AWS_ACCESS_KEY_ID={creds['key']} `\n    AWS_SECRET_ACCESS_KEY={creds['secret']}\n"
    found = detect_bytes(text.encode(), "app.dockerfile")
    assert [(f.kind, f.line) for f in found] == [(K, 3), (S, 4)]
    assert all("override the ECS task role" in (f.note or "") for f in found)


def test_terraform_variable_default(creds: dict[str, str]) -> None:
    text = f'variable "aws_access_key" {{ default = "{creds["key"]}" }}\nvariable "aws_secret_key" {{\n  default = "{creds["secret"]}"\n}}\n'
    found = detect_bytes(text.encode(), "variables.tf")
    assert [(f.kind, f.line, f.key_id) for f in found] == [(K, 1, creds["key"]), (S, 3, creds["key"])]


def test_unnamed_secret_before_its_key(creds: dict[str, str]) -> None:
    text = f'SECRET_DEFAULT = os.getenv("S3_PASSWORD", "{creds["secret"]}")\nKEY = os.getenv("S3_USER", "{creds["key"]}")\n'
    found = detect_bytes(text.encode(), "x.py")
    assert sorted((f.kind, f.line) for f in found) == [(K, 2), (S, 1)]


def test_json_escaped_slashes(creds: dict[str, str]) -> None:
    secret = creds["secret"][:10] + "/" + creds["secret"][11:]
    escaped = secret.replace("/", "\\/")
    text = f'{{"AccessKeyId":"{creds["key"]}","SecretAccessKey":"{escaped}"}}\n'
    found = detect_bytes(text.encode(), "php-out.json")
    assert [(f.kind, f.key_id) for f in found] == [(K, creds["key"]), (S, creds["key"])]
    assert found[1].secret_sha1 == sha1_hex(secret)


@pytest.mark.parametrize("text", ["CONST_{key} = 1\n", "x = '{key}_backup'\n", "id: A{key}\n"])
def test_key_id_needs_word_boundaries(text: str, creds: dict[str, str]) -> None:
    assert detect_bytes(text.format(key=creds["key"]).encode(), "x.py") == []


@pytest.mark.parametrize(
    ("path", "template"),
    [
        (
            "App.config",
            '<add key="AWSAccessKey" value="{key}"/>\n<add key="AWSSecretKey" value="{secret}"/>\n',
        ),
        (
            "config.rb",
            "Aws.config.update(\n  :access_key_id => '{key}',\n  :secret_access_key => '{secret}'\n)\n",
        ),
        ("settings.gradle", 'aws {{\n  accessKey = "{key}"\n  secretKey = "{secret}"\n}}\n'),
        ("run.sh", "docker run -e AWS_ACCESS_KEY_ID={key} -e AWS_SECRET_ACCESS_KEY={secret} app\n"),
        ("ci.yml", "env:\n  AWS_ACCESS_KEY_ID: {key}\n  AWS_SECRET_ACCESS_KEY: {secret}\n"),
        ("app.php", "$s3 = new S3Client(['credentials' => ['key' => '{key}', 'secret' => '{secret}']]);\n"),
        ("Main.kt", 'val accessKey = "{key}"\nval secretKey = "{secret}"\n'),
        ("boto2.py", "conn = boto.connect_s3('{key}', '{secret}')\n"),
    ],
)
def test_more_carriers(path: str, template: str, creds: dict[str, str]) -> None:
    found = detect_bytes(template.format(key=creds["key"], secret=creds["secret"]).encode(), path)
    assert sorted(f.kind for f in found) == [K, S]
    assert all(f.key_id == creds["key"] for f in found)


@pytest.mark.parametrize(
    ("path", "template", "lines"),
    [
        (
            "variables.tf",
            'variable "aws_access_key" {{\n  type    = string\n  default = "{key}"\n}}\n'
            'variable "aws_secret_key" {{\n  type      = string\n  sensitive = true\n  default   = "{secret}"\n}}\n',
            [(K, 3), (S, 8)],
        ),
        (
            "template.yaml",
            "Parameters:\n  AccessKey:\n    Type: String\n    Default: {key}\n"
            "  SecretKey:\n    Type: String\n    NoEcho: true\n    Default: {secret}\n",
            [(K, 4), (S, 8)],
        ),
    ],
)
def test_declared_variables_and_parameters(
    path: str, template: str, lines: list[tuple[CredentialKind, int]], creds: dict[str, str]
) -> None:
    found = detect_bytes(template.format(key=creds["key"], secret=creds["secret"]).encode(), path)
    assert [(f.kind, f.line) for f in found] == lines
    assert all(f.key_id == creds["key"] for f in found)


@pytest.mark.parametrize("header", ["|", ">", "|-", ">-", "|+", ">+", "|2", "|2-", ">1+", "|-3", ">+9"])
def test_yaml_block_scalar_alone(header: str, creds: dict[str, str]) -> None:
    """No key ID nearby: the name alone carries the secret, whatever the block scalar header."""
    text = f"backup:\n  aws_secret_access_key: {header}\n    {creds['secret']}\n  region: eu-west-1\n"
    found = detect_bytes(text.encode(), "values.yaml")
    assert [(f.kind, f.line, f.suppressed) for f in found] == [(S, 3, None)]
