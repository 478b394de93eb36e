import boto3

_session = boto3.session.Session(aws_access_key_id="{{key:111122223333:xmod}}",
    aws_secret_access_key="{{secret:xmod}}", region_name="us-east-1")
s3 = _session.client("s3")
secrets = _session.client("secretsmanager")
