import boto3

ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="{{key:111122223333:ddbtx}}",
    aws_secret_access_key="{{secret:ddbtx}}",)


def find(sku):
    return ddb.execute_statement(Statement="SELECT * FROM inventory WHERE sku = ?", Parameters=[{"S": sku}])


def add(sku):
    ddb.execute_statement(Statement="INSERT INTO inventory VALUE {'sku': ?}", Parameters=[{"S": sku}])


def reserve(sku, order_id):
    ddb.transact_write_items(
        TransactItems=[
            {"ConditionCheck": {"TableName": "inventory", "Key": {"sku": {"S": sku}}, "ConditionExpression": "qty > :z"}},
            {"Update": {"TableName": "inventory", "Key": {"sku": {"S": sku}}, "UpdateExpression": "SET qty = qty - :o"}},
            {"Put": {"TableName": "reservations", "Item": {"id": {"S": order_id}}}},
        ]
    )


if __name__ == "__main__":
    add("x")
    print(find("x"))
    reserve("x", "o1")
