import boto3

sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="{{key:111122223333:sqsworker}}",
    aws_secret_access_key="{{secret:sqsworker}}",)
JOBS = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
DONE = "https://sqs.us-east-1.amazonaws.com/111122223333/jobs-done"


def loop():
    while True:
        reply = sqs.receive_message(QueueUrl=JOBS, MaxNumberOfMessages=10, WaitTimeSeconds=20)
        for message in reply.get("Messages", []):
            sqs.send_message(QueueUrl=DONE, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=JOBS, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    loop()
