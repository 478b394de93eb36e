import json

import boto3

session = boto3.Session(aws_access_key_id="{{key:111122223333:cfg}}",
    aws_secret_access_key="{{secret:cfg}}", region_name="us-east-1")
secrets = session.client("secretsmanager")
ssm = session.client("ssm")


def database_password():
    return json.loads(secrets.get_secret_value(SecretId="prod/orders/db")["SecretString"])["password"]


def feature_flags():
    return ssm.get_parameter(Name="/orders/flags", WithDecryption=True)["Parameter"]["Value"]


def endpoints():
    return ssm.get_parameters(Names=["/orders/api-url", "/orders/cdn-url"])["Parameters"]


def everything():
    return ssm.get_parameters_by_path(Path="/orders/config", Recursive=True)["Parameters"]


if __name__ == "__main__":
    print(database_password(), feature_flags(), endpoints(), everything())
