"""Task definitions written as Terraform, CloudFormation or a Copilot manifest override the
image's start command just as a JSON task definition does, end to end through ``keyshift plan``.

Each row is a service whose Dockerfile starts a one-off script (on the default chain) while its
task definition's container runs ``serve``: the override's calls are granted, the image command's
are not. A ``healthCheck``'s ``command`` is not the container's. An override keyshift cannot read
(a variable, an intrinsic function) keeps the folder-wide behaviour and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .plan_helpers import make_repo, permissions
from .plan_helpers import plan_json as plan

CREDS = 'region_name="us-east-1", aws_access_key_id="{{key:111122223333:iac}}", aws_secret_access_key="{{secret:iac}}"'
STORE = (
    f"import boto3\ns3 = boto3.client('s3', {CREDS})\n\n\n"
    "def save(data):\n    s3.put_object(Bucket='acme-live', Key='in/x', Body=data)\n"
)
ONE_OFF = "import boto3\nboto3.client('s3').delete_bucket(Bucket='acme-live')\n"
BASE = {
    "Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["python", "other.py"]\n',
    "serve.py": "from store import save\nsave(b'')\n",
    "store.py": STORE,
    "other.py": ONE_OFF,
}

TF_INLINE = """resource "aws_ecs_task_definition" "svc" {
  family                   = "svc"
  requires_compatibilities = ["FARGATE"]
  container_definitions = jsonencode([
    {
      name        = "app"
      image       = "svc:latest"
      healthCheck = { command = ["CMD-SHELL", "python other.py"] }
      command     = ["python", "-m", "serve"]
    }
  ])
}
"""
TF_FILE = """resource "aws_ecs_task_definition" "svc" {
  family                = "svc"
  container_definitions = templatefile("${path.module}/containers.json", { tag = var.tag })
}
"""
CONTAINERS_JSON = (
    '[{"name": "app", "image": "svc:${tag}", "entryPoint": ["python"], "command": ["serve.py"]}]'
)
CFN = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: svc
      ContainerDefinitions:
        - Name: app
          Image: svc:latest
          Command: ["python", "-m", "serve"]
"""
COPILOT = """name: svc
type: Backend Service
image:
  build: Dockerfile
command: python -m serve
"""

TF_TWO = """resource "aws_ecs_task_definition" "svc" {
  family = "svc"
  container_definitions = jsonencode([
    { name = "app", image = "svc:latest", command = ["python", "-m", "serve"] },
    { name = "jobs", image = "svc:latest", entryPoint = ["python"], command = ["serve.py"] },
  ])
}
"""

SHAPES: dict[str, dict[str, str]] = {
    "terraform-jsonencode": {**BASE, "infra/main.tf": TF_INLINE},
    "terraform-templatefile": {**BASE, "infra/main.tf": TF_FILE, "infra/containers.json": CONTAINERS_JSON},
    "terraform-two-containers": {**BASE, "infra/main.tf": TF_TWO},
    "cloudformation": {**BASE, "cfn/task.yaml": CFN},
    "copilot": {**BASE, "copilot/svc/manifest.yml": COPILOT},
}



@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_iac_command_override_decides_the_grants(shape: str, tmp_path: Path) -> None:
    data = plan(make_repo(tmp_path / shape, SHAPES[shape]))
    (role,) = data["roles"]
    assert permissions(role) == {"s3:PutObject": ["arn:aws:s3:::acme-live/in/x"]}
    notes = "\n".join(role["notes"])
    assert "entry points followed: " in notes and "serve.py" in notes
    assert "not reached from the entry point(s), so not granted: other.py" in notes


NOT_LITERAL = {
    "terraform-variable": (
        "infra/main.tf",
        TF_INLINE.replace('["python", "-m", "serve"]', "var.command"),
    ),
    "terraform-interpolation": (
        "infra/main.tf",
        TF_INLINE.replace('["python", "-m", "serve"]', '["python", "${var.module}"]'),
    ),
    "cloudformation-intrinsic": (
        "cfn/task.json",
        json.dumps(
            {
                "Resources": {
                    "Task": {
                        "Type": "AWS::ECS::TaskDefinition",
                        "Properties": {
                            "Family": "svc",
                            "ContainerDefinitions": [
                                {"Name": "app", "Command": {"Fn::Split": [",", {"Ref": "Cmd"}]}}
                            ],
                        },
                    }
                }
            }
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_LITERAL))
def test_unreadable_override_falls_back_to_the_folder(case: str, tmp_path: Path) -> None:
    path, text = NOT_LITERAL[case]
    data = plan(make_repo(tmp_path / case, {**BASE, path: text}))
    (role,) = data["roles"]
    granted = permissions(role)
    assert granted["s3:PutObject"] == ["arn:aws:s3:::acme-live/in/x"]
    assert "s3:DeleteBucket" in granted  # the folder is the code: nothing it may run is missed
    notes = "\n".join(role["notes"])
    assert "not a literal list" in notes and "the workload's code is its folder" in notes
