import json

import boto3

KEYS = {"aws_access_key_id": "{{key:111122223333:flow}}", "aws_secret_access_key": "{{secret:flow}}"}
sfn = boto3.client("stepfunctions", region_name="us-east-1", **KEYS)
events = boto3.client("events", region_name="us-east-1", **KEYS)


def checkout(cart):
    run = sfn.start_execution(stateMachineArn="arn:aws:states:us-east-1:111122223333:stateMachine:checkout", input=json.dumps(cart))
    return sfn.describe_execution(executionArn=run["executionArn"])


def emit(order_id):
    events.put_events(
        Entries=[
            {"Source": "shop.orders", "DetailType": "placed", "Detail": json.dumps({"id": order_id}), "EventBusName": "orders-bus"},
        ]
    )


def ping():
    events.put_events(Entries=[{"Source": "shop.health", "DetailType": "ping", "Detail": "{}"}])


if __name__ == "__main__":
    checkout({})
    emit("1")
    ping()
