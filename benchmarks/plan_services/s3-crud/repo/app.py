import boto3

s3 = boto3.client(
    "s3",
    region_name="us-east-1",
    aws_access_key_id="{{key:111122223333:s3crud}}",
    aws_secret_access_key="{{secret:s3crud}}",
)
BUCKET = "acme-reports"


def fetch(day):
    return s3.get_object(Bucket=BUCKET, Key=f"daily/{day}.csv")["Body"].read()


def store(name, body):
    s3.put_object(Bucket=BUCKET, Key=f"uploads/{name}", Body=body)


def purge(name):
    s3.delete_object(Bucket=BUCKET, Key=f"tmp/{name}")


def listing():
    return s3.list_objects_v2(Bucket=BUCKET, Prefix="daily/")["Contents"]


if __name__ == "__main__":
    store("a.txt", b"x")
    print(fetch("2024-01-01"), listing())
    purge("a.txt")
