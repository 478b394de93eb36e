import boto3
from config import settings

_kw = dict(
    region_name=settings.aws_region,
    aws_access_key_id=settings.aws_access_key_id,
    aws_secret_access_key=settings.aws_secret_access_key,
)
table = boto3.resource("dynamodb", **_kw).Table(settings.exams_table)
s3 = boto3.client("s3", **_kw)
