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
    return text[start : _block_end(text, start)]


def _block_end(text: str, start: int, opening: str = "{", closing: str = "}") -> int:
    """The index just past the bracket closing the one at ``start`` (the text's end if none)."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


#: a container's start command in HCL: ``command = ["gunicorn", "app:app"]`` (also ``"command" :``)
_TF_COMMAND = re.compile(r'"?\b(command|entryPoint)"?\s*[=:]\s*')
_TF_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
#: a value keyshift cannot read (a variable, a function call): the override is not followed
NOT_LITERAL = "<not a literal command>"
#: marks the container that only gathers a multi-container HCL task's environment and secrets
SETTINGS_ONLY = "keyshift:settings-only"


def _hcl_list(text: str, at: int) -> list[str] | str:
    """The literal string list starting at ``text[at]``, else ``NOT_LITERAL``."""
    if at >= len(text) or text[at] != "[":
        return NOT_LITERAL
    end = _block_end(text, at, "[", "]")
    inner = text[at + 1 : end - 1]
    words: list[str] = []
    position = 0
    for match in _TF_STRING.finditer(inner):
        if inner[position : match.start()].strip(" \t\r\n,"):
            return NOT_LITERAL  # something between the strings: a variable, a function call
        word = match.group(1)
        if "${" in word:
            return NOT_LITERAL
        words.append(word.replace('\\"', '"').replace("\\\\", "\\"))
        position = match.end()
    if inner[position:].strip(" \t\r\n,"):
        return NOT_LITERAL
    return words


def _hcl_containers(body: str) -> list[str]:
    """The objects of ``container_definitions = jsonencode([{...}, {...}])``, as text."""
    match = re.search(r"container_definitions\s*=\s*jsonencode\(\s*\[", body)
    if match is None:
        return []
    end = _block_end(body, match.end() - 1, "[", "]")
    out = []
    index = match.end()
    while index < end:
        if body[index] == "{":
            stop = _block_end(body, index)
            out.append(body[index:stop])
            index = stop
        else:
            index += 1
    return out


def _hcl_start(container: dict[str, Any], text: str) -> None:
    """``command``/``entryPoint`` of one container object written in HCL: its own keys only
    (a ``healthCheck``'s ``command`` is not what the container starts). One pass: the nesting
    depth is counted up to each match, and each key is read once."""
    depth = 0
    position = 0
    for match in _TF_COMMAND.finditer(text):
        for char in text[position : match.start()]:
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
        position = match.start()
        if depth == 1 and match.group(1) not in container:
            container[match.group(1)] = _hcl_list(text, match.end())


def terraform(root: Path, relpath: str, text: str) -> list[dict[str, Any]]:
    """Task definitions of ``aws_ecs_task_definition`` resources in one ``.tf`` file."""
    out: list[dict[str, Any]] = []
    base = PurePosixPath(relpath).parent
    done = 0  # resources inside one already read (or an unclosed one) are not read again
    for match in _TF_BLOCK.finditer(text):
        if match.start() < done:
            continue
        done = _block_end(text, match.end() - 1)
        body = text[match.end() - 1 : done]
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
            pieces = _hcl_containers(body)
            if len(pieces) > 1:  # each container's own start command (the rest as before)
                container[SETTINGS_ONLY] = True  # the settings of all: no container of its own
                containers = [container]
                for piece in pieces:
                    own: dict[str, Any] = {}
                    _hcl_start(own, piece)
                    containers.append(own)
            else:
                if pieces:
                    _hcl_start(container, pieces[0])
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
    container: dict[str, Any] = {
        "name": data["name"],
        "environment": [{"name": str(k), "value": str(v)} for k, v in variables.items()],
        "secrets": [
            {"name": str(k), "valueFrom": str(v.get("secretsmanager") if isinstance(v, dict) else v)}
            for k, v in secrets.items()
        ],
    }
    # Copilot's ``command``/``entrypoint`` override the image's, as a task definition's do
    for key, field_name in (("command", "command"), ("entrypoint", "entryPoint")):
        if key in data:
            value = data[key]
            literal = isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(x, str | int | float) for x in value)
            )
            container[field_name] = value if literal else NOT_LITERAL
    # Copilot creates the execution role itself
    return {
        "family": data["name"],
        "executionRoleArn": "copilot",
        "containerDefinitions": [container],
    }, context
