"""Check generated Terraform the way users deploy it: parsed, formatted and validated by terraform.

``terraform validate`` needs the AWS provider. The machine's provider mirror (a filesystem mirror
such as ``/opt/tf-plugins``, or ``KEYSHIFT_TF_MIRROR``) is used through a CLI config written for
the test, so nothing is downloaded (``terraform init`` cannot reach a registry offline). Without a
mirror only ``terraform fmt -check`` runs, which parses every file; without a binary tests skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

MIRRORS = ("/opt/tf-plugins", "/usr/share/terraform/plugins", str(Path.home() / ".terraform.d" / "plugins"))
_VERSIONS = 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'


def terraform() -> str | None:
    return shutil.which("terraform")


def mirror() -> str | None:
    for candidate in (os.environ.get("KEYSHIFT_TF_MIRROR"), *MIRRORS):
        if candidate and (Path(candidate) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return candidate
    return None


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def validate(folder: Path, work: Path) -> str:
    """Validate the ``*.tf`` of ``folder`` in a copy under ``work``; returns how ('validate' or 'fmt').

    Raises AssertionError with terraform's message when the configuration is rejected.
    """
    exe = terraform()
    assert exe is not None
    copy = work / "tf"
    copy.mkdir(parents=True)
    for tf in folder.glob("*.tf"):
        shutil.copy(tf, copy / tf.name)
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    fmt = _run(
        [exe, "fmt", "-check", "-diff", "-no-color", "."], copy, {**env, "TF_CLI_CONFIG_FILE": os.devnull}
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    plugins = mirror()
    if plugins is None:
        return "fmt"
    rc = work / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{plugins}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    (copy / "versions.tf").write_text(_VERSIONS)
    env["TF_CLI_CONFIG_FILE"] = str(rc)
    init = _run([exe, "init", "-backend=false", "-input=false", "-no-color"], copy, env)
    assert init.returncode == 0, init.stdout + init.stderr
    check = _run([exe, "validate", "-no-color", "-json"], copy, env)
    result = json.loads(check.stdout)
    assert result["valid"], check.stdout
    return "validate"


def resources(parsed: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(type, name): body}`` from python-hcl2's parse of a file."""
    out = {}
    for block in parsed.get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                out[(kind.strip('"'), name.strip('"'))] = body
    return out


def string_value(expression: str) -> str:
    """The value of an HCL quoted string as python-hcl2 returns it (quotes and escapes kept)."""
    assert expression.startswith('"') and expression.endswith('"'), expression
    body = expression[1:-1].replace("$${", "${").replace("%%{", "%{")
    return str(json.loads('"' + body + '"'))


def jsonencode_value(expression: str) -> Any:
    """The document inside ``${jsonencode({...})}`` as python-hcl2 returns it (quoted keys only)."""
    inner = expression.removeprefix("${jsonencode(").removesuffix(")}")
    as_json = re.sub(r'(?<!\\)" = ', '": ', inner).replace("$${", "${").replace("%%{", "%{")
    return json.loads(as_json)
