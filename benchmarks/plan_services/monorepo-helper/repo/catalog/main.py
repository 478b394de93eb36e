import boto3
from libs.store import get

client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="{{key:111122223333:catalog}}",
    aws_secret_access_key="{{secret:catalog}}",)


def product(sku):
    return get(client, "products", {"sku": {"S": sku}})
