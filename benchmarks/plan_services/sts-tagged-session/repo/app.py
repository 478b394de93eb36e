import boto3

sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="{{key:111122223333:ststag}}", aws_secret_access_key="{{secret:ststag}}")
PARTNER_ROLE = "arn:aws:iam::444455556666:role/partner-export-reader"


def partner_session():
    creds = sts.assume_role(
        RoleArn=PARTNER_ROLE,
        RoleSessionName="nightly-sync",
        Tags=[{"Key": "team", "Value": "data"}],
        SourceIdentity="nightly-sync",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def sync():
    s3 = partner_session().client("s3")
    for obj in s3.list_objects_v2(Bucket="partner-exports", Prefix="acme/").get("Contents", []):
        s3.download_file("partner-exports", obj["Key"], "/tmp/" + obj["Key"].rsplit("/", 1)[-1])


if __name__ == "__main__":
    sync()
