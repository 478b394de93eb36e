import boto3

s3 = boto3.resource("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3coll}}",
    aws_secret_access_key="{{secret:s3coll}}",)
bucket = s3.Bucket("acme-logs")


def expire():
    for obj in bucket.objects.filter(Prefix="app/"):
        obj.delete()


def latest():
    return s3.Object("acme-logs", "app/latest.log").get()["Body"].read()


if __name__ == "__main__":
    print(latest())
    expire()
