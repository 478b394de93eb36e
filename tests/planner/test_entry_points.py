"""A workload's code starts at its entry points, end to end through ``keyshift plan``.

Each row is a small repository: a start command shape (Dockerfile CMD running a module of a
subfolder, gunicorn, uvicorn, a Procfile, a Django project with apps in sibling folders, an
entrypoint script ending in ``exec "$@"``, a compose ``command``) with the AWS calls its entry
points reach and calls in the build context they never reach (tests, one-off scripts). Reached
calls are granted; unreached ones are not, and the role's notes name their files. A start
command keyshift cannot follow keeps the folder-wide behaviour and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import make_repo, permissions
from .plan_helpers import plan_json as plan

CREDS = 'region_name="us-east-1", aws_access_key_id="{{key:111122223333:ep}}", aws_secret_access_key="{{secret:ep}}"'
CLIENT = f"import boto3\ns3 = boto3.client('s3', {CREDS})\n"


def _store(bucket: str) -> str:
    return CLIENT + f"\n\ndef save(data):\n    s3.put_object(Bucket='{bucket}', Key='in/x', Body=data)\n"


#: a one-off admin script on the default chain (it never used the key): not reached, not granted
ONE_OFF = "import boto3\ns3 = boto3.client('s3')\ns3.delete_bucket(Bucket='acme-live')\n"
TEST = "import boto3\n\n\ndef test_x():\n    boto3.client('s3').delete_object(Bucket='acme-live', Key='k')\n"

SHAPES: dict[str, dict[str, str]] = {
    "root-dockerfile-module-in-subfolder": {
        "Dockerfile": 'FROM python:3.12\nWORKDIR /srv\nCOPY src/ /srv/\nCMD ["python", "-m", "svc.main"]\n',
        "src/svc/__init__.py": "",
        "src/svc/main.py": "from svc.store import save\nsave(b'')\n",
        "src/svc/store.py": _store("acme-live"),
        "scripts/backfill.py": ONE_OFF,
        "tests/test_store.py": TEST,
    },
    "root-dockerfile-image-path": {
        "Dockerfile": "FROM python:3.12\nCOPY src/ /app/\nCMD python /app/main.py\n",
        "src/main.py": "from store import save\nsave(b'')\n",
        "src/store.py": _store("acme-live"),
        "src/oneoff.py": ONE_OFF,
    },
    "gunicorn-wsgi": {
        "Dockerfile": (
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\n"
            'CMD ["gunicorn", "-w", "4", "--bind", "0.0.0.0:8000", "web.wsgi:application"]\n'
        ),
        "web/__init__.py": "",
        "web/wsgi.py": "from web.views import application\n",
        "web/views.py": "from web.store import save\n\n\ndef application(env, start):\n    save(b'')\n",
        "web/store.py": _store("acme-live"),
        "web/admin_tool.py": ONE_OFF,
    },
    "uvicorn-asgi": {
        "Dockerfile": (
            "FROM python:3.12\nWORKDIR /code\nCOPY . /code\n"
            "CMD uvicorn api.main:app --host 0.0.0.0 --port 80 --app-dir src\n"
        ),
        "src/api/__init__.py": "",
        "src/api/main.py": "from fastapi import FastAPI\nfrom api.store import save\napp = FastAPI()\n",
        "src/api/store.py": _store("acme-live"),
        "src/api/migrate_once.py": ONE_OFF,
    },
    "procfile": {
        "Procfile": "web: gunicorn app:app\nworker: celery -A tasks worker --loglevel=info\n",
        "app.py": "from flask import Flask\nfrom store import save\napp = Flask(__name__)\n",
        "tasks.py": "from celery import Celery\nfrom store import save\napp = Celery()\n",
        "store.py": _store("acme-live"),
        "manage_data.py": ONE_OFF,
    },
    "entrypoint-script": {
        "Dockerfile": (
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\n"
            'ENTRYPOINT ["./docker-entrypoint.sh"]\nCMD ["python", "run.py"]\n'
        ),
        "docker-entrypoint.sh": '#!/bin/sh\nset -e\necho "starting"\nexec "$@"\n',
        "run.py": "from store import save\nsave(b'')\n",
        "store.py": _store("acme-live"),
        "cleanup.py": ONE_OFF,
    },
    "compose-command": {
        "docker-compose.yml": (
            "services:\n  api:\n    build: ./api\n    command: python -m api.serve\n"
            "  db:\n    image: postgres:16\n"
        ),
        "api/Dockerfile": 'FROM python:3.12\nWORKDIR /srv\nCOPY . /srv/api\nCMD ["python", "-m", "api.other"]\n',
        "api/__init__.py": "",
        "api/serve.py": "from api.store import save\nsave(b'')\n",
        "api/store.py": _store("acme-live"),
        "api/other.py": ONE_OFF,
    },
    "django-apps-in-sibling-folders": {
        "Dockerfile": (
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\n"
            'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]\n'
        ),
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
        "mysite/__init__.py": "",
        "mysite/wsgi.py": (
            "import os\nfrom django.core.wsgi import get_wsgi_application\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
            "application = get_wsgi_application()\n"
        ),
        "mysite/settings.py": (
            "INSTALLED_APPS = ['django.contrib.admin', 'orders', 'billing.apps.BillingConfig']\n"
            "ROOT_URLCONF = 'mysite.urls'\n"
        ),
        "mysite/urls.py": "urlpatterns = []\n",
        "orders/__init__.py": "",
        "orders/models.py": "from orders.store import save\n",
        "orders/store.py": _store("acme-live"),
        "billing/__init__.py": "",
        "billing/apps.py": "from django.apps import AppConfig\n\n\nclass BillingConfig(AppConfig):\n    name = 'billing'\n",
        "billing/signals.py": CLIENT
        + "\n\ndef on_paid(invoice):\n    s3.get_object(Bucket='acme-invoices', Key='i/x')\n",
        "scripts/reindex.py": ONE_OFF,
    },
    "taskdef-command-override": {
        "Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["python", "other.py"]\n',
        "ecs/taskdef.json": (
            '{"family": "svc", "containerDefinitions": [{"name": "app", "image": "svc",'
            ' "command": ["python", "-m", "serve"]}]}'
        ),
        "serve.py": "from store import save\nsave(b'')\n",
        "store.py": _store("acme-live"),
        "other.py": ONE_OFF,
    },
    "console-script": {
        "Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install .\nCMD ["svc-serve", "--port", "80"]\n',
        "pyproject.toml": '[project]\nname = "svc"\n\n[project.scripts]\nsvc-serve = "svc.cli:main"\n',
        "src/svc/__init__.py": "",
        "src/svc/cli.py": "from svc.store import save\n\n\ndef main():\n    save(b'')\n",
        "src/svc/store.py": _store("acme-live"),
        "src/svc/admin.py": ONE_OFF,
    },
}
#: what each shape grants: every reached call, nothing of the unreached ones
EXPECTED: dict[str, dict[str, list[str]]] = {
    name: {"s3:PutObject": ["arn:aws:s3:::acme-live/in/x"]} for name in SHAPES
}
EXPECTED["django-apps-in-sibling-folders"]["s3:GetObject"] = ["arn:aws:s3:::acme-invoices/i/x"]
UNREACHED = {
    "root-dockerfile-module-in-subfolder": "scripts/backfill.py, tests/test_store.py",
    "root-dockerfile-image-path": "src/oneoff.py",
    "gunicorn-wsgi": "web/admin_tool.py",
    "uvicorn-asgi": "src/api/migrate_once.py",
    "procfile": "manage_data.py",
    "entrypoint-script": "cleanup.py",
    "compose-command": "api/other.py",
    "django-apps-in-sibling-folders": "scripts/reindex.py",
    "taskdef-command-override": "other.py",
    "console-script": "src/svc/admin.py",
}



@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_entry_points_decide_the_grants(shape: str, tmp_path: Path) -> None:
    data = plan(make_repo(tmp_path / shape, SHAPES[shape]))
    (role,) = data["roles"]
    assert permissions(role) == EXPECTED[shape]
    notes = "\n".join(role["notes"])
    assert "entry points followed: " in notes
    assert f"not reached from the entry point(s), so not granted: {UNREACHED[shape]}" in notes
    assert "s3:DeleteBucket" not in json.dumps(data)


def test_unreached_code_using_the_key_is_granted_and_named(tmp_path: Path) -> None:
    """A script in the image that calls AWS with the key still runs after the key is revoked: its
    calls are granted and the note names it. A default-chain script beside it is not granted."""
    files = {
        **SHAPES["procfile"],
        "rotate_keys.py": CLIENT + "s3.delete_object(Bucket='acme-live', Key='stale')\n",
    }
    data = plan(make_repo(tmp_path / "svc", files))
    (role,) = data["roles"]
    assert permissions(role)["s3:DeleteObject"] == ["arn:aws:s3:::acme-live/stale"]
    assert "s3:DeleteBucket" not in permissions(role)
    notes = "\n".join(role["notes"])
    assert "granted although no entry point reaches it" in notes and "rotate_keys.py" in notes
    assert f"so not granted: {UNREACHED['procfile']}" in notes


MONOREPO = {
    "billing/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["python", "-m", "billing.main"]\n',
    "billing/__init__.py": "",
    "billing/main.py": (
        "import boto3\nfrom common.files import upload\n"
        "s3 = boto3.client('s3', region_name='us-east-1', aws_access_key_id='{{key:111122223333:bill}}',"
        " aws_secret_access_key='{{secret:bill}}')\nupload(s3, 'acme-billing', 'invoices/')\n"
    ),
    "reports/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["python", "-m", "reports.main"]\n',
    "reports/__init__.py": "",
    "reports/main.py": (
        "import boto3\nfrom common.files import upload\n"
        "s3 = boto3.client('s3', region_name='us-east-1', aws_access_key_id='{{key:111122223333:rep}}',"
        " aws_secret_access_key='{{secret:rep}}')\nupload(s3, 'acme-reports', 'daily/')\n"
    ),
    "common/__init__.py": "",
    "common/files.py": "def upload(client, bucket, prefix):\n    client.put_object(Bucket=bucket, Key='out.csv', Body=b'')\n",
    "common/tests/test_files.py": TEST,
}


def test_monorepo_shared_library_values_per_service(tmp_path: Path) -> None:
    data = plan(make_repo(tmp_path / "mono", MONOREPO))
    roles = {r["name"]: permissions(r) for r in data["roles"]}
    assert roles == {
        "billing-task-role": {"s3:PutObject": ["arn:aws:s3:::acme-billing/out.csv"]},
        "reports-task-role": {"s3:PutObject": ["arn:aws:s3:::acme-reports/out.csv"]},
    }


UNFOLLOWABLE = {
    "missing-script": (
        'ENTRYPOINT ["/usr/local/bin/start-app"]\n',
        "start-app, which is not in the build context",
    ),
    "unknown-launcher": (
        'CMD ["s6-svscan", "/etc/services"]\n',
        "runs s6-svscan, which keyshift cannot",
    ),
    "missing-supervisord-config": (
        'CMD ["supervisord", "-c", "/etc/sup.conf"]\n',
        "runs supervisord with sup.conf, which is not in the build context",
    ),
    "inline-python": ('CMD ["python", "-c", "import app"]\n', "runs inline Python (python -c)"),
    "package-without-main": (
        'CMD ["python", "-m", "pkg"]\n',
        "runs the package pkg, which has no __main__.py",
    ),
    "no-cmd": ("", "no CMD or ENTRYPOINT"),
}


@pytest.mark.parametrize("case", sorted(UNFOLLOWABLE))
def test_unfollowable_entry_point_falls_back_with_a_note(case: str, tmp_path: Path) -> None:
    line, why = UNFOLLOWABLE[case]
    files = {
        "svc/Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\n" + line,
        "svc/app.py": "from store import save\n",
        "svc/pkg/__init__.py": "",
        "svc/store.py": _store("acme-live"),
        "svc/oneoff.py": ONE_OFF,
    }
    data = plan(make_repo(tmp_path / case, files))
    (role,) = data["roles"]
    # today's behaviour: every call of the folder, the one-off script's too
    assert set(permissions(role)) == {"s3:PutObject", "s3:DeleteBucket"}
    notes = "\n".join(role["notes"])
    assert why in notes and "the workload's code is its folder and everything it imports" in notes
    assert "entry points followed" not in notes


def test_settings_naming_thousands_of_apps_fall_back(tmp_path: Path) -> None:
    apps = ", ".join(f"'app{i}'" for i in range(600))
    files = {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
        "mysite/__init__.py": "",
        "mysite/settings.py": f"INSTALLED_APPS = [{apps}]\n",
        "mysite/store.py": _store("acme-live"),
        "scripts/oneoff.py": ONE_OFF,
    }
    (role,) = plan(make_repo(tmp_path / "many", files))["roles"]
    assert set(permissions(role)) == {"s3:PutObject", "s3:DeleteBucket"}
    assert any("cannot find or follow" in n for n in role["notes"])


def test_migrate_writes_the_entry_point_plan(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "svc", SHAPES["root-dockerfile-module-in-subfolder"])
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(repo), "--out", str(out), "--no-history", "-q"])
    assert result.exit_code == 1, result.output
    plan_json = json.loads((out / "roles" / "plan.json").read_text())
    (role,) = plan_json["roles"]
    assert permissions(role) == {"s3:PutObject": ["arn:aws:s3:::acme-live/in/x"]}
    assert any("scripts/backfill.py" in n for n in role["notes"])


def test_unreached_key_client_is_granted_where_its_users_call_it(tmp_path: Path) -> None:
    """The key's client is built in one module and called in another that imports it; no entry
    point reaches either. The calls are made in the importer, so that is what is granted."""
    files = {
        **SHAPES["procfile"],
        "helpers/__init__.py": "",
        "helpers/clients.py": CLIENT,
        "helpers/mail.py": "from helpers.clients import s3\n\n\ndef purge():\n"
        "    s3.delete_object(Bucket='acme-live', Key='old')\n",
    }
    data = plan(make_repo(tmp_path / "svc", files))
    (role,) = data["roles"]
    assert permissions(role)["s3:DeleteObject"] == ["arn:aws:s3:::acme-live/old"]
    assert any("helpers/clients.py" in n and "no entry point reaches it" in n for n in role["notes"])
