import datetime

import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3sel}}", aws_secret_access_key="{{secret:s3sel}}")
BUCKET = "acme-logs"


def error_count(day):
    out = s3.select_object_content(
        Bucket=BUCKET,
        Key=f"daily/{day}.csv",
        ExpressionType="SQL",
        Expression="SELECT count(*) FROM s3object s WHERE s.status = '500'",
        InputSerialization={"CSV": {"FileHeaderInfo": "USE"}},
        OutputSerialization={"CSV": {}},
    )
    for event in out["Payload"]:
        if "Records" in event:
            return int(event["Records"]["Payload"].decode().strip())
    return 0


def purge_tmp():
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=BUCKET, Prefix="tmp/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys, "Quiet": True})


if __name__ == "__main__":
    print(error_count(datetime.date.today().isoformat()))
    purge_tmp()
