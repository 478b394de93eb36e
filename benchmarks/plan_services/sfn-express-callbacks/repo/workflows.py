import json

import boto3

QUOTE_MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:quote-express"
ORDERS_MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:orders"


class Workflows:
    def __init__(self, session=None):
        session = session or boto3.Session(aws_access_key_id="{{key:111122223333:sfnx}}", aws_secret_access_key="{{secret:sfnx}}", region_name="us-east-1")
        self.sfn = session.client("stepfunctions")

    def quote(self, cart):
        out = self.sfn.start_sync_execution(stateMachineArn=QUOTE_MACHINE, input=json.dumps(cart))
        return json.loads(out["output"])

    def running_orders(self):
        return self.sfn.list_executions(stateMachineArn=ORDERS_MACHINE, statusFilter="RUNNING")["executions"]

    def approve(self, token, ok):
        if ok:
            self.sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
        else:
            self.sfn.send_task_failure(taskToken=token, error="Rejected")
