import json

import boto3
from fastapi import FastAPI

scheduler = boto3.client("scheduler", region_name="us-east-1", aws_access_key_id="{{key:111122223333:schedrem}}", aws_secret_access_key="{{secret:schedrem}}")
GROUP = "reminders"
TARGET = "arn:aws:lambda:us-east-1:111122223333:function:send-reminder"
ROLE = "arn:aws:iam::111122223333:role/scheduler-send-reminder"
app = FastAPI()


@app.post("/reminders/{rid}")
def create(rid: str, at: str):
    scheduler.create_schedule(
        Name=f"reminder-{rid}",
        GroupName=GROUP,
        ScheduleExpression=f"at({at})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": TARGET, "RoleArn": ROLE, "Input": json.dumps({"id": rid})},
        ActionAfterCompletion="DELETE",
    )


@app.delete("/reminders/{rid}")
def cancel(rid: str):
    scheduler.delete_schedule(Name=f"reminder-{rid}", GroupName=GROUP)
