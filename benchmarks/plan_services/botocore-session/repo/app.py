import botocore.session

session = botocore.session.get_session()
sqs = session.create_client(
    "sqs",
    region_name="eu-central-1",
    aws_access_key_id="{{key:111122223333:botocore}}",
    aws_secret_access_key="{{secret:botocore}}",
)


def enqueue(body):
    sqs.send_message(QueueUrl="https://sqs.eu-central-1.amazonaws.com/111122223333/ingest", MessageBody=body)


if __name__ == "__main__":
    enqueue("x")
