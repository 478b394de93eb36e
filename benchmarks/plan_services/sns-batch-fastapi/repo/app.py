import json
import os

import boto3
from fastapi import FastAPI

session = boto3.Session(aws_access_key_id="{{key:111122223333:snsbatch}}", aws_secret_access_key="{{secret:snsbatch}}", region_name=os.getenv("AWS_REGION", "eu-west-1"))
sns = session.client("sns")
ALERTS = os.environ.get("ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:alerts")
FIFO = "arn:aws:sns:eu-west-1:111122223333:ledger-events.fifo"

app = FastAPI()


@app.post("/alerts")
def alert(body: dict):
    sns.publish(TargetArn=ALERTS, Subject="alert", Message=json.dumps(body))
    return {"ok": True}


@app.post("/ledger")
def ledger(items: list[dict]):
    entries = [
        {"Id": str(i), "Message": json.dumps(item), "MessageGroupId": item.get("account", "all")}
        for i, item in enumerate(items)
    ]
    for start in range(0, len(entries), 10):
        sns.publish_batch(TopicArn=FIFO, PublishBatchRequestEntries=entries[start : start + 10])
    return {"sent": len(entries)}
