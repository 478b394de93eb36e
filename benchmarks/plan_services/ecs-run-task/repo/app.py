import boto3
from fastapi import FastAPI

ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="{{key:111122223333:ecsrun}}", aws_secret_access_key="{{secret:ecsrun}}")
CLUSTER = "batch"
app = FastAPI()


@app.post("/reports/{report_id}")
def start(report_id: str):
    out = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition="report-builder:7",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-0abc1234"], "assignPublicIp": "DISABLED"}},
        overrides={
            "taskRoleArn": "arn:aws:iam::111122223333:role/report-builder-task",
            "executionRoleArn": "arn:aws:iam::111122223333:role/report-builder-exec",
            "containerOverrides": [{"name": "builder", "command": ["build", report_id]}],
        },
    )
    return {"task": out["tasks"][0]["taskArn"]}


@app.get("/reports/status")
def status(task_arn: str):
    return ecs.describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"][0]["lastStatus"]
