import json

import boto3

sqs = boto3.resource("sqs", region_name="us-east-1", aws_access_key_id="{{key:111122223333:sqsres}}", aws_secret_access_key="{{secret:sqsres}}")
queue = sqs.get_queue_by_name(QueueName="invoices.fifo")


def enqueue(invoices):
    entries = [
        {"Id": str(i), "MessageBody": json.dumps(inv), "MessageGroupId": inv["customer"]}
        for i, inv in enumerate(invoices)
    ]
    queue.send_messages(Entries=entries)


def work():
    for message in queue.receive_messages(MaxNumberOfMessages=10, WaitTimeSeconds=20):
        body = json.loads(message.body)
        if body.get("slow"):
            message.change_visibility(VisibilityTimeout=300)
        print(body)
        message.delete()


if __name__ == "__main__":
    enqueue([{"customer": "c1"}])
    work()
