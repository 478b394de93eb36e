"""ECS task definitions written as Terraform, CloudFormation or Copilot manifests.

Each is turned into the shape of a registered task definition (``family``, ``executionRoleArn``,
``containerDefinitions`` with ``environment``/``secrets``/``image``/``logConfiguration``), so one
code path reads the environment, the blockers and the execution role's needs of every kind.
Nothing is evaluated: HCL is read with patterns (a ``file()``/``templatefile()`` target is read
only when it lies inside the repository), CloudFormation intrinsic tags are kept as plain values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

_TF_BLOCK = re.compile(r'resource\s+"aws_ecs_task_definition"\s+"([^"]+)"\s*\{')
_TF_FAMILY = re.compile(r'^\s*family\s*=\s*"([^"$]+)"', re.M)
_TF_FILE = re.compile(r'container_definitions\s*=\s*(?:file|templatefile)\(\s*"([^"]+)"')
_TF_EXECUTION = re.compile(r"^\s*execution_role_arn\s*=", re.M)
_TF_ENV = re.compile(
    r'\{\s*name\s*=\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,?\s*(value|valueFrom)\s*=\s*"([^"]*)"\s*,?\s*\}'
)
_TF_IMAGE = re.compile(r'\bimage\s*=\s*"([^"]+)"')
_TF_LOGS = re.compile(r'"?awslogs-group"?\s*=\s*"([^"]+)"')


def _block(text: str, start: int) -> str:
    """The text of the ``{...}`` block opening at ``start`` (braces in strings are rare in HCL)."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return text[start:]


def terraform(root: Path, relpath: str, text: str) -> list[dict[str, Any]]:
    """Task definitions of ``aws_ecs_task_definition`` resources in one ``.tf`` file."""
    out: list[dict[str, Any]] = []
    base = PurePosixPath(relpath).parent
    for match in _TF_BLOCK.finditer(text):
        body = _block(text, match.end() - 1)
        family = _TF_FAMILY.search(body)
        containers: list[Any] = []
        linked = _TF_FILE.search(body)
        if linked:
            target = linked.group(1).replace("${path.module}", ".").replace("${path.root}", ".")
            path = (root / base / target).resolve()
            if path.is_file() and path.is_relative_to(root.resolve()) and path.stat().st_size < 1_000_000:
                raw = path.read_text(encoding="utf-8", errors="replace")
                try:
                    data = json.loads(re.sub(r"\$\{[^}]*\}", "", raw))
                except ValueError:
                    data = None
                if isinstance(data, list):
                    containers = data
        if not containers:  # jsonencode([...]) in HCL: the pieces that matter, by pattern
            container: dict[str, Any] = {"environment": [], "secrets": []}
            for name, kind, value in _TF_ENV.findall(body):
                if kind == "value":
                    container["environment"].append({"name": name, "value": value})
                else:
                    container["secrets"].append({"name": name, "valueFrom": value})
            image = _TF_IMAGE.search(body)
            if image:
                container["image"] = image.group(1)
            logs = _TF_LOGS.search(body)
            if logs:
                container["logConfiguration"] = {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": logs.group(1)},
                }
            containers = [container]
        out.append(
            {
                "family": family.group(1) if family else match.group(1),
                "executionRoleArn": "terraform" if _TF_EXECUTION.search(body) else None,
                "containerDefinitions": containers,
            }
        )
    return out


def _lower_keys(value: Any) -> Any:
    """CloudFormation's ``ContainerDefinitions``/``Environment``/``Name`` as the API spells them."""
    if isinstance(value, dict):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): _lower_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _cfn_loader() -> Any:
    import yaml  # type: ignore[import-untyped]

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        pass

    def intrinsic(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)

    Loader.add_multi_constructor("!", intrinsic)
    return Loader


def cloudformation(text: str) -> list[dict[str, Any]]:
    """Task definitions of ``AWS::ECS::TaskDefinition`` resources in a template (JSON or YAML)."""
    import yaml

    try:
        data = yaml.load(text, Loader=_cfn_loader())  # a SafeLoader subclass
    except yaml.YAMLError:
        return []
    resources = data.get("Resources") if isinstance(data, dict) else None
    if not isinstance(resources, dict):
        return []
    out = []
    for logical, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::ECS::TaskDefinition":
            continue
        properties = _lower_keys(resource.get("Properties") or {})
        family = properties.get("family")
        out.append(
            {
                "family": family if isinstance(family, str) else str(logical),
                "executionRoleArn": properties.get("executionRoleArn"),
                "containerDefinitions": properties.get("containerDefinitions") or [],
            }
        )
    return out


def copilot(relpath: str, text: str) -> tuple[dict[str, Any], str | None] | None:
    """A Copilot service manifest as a task definition, and its Docker build context."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or "type" not in data:
        return None
    variables: dict[str, Any] = data["variables"] if isinstance(data.get("variables"), dict) else {}
    secrets: dict[str, Any] = data["secrets"] if isinstance(data.get("secrets"), dict) else {}
    image: dict[str, Any] = data["image"] if isinstance(data.get("image"), dict) else {}
    build = image.get("build")
    context: str | None = None
    if isinstance(build, str):
        context = str(PurePosixPath(build).parent)
    elif isinstance(build, dict):
        context = build.get("context") or (
            str(PurePosixPath(build["dockerfile"]).parent)
            if isinstance(build.get("dockerfile"), str)
            else None
        )
    container = {
        "name": data["name"],
        "environment": [{"name": str(k), "value": str(v)} for k, v in variables.items()],
        "secrets": [
            {"name": str(k), "valueFrom": str(v.get("secretsmanager") if isinstance(v, dict) else v)}
            for k, v in secrets.items()
        ],
    }
    # Copilot creates the execution role itself
    return {
        "family": data["name"],
        "executionRoleArn": "copilot",
        "containerDefinitions": [container],
    }, context
