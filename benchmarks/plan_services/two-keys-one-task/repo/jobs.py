import boto3

sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="{{key:111122223333:twoB}}",
    aws_secret_access_key="{{secret:twoB}}",)
URL = "https://sqs.us-east-1.amazonaws.com/111122223333/exports"


def next_job():
    return sqs.receive_message(QueueUrl=URL).get("Messages", [])


def done(message):
    sqs.delete_message(QueueUrl=URL, ReceiptHandle=message["ReceiptHandle"])
