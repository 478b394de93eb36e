import argparse
import json
import secrets

from awsclients import client

TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:svc/api-token-Xy12Zq"
SIGNING = "svc/webhook-signing"


def show_token():
    return client("secretsmanager").get_secret_value(SecretId=TOKEN_ARN)["SecretString"]


def rotate_signing():
    sm = client("secretsmanager")
    meta = sm.describe_secret(SecretId=SIGNING)
    sm.put_secret_value(SecretId=SIGNING, SecretString=json.dumps({"key": secrets.token_hex(32)}))
    return meta["ARN"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["show", "rotate"])
    args = parser.parse_args()
    print(show_token() if args.command == "show" else rotate_signing())
