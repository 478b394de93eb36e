"""App server and process manager config files are entry points, end to end through ``keyshift plan``.

Each row is a service whose start command names no application itself: gunicorn reads
``wsgi_app`` from ``-c``/``--config`` or its default ``./gunicorn.conf.py``, uwsgi ``module`` or
``wsgi-file`` from an ini, supervisord runs the ``[program:x] command=`` lines of its
configuration and of the files its ``[include]`` adds. The reached calls are granted, a one-off
script in the same image is not. A config keyshift cannot read keeps the folder-wide behaviour
and says so. The files are read as data: none of them runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .plan_helpers import make_repo, permissions
from .plan_helpers import plan_json as plan

CREDS = 'region_name="us-east-1", aws_access_key_id="{{key:111122223333:cfg}}", aws_secret_access_key="{{secret:cfg}}"'
STORE = (
    f"import boto3\ns3 = boto3.client('s3', {CREDS})\n\n\n"
    "def save(data):\n    s3.put_object(Bucket='acme-live', Key='in/x', Body=data)\n"
)
ONE_OFF = "import boto3\nboto3.client('s3').delete_bucket(Bucket='acme-live')\n"
DOCKER = "FROM python:3.12\nWORKDIR /app\nCOPY . .\n"
WEB = {
    "web/__init__.py": "",
    "web/wsgi.py": "from web.store import save\n\n\ndef application(env, start):\n    save(b'')\n",
    "web/store.py": STORE,
    "oneoff.py": ONE_OFF,
}
WORKER = "import boto3\nboto3.client('sqs', region_name='us-east-1').receive_message(QueueUrl='https://sqs.us-east-1.amazonaws.com/111122223333/jobs')\n"
SUPERVISOR = (
    "[supervisord]\nnodaemon=true\n\n"
    "[program:web]\ncommand=gunicorn --bind 0.0.0.0:8000 web.wsgi:application\ndirectory=/app\n\n"
    "[program:nginx]\ncommand=nginx -g 'daemon off;'\n\n"
    "[include]\nfiles = conf.d/*.conf\n"
)

SHAPES: dict[str, dict[str, str]] = {
    "gunicorn-c": {
        **WEB,
        "Dockerfile": DOCKER + 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]\n',
        "deploy/gunicorn.conf.py": 'bind = "0.0.0.0:8000"\nworkers = 4\nwsgi_app = "web.wsgi:application"\n',
    },
    "gunicorn-config-chdir": {
        **{f"src/{k}" if k != "oneoff.py" else k: v for k, v in WEB.items()},
        "Dockerfile": DOCKER + 'CMD ["gunicorn", "--config=/app/gunicorn.py"]\n',
        "gunicorn.py": 'chdir = "/app/src"\nwsgi_app = "web.wsgi:application"\n',
    },
    "gunicorn-default-config": {
        **WEB,
        "Dockerfile": DOCKER + 'CMD ["gunicorn"]\n',
        "gunicorn.conf.py": 'wsgi_app = "web.wsgi:application"\n',
    },
    "uwsgi-ini": {
        **WEB,
        "Dockerfile": DOCKER + 'CMD ["uwsgi", "--ini", "uwsgi.ini"]\n',
        "uwsgi.ini": "[uwsgi]\nhttp = :8000\nmodule = web.wsgi:application\nmaster = true\n",
    },
    "uwsgi-wsgi-file": {
        **WEB,
        "Dockerfile": DOCKER + 'CMD ["uwsgi", "deploy/uwsgi.ini"]\n',
        "deploy/uwsgi.ini": "[uwsgi]\nchdir = /app/web\nwsgi-file = wsgi.py\n",
        "web/wsgi.py": "from store import save\n\n\ndef application(env, start):\n    save(b'')\n",
        "web/store.py": STORE,
    },
    "supervisord": {
        **WEB,
        "Dockerfile": DOCKER
        + "COPY deploy/supervisord.conf /etc/supervisor/supervisord.conf\n"
        + "COPY deploy/conf.d/ /etc/supervisor/conf.d/\n"
        + 'CMD ["supervisord", "-c", "/etc/supervisor/supervisord.conf"]\n',
        "deploy/supervisord.conf": SUPERVISOR,
        "deploy/conf.d/worker.conf": "[program:worker]\ncommand=python -m worker\ndirectory=/app\n",
        "worker.py": WORKER,
    },
    "supervisord-program-gunicorn-config": {
        **WEB,
        "Dockerfile": DOCKER + 'CMD ["supervisord", "-c", "/app/deploy/app.conf"]\n',
        "deploy/app.conf": "[program:web]\ncommand=gunicorn -c deploy/gunicorn.conf.py\ndirectory=/app\n",
        "deploy/gunicorn.conf.py": 'wsgi_app = "web.wsgi:application"\n',
    },
    "supervisord-default-place": {
        **WEB,
        "Dockerfile": DOCKER + "COPY deploy/ /etc/supervisor/\nCMD supervisord\n",
        "deploy/supervisord.conf": SUPERVISOR,
        "deploy/conf.d/worker.conf": "[program:worker]\ncommand=python -m worker\ndirectory=/app\n",
        "worker.py": WORKER,
    },
}
EXPECTED: dict[str, dict[str, list[str]]] = {
    name: {"s3:PutObject": ["arn:aws:s3:::acme-live/in/x"]} for name in SHAPES
}
for name in ("supervisord", "supervisord-default-place"):
    EXPECTED[name]["sqs:ReceiveMessage"] = ["arn:aws:sqs:us-east-1:111122223333:jobs"]



@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_config_files_name_the_entry_points(shape: str, tmp_path: Path) -> None:
    data = plan(make_repo(tmp_path / shape, SHAPES[shape]))
    (role,) = data["roles"]
    assert permissions(role) == EXPECTED[shape]
    notes = "\n".join(role["notes"])
    assert "entry points followed: " in notes, notes
    assert "not reached from the entry point(s), so not granted: oneoff.py" in notes


def test_gunicorn_config_module_is_code_the_container_runs(tmp_path: Path) -> None:
    """gunicorn executes its config file: a hook there that calls AWS is granted."""
    files = {
        **SHAPES["gunicorn-c"],
        "deploy/gunicorn.conf.py": (
            'wsgi_app = "web.wsgi:application"\n\n\ndef on_starting(server):\n'
            "    import boto3\n    boto3.client('sns', region_name='us-east-1').publish("
            "TopicArn='arn:aws:sns:us-east-1:111122223333:boots', Message='up')\n"
        ),
    }
    (role,) = plan(make_repo(tmp_path / "hook", files))["roles"]
    assert permissions(role)["sns:Publish"] == ["arn:aws:sns:us-east-1:111122223333:boots"]


FALLBACKS = {
    "computed-wsgi-app": (
        {"Dockerfile": DOCKER + 'CMD ["gunicorn", "-c", "gunicorn.conf.py"]\n',
         "gunicorn.conf.py": 'import os\nwsgi_app = os.environ["APP"]\n'},
        "sets wsgi_app to a value that is not a literal",
    ),
    "no-default-config": (
        {"Dockerfile": DOCKER + 'CMD ["gunicorn", "--workers", "2"]\n'},
        "runs gunicorn without an application",
    ),
    "uwsgi-ini-without-app": (
        {"Dockerfile": DOCKER + 'CMD ["uwsgi", "--ini", "uwsgi.ini"]\n', "uwsgi.ini": "[uwsgi]\nhttp = :80\n"},
        "names no application",
    ),
    "supervisord-unknown-program": (
        {"Dockerfile": DOCKER + 'CMD ["supervisord", "-c", "/app/s.conf"]\n',
         "s.conf": "[program:x]\ncommand=/opt/vendor/bin/agent --run\n"},
        "agent, which is not in the build context",
    ),
    "supervisord-not-ini": (
        {"Dockerfile": DOCKER + 'CMD ["supervisord", "-c", "/app/s.conf"]\n', "s.conf": "no section here\n"},
        "is not an INI file keyshift can read",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_unreadable_config_falls_back_to_the_folder(case: str, tmp_path: Path) -> None:
    extra, why = FALLBACKS[case]
    (role,) = plan(make_repo(tmp_path / case, {**WEB, **extra}))["roles"]
    assert set(permissions(role)) == {"s3:PutObject", "s3:DeleteBucket"}
    notes = "\n".join(role["notes"])
    assert why in notes and "the workload's code is its folder" in notes, notes
