import json
import time

import boto3
import orders

session = boto3.Session(
    region_name="us-east-1",
    aws_access_key_id="{{key:111122223333:ec2tag}}",
    aws_secret_access_key="{{secret:ec2tag}}",
)
queue = session.resource("sqs").get_queue_by_name(QueueName="vm_requests")
ec2 = session.resource("ec2")

while True:
    for message in queue.receive_messages(WaitTimeSeconds=20):
        body = json.loads(message.body)
        ec2.create_instances(
            ImageId=body["image"],
            InstanceType=body["type"],
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "order", "Value": body["id"]}]}],
        )
        orders.mark(body["id"], "provisioning")
        message.delete()
    time.sleep(5)
