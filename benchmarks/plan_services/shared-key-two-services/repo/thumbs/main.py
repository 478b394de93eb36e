import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:shared}}",
    aws_secret_access_key="{{secret:shared}}",)


def thumb(key):
    original = s3.get_object(Bucket="acme-images", Key=f"full/{key}")["Body"].read()
    s3.put_object(Bucket="acme-images", Key=f"thumbs/{key}", Body=original[:100])
