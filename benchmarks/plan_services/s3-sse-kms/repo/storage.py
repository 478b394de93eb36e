import boto3

KMS_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0f8e2c4a-5b6d-4e7f-8a9b-1c2d3e4f5a6b"
BUCKET = "acme-private-docs"
_s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="{{key:111122223333:ssekms}}", aws_secret_access_key="{{secret:ssekms}}")


def save_contract(contract_id, pdf):
    _s3.put_object(
        Bucket=BUCKET,
        Key=f"contracts/{contract_id}.pdf",
        Body=pdf,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=KMS_KEY,
    )


def load_contract(contract_id):
    return _s3.get_object(Bucket=BUCKET, Key=f"contracts/{contract_id}.pdf")["Body"].read()
