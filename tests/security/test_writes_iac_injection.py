"""Attack: names from the repository inject code into the generated Terraform and CloudFormation.

A docker-compose service name, a task-definition ``family`` or a folder name that closes the
string and adds ``resource "terraform_data" ... provisioner "local-exec"`` must come out as
data: a valid IAM role name (with a note naming the file it came from), Terraform that holds
only the role and its policy (python-hcl2) and that terraform accepts, CloudFormation with only
the role. Each case is a real git repository planned end to end through the CLI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import git, init_repo
from tests.security import tfcheck
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.planner import hcl

hcl2 = pytest.importorskip("hcl2")

KEY = fake_key_id("123456789012", seed="inject")
SECRET = fake_secret("inject")
PAYLOAD = (
    'x" }\n'
    'resource "terraform_data" "pwn" {\n'
    '  provisioner "local-exec" {\n'
    '    command = "touch pwned"\n'
    "  }\n"
    "}\n"
    'resource "aws_iam_role" "y" {\n'
    '  name = "${file("x")}'
)
FOLDER_PAYLOAD = PAYLOAD.replace("/", "_")  # a folder name cannot hold a slash
# a bucket name (a string value, not a name) that carries template sequences and quotes
BUCKET = 'evil"${file("~")}%{ if true }'
APP = (
    "import boto3\n"
    f's3 = boto3.client("s3", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
    f's3.get_object(Bucket={BUCKET!r}, Key="k")\n'
)


def _compose(directory: str) -> dict[str, str]:
    compose = {"services": {PAYLOAD: {"build": {"context": directory}}}}
    return {"docker-compose.yml": json.dumps(compose), f"{directory}/app.py": APP}


def _family(directory: str) -> dict[str, str]:
    taskdef = {"family": PAYLOAD, "containerDefinitions": [{"name": "app", "image": "app:1"}]}
    return {f"{directory}/ecs/task-definition.json": json.dumps(taskdef), f"{directory}/app.py": APP}


def _folder(_: str) -> dict[str, str]:
    return {f"{FOLDER_PAYLOAD}/Dockerfile": "FROM python:3.12\n", f"{FOLDER_PAYLOAD}/app.py": APP}


CASES = [
    ("compose-service", _compose, "docker-compose.yml"),
    ("taskdef-family", _family, "svc/ecs/task-definition.json"),
    ("folder", _folder, f"{FOLDER_PAYLOAD}/Dockerfile"),
]


def _repo(path: Path, files: dict[str, str]) -> Path:
    init_repo(path)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "hostile names")
    return path


@pytest.mark.parametrize(("case", "build", "origin"), CASES, ids=[c[0] for c in CASES])
def test_hostile_names_stay_data(case: str, build: object, origin: str, tmp_path: Path) -> None:
    assert callable(build)
    root = _repo(tmp_path / "repo", build("svc"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["plan", str(root), "--format", "json", "--out", str(out), "--exit-zero"]
    )
    assert result.exit_code == 0, result.output
    (role,) = json.loads(result.stdout)["roles"]
    assert re.fullmatch(r"[A-Za-z0-9_+=,.@-]{1,64}", role["name"]), role["name"]
    assert role["service"] in (PAYLOAD, FOLDER_PAYLOAD)  # the raw name is kept as data, for the report
    assert any(origin in note and "not valid in an IAM role name" in note for note in role["notes"])
    assert not (tmp_path / "pwned").exists()

    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    main_tf = (folder / "main.tf").read_text(encoding="utf-8")
    with (folder / "main.tf").open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    resources = tfcheck.resources(parsed)
    assert {kind for kind, _ in resources} == {"aws_iam_role", "aws_iam_role_policy"}
    assert len(resources) == 2
    assert "terraform_data" not in {k for block in parsed.get("resource", []) for k in block}
    (role_body,) = [body for (kind, _), body in resources.items() if kind == "aws_iam_role"]
    assert tfcheck.string_value(role_body["name"]) == role["name"]
    (policy_body,) = [body for (kind, _), body in resources.items() if kind == "aws_iam_role_policy"]
    assert tfcheck.jsonencode_value(policy_body["policy"]) == role["policy"]
    # the bucket's template sequences are literal in Terraform: doubled, never evaluated
    assert "$${file(" in main_tf and "%%{ if true }" in main_tf
    assert any("${file(" in json.dumps(s["Resource"]) for s in role["policy"]["Statement"])

    template = json.loads((folder / "cloudformation.json").read_text(encoding="utf-8"))
    assert list(template["Resources"]) == ["TaskRole"]
    assert template["Resources"]["TaskRole"]["Properties"]["RoleName"] == role["name"]


@pytest.mark.skipif(tfcheck.terraform() is None, reason="no terraform binary on this machine")
def test_terraform_accepts_the_hostile_plan(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", _compose("svc"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    how = tfcheck.validate(folder, tmp_path / "work")
    assert how in ("validate", "fmt")
    if tfcheck.mirror() is not None:
        assert how == "validate"
    # terraform's own view of the configuration: the two IAM resources and nothing else
    shown = subprocess.run(
        ["grep", "-c", "^resource ", str(tmp_path / "work" / "tf" / "main.tf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.stdout.strip() == "2"


def test_hostile_names_through_migrate(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", _compose("svc"))
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(root), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    for main_tf in (out / "roles").glob("*/main.tf"):
        with main_tf.open(encoding="utf-8") as handle:
            kinds = set(k for k, _ in tfcheck.resources(hcl2.load(handle)))
        assert kinds == {"aws_iam_role", "aws_iam_role_policy"}


_ALPHABET = list('ab"\\$%{}\n\r\t #/*=\x00\x1b\x7f\x85\u2028é')


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from([c for c in _ALPHABET if c not in "$%"]), max_size=40))
def test_quote_round_trips_through_an_hcl_parser(value: str) -> None:
    # python-hcl2 misreads a closing quote right after ``$${``/``%%{``: terraform is the oracle below
    text = hcl.document([hcl.Block("locals", (), [("v", value)], comments=(value,))])
    parsed = hcl2.loads(text)
    assert [k for k in parsed if not k.startswith("__")] == ["locals"]
    (body,) = parsed["locals"]
    assert set(body) - {"__is_block__"} == {"v"}
    assert tfcheck.string_value(body["v"]) == value


_CONSOLE = [c for c in _ALPHABET if c != "\x7f"]  # console prints DEL as Go's \x7f, not JSON


@pytest.mark.skipif(tfcheck.terraform() is None, reason="no terraform binary on this machine")
@settings(max_examples=5, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(_CONSOLE), max_size=30), min_size=40, max_size=40))
def test_terraform_reads_back_every_quoted_string(values: list[str]) -> None:
    import tempfile

    values = [*values, PAYLOAD, BUCKET, "%{", "${", "$${", "%%{", "\\u0041"]
    attributes = [(f"v{i}", v) for i, v in enumerate(values)]
    text = hcl.document([hcl.Block("locals", (), attributes, comments=tuple(values))])
    with tempfile.TemporaryDirectory() as work:
        Path(work, "main.tf").write_text(text, encoding="utf-8")
        expression = "jsonencode([" + ", ".join(f"local.v{i}" for i in range(len(values))) + "])\n"
        proc = subprocess.run(
            [str(tfcheck.terraform()), "console"],
            input=expression,
            cwd=work,
            env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    # console prints the JSON text as a quoted string (template sequences not doubled)
    got = json.loads(json.loads(proc.stdout.strip(), strict=False))
    assert got == values


@pytest.mark.parametrize("name", ["", "1x", "a b", 'a"', "a\nb", "a.b", "ä"])
def test_hcl_identifiers_are_checked(name: str) -> None:
    with pytest.raises(ValueError):
        hcl.identifier(name)


def test_cloudformation_of_the_hostile_plan_passes_cfn_lint(tmp_path: Path) -> None:
    import shutil
    import sys

    root = _repo(tmp_path / "repo", _compose("svc"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    (template,) = out.glob("*/cloudformation.json")
    exe = shutil.which("cfn-lint")
    command = [exe] if exe else [sys.executable, "-m", "cfnlint"]
    proc = subprocess.run([*command, str(template)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_derived_names_fit_their_grammars(raw: str) -> None:
    from keyshift.planner import names

    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,254}", names.logical_id(raw))
    template = names.parse_template(names.DEFAULT_TEMPLATE, "test")
    role, note = names.role_name(template, service=raw, origin="x.yml", key_id=KEY, index=1)
    assert re.fullmatch(r"[A-Za-z0-9_+=,.@-]{1,64}", role)
    assert (note is None) == (names.safe_part(raw) == raw)
    assert hcl.IDENTIFIER.fullmatch(iac_tf_name(role))


def iac_tf_name(role: str) -> str:
    from keyshift.planner.iac import _tf_name

    return _tf_name(role)
