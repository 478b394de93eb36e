"""The analysis binds imports with the same resolver the workload discovery follows them with.

``import storage`` in ``svc/main.py`` loads ``svc/storage.py`` (the script's folder is on
``sys.path``); ``svc/lib/storage.py`` is ``lib.storage`` inside the regular package ``lib``, never
``storage`` for a file outside it. The analysis used to pick between them by path order and sent
``main``'s bucket to the wrong ``save``: the grant went to a function the import never reaches.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import make_repo

CREDS = 'region_name="us-east-1", aws_access_key_id="{{key:111122223333:res}}", aws_secret_access_key="{{secret:res}}"'
STORE = f"import boto3\ns3 = boto3.client('s3', {CREDS})\n\n\ndef save(bucket):\n    s3.put_object(Bucket=bucket, Key='{{key}}', Body=b'')\n"
FILES = {
    "svc/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["python", "main.py"]\n',
    "svc/main.py": "import storage\nimport lib\n\nstorage.save('acme-right')\nlib.run()\n",
    "svc/storage.py": STORE.replace("{key}", "top"),
    "svc/lib/__init__.py": "from lib import storage\n\n\ndef run():\n    storage.save('acme-lib')\n",
    "svc/lib/storage.py": STORE.replace("{key}", "inner"),
}


def test_import_binds_the_module_python_loads(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", FILES)
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    (role,) = json.loads(result.stdout)["roles"]
    (put,) = [p for p in role["permissions"] if p["action"] == "s3:PutObject"]
    assert sorted(put["resources"]) == ["arn:aws:s3:::acme-lib/inner", "arn:aws:s3:::acme-right/top"]
