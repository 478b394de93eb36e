import boto3

HUB_ROLE = "arn:aws:iam::111122223333:role/deploy-hub"
TARGET_ROLE = "arn:aws:iam::444455556666:role/deploy-target"


def session_for(role_arn, base):
    creds = base.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="deployer")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def main():
    base = boto3.Session(aws_access_key_id="{{key:111122223333:stschain}}", aws_secret_access_key="{{secret:stschain}}", region_name="us-east-1")
    hub = session_for(HUB_ROLE, base)
    target = session_for(TARGET_ROLE, hub)
    target.client("ecs").update_service(cluster="web", service="api", forceNewDeployment=True)


if __name__ == "__main__":
    main()
