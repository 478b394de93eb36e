import datetime

import boto3

cw = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="{{key:111122223333:cwalarm}}", aws_secret_access_key="{{secret:cwalarm}}")
ALARM = "orders-api-5xx"


def ensure_alarm():
    cw.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="Acme/Orders",
        MetricName="5xx",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    return cw.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateValue"]


def report():
    end = datetime.datetime.utcnow()
    stats = cw.get_metric_statistics(
        Namespace="Acme/Orders", MetricName="5xx", StartTime=end - datetime.timedelta(hours=1),
        EndTime=end, Period=300, Statistics=["Sum"],
    )
    total = sum(p["Sum"] for p in stats["Datapoints"])
    cw.put_metric_data(Namespace="Acme/Reports", MetricData=[{"MetricName": "hourly5xx", "Value": total}])


if __name__ == "__main__":
    print(ensure_alarm())
    report()
