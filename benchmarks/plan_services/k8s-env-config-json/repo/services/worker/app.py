import json
import os

import boto3

with open("/app/common/config.json") as f:
    config = json.load(f)


def handle(body):
    s3 = boto3.client("s3")
    s3.upload_file(f"/tmp/{body}.mp4", config.get("videos_bucket"), f"clips/{body}.mp4")
    os.remove(f"/tmp/{body}.mp4")


def main():
    sqs = boto3.resource("sqs", region_name=config.get("aws_region"))
    queue = sqs.get_queue_by_name(QueueName=config.get("jobs_queue"))
    while True:
        for message in queue.receive_messages(WaitTimeSeconds=10):
            handle(message.body)
            queue.delete_messages(Entries=[{"Id": message.message_id, "ReceiptHandle": message.receipt_handle}])


if __name__ == "__main__":
    main()
