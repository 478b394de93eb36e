import boto3

table = boto3.resource(
    "dynamodb",
    region_name="us-east-1",
    aws_access_key_id="{{key:111122223333:ec2tag}}",
    aws_secret_access_key="{{secret:ec2tag}}",
).Table("vm_orders")


def mark(order_id, status):
    table.update_item(
        Key={"order_id": order_id},
        UpdateExpression="set order_status = :s",
        ExpressionAttributeValues={":s": status},
    )
