import boto3

s3 = boto3.client(
    "s3",
    region_name="us-east-1",
    aws_access_key_id="{{key:111122223333:celdel}}",
    aws_secret_access_key="{{secret:celdel}}",
)
