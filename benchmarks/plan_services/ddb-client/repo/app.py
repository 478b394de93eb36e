import boto3

ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="{{key:111122223333:ddbclient}}",
    aws_secret_access_key="{{secret:ddbclient}}",)
TABLE = "orders"


def get(order_id):
    return ddb.get_item(TableName=TABLE, Key={"id": {"S": order_id}})


def put(order_id):
    ddb.put_item(TableName=TABLE, Item={"id": {"S": order_id}})


def mark_paid(order_id):
    ddb.update_item(
        TableName=TABLE,
        Key={"id": {"S": order_id}},
        UpdateExpression="SET paid = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )


def cancel(order_id):
    ddb.delete_item(TableName=TABLE, Key={"id": {"S": order_id}})


def by_customer(customer):
    return ddb.query(
        TableName=TABLE,
        IndexName="by-customer",
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": customer}},
    )


def everything():
    return ddb.scan(TableName="customers")


if __name__ == "__main__":
    put("1")
    mark_paid("1")
    print(get("1"), by_customer("c"), everything())
    cancel("1")
