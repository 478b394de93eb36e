import boto3
from libs.store import get, put

resource = boto3.resource("dynamodb", region_name="us-east-1", aws_access_key_id="{{key:111122223333:billing}}",
    aws_secret_access_key="{{secret:billing}}",)


def record(invoice):
    put(resource.Table("invoices"), invoice)


def find(invoice_id):
    return get(resource.meta.client, "invoices", {"id": {"S": invoice_id}})
