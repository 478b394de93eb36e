import os
import time

import boto3

STREAM = os.getenv("STREAM_NAME", "clickstream")
kinesis = boto3.client("kinesis", region_name="us-west-2", aws_access_key_id="{{key:111122223333:kcons}}", aws_secret_access_key="{{secret:kcons}}")


def shard_iterators():
    summary = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]
    print("shards:", summary["OpenShardCount"])
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        yield kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]


def run():
    iterators = list(shard_iterators())
    while True:
        for i, it in enumerate(iterators):
            out = kinesis.get_records(ShardIterator=it, Limit=500)
            for record in out["Records"]:
                print(record["Data"][:40])
            iterators[i] = out["NextShardIterator"]
        time.sleep(1)


if __name__ == "__main__":
    run()
