import json

import boto3

kinesis = boto3.client("kinesis", region_name="us-east-1", aws_access_key_id="{{key:111122223333:streams}}",
    aws_secret_access_key="{{secret:streams}}",)
firehose = boto3.client("firehose", region_name="us-east-1", aws_access_key_id="{{key:111122223333:streams}}",
    aws_secret_access_key="{{secret:streams}}",)


def click(event):
    kinesis.put_record(StreamName="clicks", Data=json.dumps(event), PartitionKey=event["user"])


def clicks(events):
    kinesis.put_records(
        StreamName="clicks", Records=[{"Data": json.dumps(e), "PartitionKey": e["user"]} for e in events]
    )


def archive(rows):
    firehose.put_record_batch(DeliveryStreamName="events-to-s3", Records=[{"Data": r} for r in rows])


if __name__ == "__main__":
    click({"user": "u"})
    clicks([{"user": "u"}])
    archive([b"x"])
