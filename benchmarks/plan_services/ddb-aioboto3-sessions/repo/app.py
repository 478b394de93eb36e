import asyncio

import aioboto3
from boto3.dynamodb.conditions import Attr

session = aioboto3.Session(aws_access_key_id="{{key:111122223333:aioddb}}", aws_secret_access_key="{{secret:aioddb}}", region_name="ap-southeast-2")


async def expire(now):
    async with session.resource("dynamodb") as ddb:
        table = await ddb.Table("web-sessions")
        out = await table.scan(FilterExpression=Attr("expires").lt(now))
        for item in out["Items"]:
            await table.delete_item(Key={"sid": item["sid"]})


async def load(sid, user_id):
    async with session.resource("dynamodb") as ddb:
        return await ddb.batch_get_item(
            RequestItems={
                "web-sessions": {"Keys": [{"sid": sid}]},
                "user-profiles": {"Keys": [{"user_id": user_id}]},
            }
        )


async def create(sid, user_id):
    async with session.resource("dynamodb") as ddb:
        table = await ddb.Table("web-sessions")
        await table.put_item(Item={"sid": sid, "user_id": user_id}, ConditionExpression="attribute_not_exists(sid)")


if __name__ == "__main__":
    asyncio.run(expire(0))
