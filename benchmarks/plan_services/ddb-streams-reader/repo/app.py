import boto3

CREDS = dict(region_name="us-east-1", aws_access_key_id="{{key:111122223333:ddbstream}}", aws_secret_access_key="{{secret:ddbstream}}")
ddb = boto3.client("dynamodb", **CREDS)
streams = boto3.client("dynamodbstreams", **CREDS)


def tail(table="orders"):
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        it = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while it:
            out = streams.get_records(ShardIterator=it)
            for record in out["Records"]:
                print(record["eventName"], record["dynamodb"].get("Keys"))
            it = out.get("NextShardIterator") if out["Records"] else None


if __name__ == "__main__":
    tail()
