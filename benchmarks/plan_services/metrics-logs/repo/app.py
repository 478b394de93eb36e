import time

import boto3

cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="{{key:111122223333:obs}}",
    aws_secret_access_key="{{secret:obs}}",)
logs = boto3.client("logs", region_name="us-east-1", aws_access_key_id="{{key:111122223333:obs}}",
    aws_secret_access_key="{{secret:obs}}",)


def count(name):
    cloudwatch.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": name, "Value": 1}])


def log(message):
    logs.create_log_stream(logGroupName="/shop/api", logStreamName="worker-1")
    logs.put_log_events(
        logGroupName="/shop/api",
        logStreamName="worker-1",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
    )


if __name__ == "__main__":
    count("orders")
    log("hello")
