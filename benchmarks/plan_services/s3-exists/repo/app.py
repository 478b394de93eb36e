import boto3
from botocore.exceptions import ClientError

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3exists}}",
    aws_secret_access_key="{{secret:s3exists}}",)


def exists(key):
    try:
        s3.head_object(Bucket="acme-inbox", Key=key)
        return True
    except ClientError:
        return False


def wait_for(key):
    s3.get_waiter("object_exists").wait(Bucket="acme-inbox", Key=f"ready/{key}")


def bucket_ok():
    s3.head_bucket(Bucket="acme-archive")


if __name__ == "__main__":
    print(exists("manifest.json"))
    wait_for("done.flag")
    bucket_ok()
