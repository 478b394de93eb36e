import os

import boto3

s3 = boto3.client("s3")
sqs = boto3.client("sqs")


def work():
    for message in sqs.receive_message(QueueUrl=os.environ["QUEUE_URL"]).get("Messages", []):
        s3.put_object(Bucket=os.environ["RESULTS_BUCKET"], Key=f"results/{message['MessageId']}", Body=b"")
        sqs.delete_message(QueueUrl=os.environ["QUEUE_URL"], ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    work()
