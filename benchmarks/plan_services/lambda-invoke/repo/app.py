import json

import boto3

lam = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="{{key:111122223333:lam}}",
    aws_secret_access_key="{{secret:lam}}",)


def thumbnail(key):
    lam.invoke(FunctionName="make-thumbnail", InvocationType="Event", Payload=json.dumps({"key": key}))


def price(item):
    return lam.invoke(FunctionName="pricing", Qualifier="live", Payload=json.dumps(item))


def audit(entry):
    lam.invoke(FunctionName="arn:aws:lambda:us-east-1:111122223333:function:audit-log", Payload=json.dumps(entry))


if __name__ == "__main__":
    thumbnail("a.png")
    price({})
    audit({})
