import asyncio
import json

from aiobotocore.session import get_session
from botocore.config import Config

CFG = Config(region_name="eu-north-1", retries={"max_attempts": 5})
CREDS = {"aws_access_key_id": "{{key:111122223333:aiobc}}", "aws_secret_access_key": "{{secret:aiobc}}"}


async def reserve(sku, qty):
    session = get_session()
    async with session.create_client("dynamodb", config=CFG, **CREDS) as ddb:
        await ddb.update_item(
            TableName="stock",
            Key={"sku": {"S": sku}},
            UpdateExpression="SET qty = qty - :q",
            ConditionExpression="qty >= :q",
            ExpressionAttributeValues={":q": {"N": str(qty)}},
        )
    async with session.create_client("lambda", config=CFG, **CREDS) as lam:
        await lam.invoke(FunctionName="reorder-check", InvocationType="Event", Payload=json.dumps({"sku": sku}))


if __name__ == "__main__":
    asyncio.run(reserve("a1", 2))
