import sys
import time

import boto3

glue = boto3.Session(aws_access_key_id="{{key:111122223333:gluetrig}}", aws_secret_access_key="{{secret:gluetrig}}", region_name="eu-west-1").client("glue")
JOB = "nightly-orders-etl"


def trigger(day):
    glue.start_crawler(Name="orders-raw-crawler")
    run_id = glue.start_job_run(JobName=JOB, Arguments={"--day": day})["JobRunId"]
    while True:
        state = glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"]["JobRunState"]
        if state not in ("STARTING", "RUNNING", "STOPPING"):
            return state
        time.sleep(30)


if __name__ == "__main__":
    print(trigger(sys.argv[1] if len(sys.argv) > 1 else "2024-01-01"))
