import boto3
from boto3.dynamodb.conditions import Key

dynamodb = boto3.resource("dynamodb", region_name="eu-west-1", aws_access_key_id="{{key:111122223333:ddbres}}",
    aws_secret_access_key="{{secret:ddbres}}",)
sessions = dynamodb.Table("sessions")


def load(token):
    return sessions.get_item(Key={"token": token}).get("Item")


def save(token, user):
    sessions.put_item(Item={"token": token, "user": user})


def for_user(user):
    return sessions.query(IndexName="user-index", KeyConditionExpression=Key("user").eq(user))["Items"]


def import_events(rows):
    with dynamodb.Table("events").batch_writer() as batch:
        for row in rows:
            batch.put_item(Item=row)


def audit(rows):
    dynamodb.batch_write_item(RequestItems={"audit": [{"PutRequest": {"Item": r}} for r in rows]})


if __name__ == "__main__":
    save("t", "u")
    print(load("t"), for_user("u"))
    import_events([{"id": "1"}])
    audit([{"id": "1"}])
