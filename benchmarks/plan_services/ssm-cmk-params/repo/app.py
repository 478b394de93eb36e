import secrets

import boto3

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d"
ssm = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="{{key:111122223333:ssmcmk}}", aws_secret_access_key="{{secret:ssmcmk}}")


def rotate_api_token(service):
    ssm.put_parameter(
        Name=f"/tokens/{service}",
        Value=secrets.token_urlsafe(32),
        Type="SecureString",
        KeyId=KEY_ARN,
        Overwrite=True,
    )


def api_token(service):
    return ssm.get_parameter(Name=f"/tokens/{service}", WithDecryption=True)["Parameter"]["Value"]


if __name__ == "__main__":
    rotate_api_token("billing")
    print(len(api_token("billing")))
