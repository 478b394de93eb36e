import os

import boto3

TABLE = os.environ["PRICES_TABLE"]
ddb = boto3.resource("dynamodb")
prices = ddb.Table(TABLE)


def price(sku):
    item = prices.get_item(Key={"sku": sku}, ProjectionExpression="price").get("Item")
    return item and item["price"]


def all_skus():
    paginator = ddb.meta.client.get_paginator("scan")
    for page in paginator.paginate(TableName=TABLE, ProjectionExpression="sku"):
        yield from (i["sku"]["S"] for i in page["Items"])


if __name__ == "__main__":
    print(price("a1"), sum(1 for _ in all_skus()))
