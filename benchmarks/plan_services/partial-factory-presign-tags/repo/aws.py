import functools

import boto3

make_client = functools.partial(
    boto3.client, region_name="us-east-1", aws_access_key_id="{{key:111122223333:partfac}}", aws_secret_access_key="{{secret:partfac}}"
)
