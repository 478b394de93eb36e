import boto3
import config

table = boto3.resource("dynamodb", **config.AWS).Table(config.TABLE)


def by_email(email):
    return table.query(
        IndexName="email-index",
        KeyConditionExpression="email = :e",
        ExpressionAttributeValues={":e": email},
    )["Items"]


def confirm(account_id):
    table.update_item(
        Key={"id": account_id},
        UpdateExpression="SET confirmed = :t",
        ConditionExpression="attribute_exists(id)",
        ExpressionAttributeValues={":t": True},
    )
