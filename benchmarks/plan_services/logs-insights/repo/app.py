import time

import boto3

logs = boto3.client("logs", region_name="eu-west-1", aws_access_key_id="{{key:111122223333:logsq}}", aws_secret_access_key="{{secret:logsq}}")
GROUPS = ["/ecs/orders-api", "/ecs/orders-worker"]


def errors_last_hour():
    now = int(time.time())
    qid = logs.start_query(
        logGroupNames=GROUPS,
        startTime=now - 3600,
        endTime=now,
        queryString="fields @timestamp, @message | filter @message like /ERROR/ | limit 50",
    )["queryId"]
    while True:
        out = logs.get_query_results(queryId=qid)
        if out["status"] in ("Complete", "Failed", "Cancelled"):
            return out["results"]
        time.sleep(1)


def grep(pattern):
    return logs.filter_log_events(logGroupName="/ecs/orders-api", filterPattern=pattern)["events"]


if __name__ == "__main__":
    print(len(errors_last_hour()), len(grep("timeout")))
