import json

import boto3


class Bot:
    def __init__(self, queue):
        self.queue = queue

    def on_message(self, chat_id, text):
        self.queue.send_message(
            MessageBody=text,
            MessageAttributes={"chat_id": {"StringValue": chat_id, "DataType": "String"}},
        )


if __name__ == "__main__":
    with open("/app/common/config.json") as f:
        config = json.load(f)
    sqs = boto3.resource("sqs", region_name=config["aws_region"])
    Bot(sqs.get_queue_by_name(QueueName=config["jobs_queue"])).on_message("1", "hello")
