import boto3

sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="{{key:111122223333:assume}}",
    aws_secret_access_key="{{secret:assume}}",)


def partner_bucket():
    creds = sts.assume_role(RoleArn="arn:aws:iam::444455556666:role/partner-reader", RoleSessionName="sync")[
        "Credentials"
    ]
    s3 = boto3.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    return s3.list_objects_v2(Bucket="partner-drop")["Contents"]


if __name__ == "__main__":
    print(sts.get_caller_identity(), partner_bucket())
