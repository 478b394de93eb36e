"""django-storages settings grant what the S3 storage does, end to end through ``keyshift plan``.

Each row is a settings module of a Django project started by ``gunicorn mysite.wsgi``: the
backend setting shape, where the bucket comes from, ``AWS_LOCATION`` and ``AWS_DEFAULT_ACL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .plan_helpers import make_repo
from .test_entry_points import permissions, plan

KEYS = 'AWS_ACCESS_KEY_ID = "{{key:111122223333:dj}}"\nAWS_SECRET_ACCESS_KEY = "{{secret:dj}}"\n'
APPS = "import os\nINSTALLED_APPS = ['django.contrib.staticfiles', 'storages']\n"
BACKEND = 'DEFAULT_FILE_STORAGE = "storages.backends.s3boto3.S3Boto3Storage"\n'
RW = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")


def _objects(arn: str, bucket: str, acl: bool = False) -> dict[str, list[str]]:
    out = {action: [arn] for action in RW}
    out["s3:ListBucket"] = [f"arn:aws:s3:::{bucket}"]
    if acl:
        out["s3:PutObjectAcl"] = [arn]
    return out


# settings body -> (permissions, open items that must be mentioned)
CASES: dict[str, tuple[str, dict[str, list[str]], list[str]]] = {
    "literal-bucket": (
        KEYS + BACKEND + 'AWS_STORAGE_BUCKET_NAME = "acme-media"\n',
        _objects("arn:aws:s3:::acme-media/*", "acme-media"),
        [],
    ),
    "env-default-and-location": (
        KEYS + BACKEND + 'AWS_STORAGE_BUCKET_NAME = os.environ.get("MEDIA_BUCKET", "acme-media")\n'
        'AWS_LOCATION = "uploads"\n',
        _objects("arn:aws:s3:::acme-media/uploads/*", "acme-media"),
        [],
    ),
    "s3-backend-with-acl": (
        KEYS
        + 'DEFAULT_FILE_STORAGE = "storages.backends.s3.S3Storage"\nAWS_STORAGE_BUCKET_NAME = "acme-media"\n'
        'AWS_DEFAULT_ACL = "public-read"\n',
        _objects("arn:aws:s3:::acme-media/*", "acme-media", acl=True),
        [],
    ),
    "acl-none-is-no-acl": (
        KEYS + BACKEND + 'AWS_STORAGE_BUCKET_NAME = "acme-media"\nAWS_DEFAULT_ACL = None\n',
        _objects("arn:aws:s3:::acme-media/*", "acme-media"),
        [],
    ),
    "storages-dict-django-environ": (
        KEYS + "import environ\nenv = environ.Env()\nSTORAGES = {\n"
        '    "default": {"BACKEND": "storages.backends.s3.S3Storage",\n'
        '                "OPTIONS": {"bucket_name": env("MEDIA_BUCKET"), "location": "media"}},\n'
        '    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},\n}\n',
        _objects("arn:aws:s3:::<MEDIA_BUCKET>/media/*", "<MEDIA_BUCKET>"),
        ["the bucket is read from MEDIA_BUCKET, which no deployment file sets"],
    ),
    "unknown-bucket-placeholder": (
        KEYS + 'STATICFILES_STORAGE = "storages.backends.s3boto3.S3StaticStorage"\n',
        _objects("arn:aws:s3:::<AWS_STORAGE_BUCKET_NAME>/*", "<AWS_STORAGE_BUCKET_NAME>"),
        ["mysite/settings.py:5: django-storages STATICFILES_STORAGE: AWS_STORAGE_BUCKET_NAME is not set"],
    ),
    "repository-subclass": (
        KEYS + 'DEFAULT_FILE_STORAGE = "mysite.backends.MediaStorage"\n',
        _objects("arn:aws:s3:::acme-private/private/*", "acme-private", acl=True),
        [],
    ),
    "not-s3": (
        KEYS + 'DEFAULT_FILE_STORAGE = "django.core.files.storage.FileSystemStorage"\n',
        {},
        [],
    ),
}

PROJECT = {
    "Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["gunicorn", "mysite.wsgi:application"]\n',
    "mysite/__init__.py": "",
    "mysite/wsgi.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
    "mysite/backends.py": (
        "from storages.backends.s3boto3 import S3Boto3Storage\n\n\n"
        "class MediaStorage(S3Boto3Storage):\n    bucket_name = 'acme-private'\n"
        "    location = 'private'\n    default_acl = 'private'\n"
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_django_storages(case: str, tmp_path: Path) -> None:
    body, expected, open_items = CASES[case]
    root = make_repo(tmp_path / case, {**PROJECT, "mysite/settings.py": APPS + body})
    data = plan(root)
    if not expected:
        assert data["roles"] == []
        return
    (role,) = data["roles"]
    assert permissions(role) == expected
    because = [b for p in role["permissions"] for b in p["because"]]
    assert all(b.startswith("django-storages ") and " at mysite/settings.py:" in b for b in because)
    everything: list[Any] = [*role["unresolved"], *data["unresolved"]]
    for item in open_items:
        assert any(item in str(u) for u in everything), everything
