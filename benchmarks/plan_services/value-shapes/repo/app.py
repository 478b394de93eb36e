import os

import boto3
from settings import settings

KEYS = {"aws_access_key_id": "{{key:111122223333:shapes}}", "aws_secret_access_key": "{{secret:shapes}}"}
REGION = os.environ.get("AWS_REGION", "us-east-1")
s3 = boto3.client("s3", region_name=REGION, **KEYS)
ddb = boto3.client("dynamodb", region_name=REGION, **KEYS)
sqs = boto3.client("sqs", region_name=REGION, **KEYS)
ENV = "prod"


def upload(name, body):
    s3.put_object(Bucket=settings.UPLOAD_BUCKET, Key=f"{ENV}/{name}", Body=body)


def read_user(table_suffix, user_id):
    return ddb.get_item(TableName=f"{settings.TABLE_PREFIX}-{table_suffix}", Key={"id": {"S": user_id}})


def announce(body):
    url = sqs.get_queue_url(QueueName=settings.QUEUE)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body)


if __name__ == "__main__":
    upload("a.txt", b"x")
    read_user("users", "1")
    read_user("admins", "1")
    announce("hi")
