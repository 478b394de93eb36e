import os

AWS = {
    "region_name": os.environ.get("AWS_REGION", "us-east-1"),
    "aws_access_key_id": "{{key:111122223333:twoflA}}",
    "aws_secret_access_key": "{{secret:twoflA}}",
}
TABLE = os.environ.get("ACCOUNTS_TABLE", "accounts")
