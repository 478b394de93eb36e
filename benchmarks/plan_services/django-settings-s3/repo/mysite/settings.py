import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only")
DEBUG = False
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "profiles"]
AWS_ACCESS_KEY_ID = "{{key:111122223333:djs3}}"
AWS_SECRET_ACCESS_KEY = "{{secret:djs3}}"
AWS_S3_REGION_NAME = "eu-west-1"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AVATAR_BUCKET", "acme-avatars")
