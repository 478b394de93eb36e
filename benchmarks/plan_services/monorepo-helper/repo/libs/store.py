"""Shared persistence helpers."""


def put(table, item):
    table.put_item(Item=item)


def get(client, table_name, key):
    return client.get_item(TableName=table_name, Key=key).get("Item")
