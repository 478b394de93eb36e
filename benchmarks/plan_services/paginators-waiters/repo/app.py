import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:pages}}",
    aws_secret_access_key="{{secret:pages}}",)
ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="{{key:111122223333:pages}}",
    aws_secret_access_key="{{secret:pages}}",)


def keys():
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="acme-lake", Prefix="raw/"):
        yield from (o["Key"] for o in page.get("Contents", []))


def history(user):
    pages = ddb.get_paginator("query").paginate(
        TableName="history", KeyConditionExpression="u = :u", ExpressionAttributeValues={":u": {"S": user}}
    )
    return [item for page in pages for item in page["Items"]]


def ready():
    ddb.get_waiter("table_exists").wait(TableName="history")
    s3.get_waiter("bucket_exists").wait(Bucket="acme-lake")


if __name__ == "__main__":
    ready()
    print(list(keys()), history("u"))
