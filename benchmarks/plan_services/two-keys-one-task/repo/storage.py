import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:twoA}}",
    aws_secret_access_key="{{secret:twoA}}",)


def save(name, body):
    s3.put_object(Bucket="acme-exports", Key=f"out/{name}", Body=body)
