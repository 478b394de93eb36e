import asyncio

import aioboto3

session = aioboto3.Session(aws_access_key_id="{{key:111122223333:aio}}",
    aws_secret_access_key="{{secret:aio}}", region_name="us-east-1")


async def store(name, body):
    async with session.client("s3") as s3:
        await s3.put_object(Bucket="acme-async", Key=f"blobs/{name}", Body=body)


async def remember(name):
    async with session.resource("dynamodb") as dynamodb:
        table = await dynamodb.Table("blob-index")
        await table.put_item(Item={"name": name})


async def main():
    await store("a", b"x")
    await remember("a")


if __name__ == "__main__":
    asyncio.run(main())
