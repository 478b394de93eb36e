import os

os.environ.setdefault("AWS_ACCESS_KEY_ID", "{{key:111122223333:envcode}}")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "{{secret:envcode}}")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")
