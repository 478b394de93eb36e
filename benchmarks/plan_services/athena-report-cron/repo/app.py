import time

import boto3

athena = boto3.client("athena", region_name="us-east-1", aws_access_key_id="{{key:111122223333:athcron}}", aws_secret_access_key="{{secret:athcron}}")
QUERY = """
SELECT page, count(*) AS views
FROM analytics.page_views
WHERE day = current_date - interval '1' day
GROUP BY page
"""


def run_report():
    qid = athena.start_query_execution(
        QueryString=QUERY,
        QueryExecutionContext={"Database": "analytics"},
        ResultConfiguration={"OutputLocation": "s3://acme-athena-results/daily-report/"},
        WorkGroup="reporting",
    )["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(2)
    return athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]


if __name__ == "__main__":
    for row in run_report():
        print(row)
