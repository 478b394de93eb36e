import functools
import os

import boto3

_CREDS = dict(
    aws_access_key_id=os.environ.get("APP_AWS_KEY", "{{key:111122223333:secfactory}}"),
    aws_secret_access_key=os.environ.get("APP_AWS_SECRET", "{{secret:secfactory}}"),
)


@functools.cache
def client(name, region="us-east-1"):
    return boto3.client(name, region_name=region, **_CREDS)
