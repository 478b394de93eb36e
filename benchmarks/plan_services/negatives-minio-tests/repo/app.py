import io

import boto3
from minio import Minio

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:negmin}}", aws_secret_access_key="{{secret:negmin}}")
sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="{{key:111122223333:negmin}}", aws_secret_access_key="{{secret:negmin}}")  # kept for the next release
cache = Minio("minio:9000", access_key="minioadmin", secret_key="minioadmin", secure=False)


def thumbnail(key):
    body = s3.get_object(Bucket="acme-photos", Key=f"originals/{key}")["Body"].read()
    small = body[:1024]
    cache.put_object("thumbs", key, io.BytesIO(small), length=len(small))
    # s3.put_object(Bucket="acme-photos", Key=f"thumbs/{key}", Body=small)
    # s3.delete_object(Bucket="acme-photos", Key=f"originals/{key}")
    return small


if __name__ == "__main__":
    thumbnail("a.jpg")
