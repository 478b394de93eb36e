import os

import boto3


def _client(name):
    return boto3.client(
        name,
        region_name=os.getenv("SES_REGION"),
        aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=os.getenv("AWS_SECRET_ACCESS_KEY"),
    )


def welcome(email, avatar):
    _client("s3").upload_file(avatar, os.getenv("AVATAR_BUCKET"), f"avatars/{email}.png")
    _client("ses").send_email(
        Source=os.getenv("MAIL_FROM"),
        Destination={"ToAddresses": [email]},
        Message={"Subject": {"Data": "Welcome"}, "Body": {"Text": {"Data": "Hello"}}},
    )
