import json

import boto3

boto3.setup_default_session(
    aws_access_key_id="{{key:111122223333:defsess}}", aws_secret_access_key="{{secret:defsess}}", region_name="us-east-2"
)
QUEUE_URL = "https://sqs.us-east-2.amazonaws.com/111122223333/thumbnails"
sqs = boto3.client("sqs")
bucket = boto3.resource("s3").Bucket("acme-thumbs")


def main():
    while True:
        for msg in sqs.receive_message(QueueUrl=QUEUE_URL, WaitTimeSeconds=20).get("Messages", []):
            job = json.loads(msg["Body"])
            bucket.put_object(Key=f"small/{job['id']}.jpg", Body=b"...")
            sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=msg["ReceiptHandle"])


if __name__ == "__main__":
    main()
