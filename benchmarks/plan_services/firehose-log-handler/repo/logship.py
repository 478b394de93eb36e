import json
import logging

import boto3


class FirehoseHandler(logging.Handler):
    def __init__(self, stream, region="us-east-1"):
        super().__init__()
        self.stream = stream
        self.firehose = boto3.client("firehose", region_name=region, aws_access_key_id="{{key:111122223333:fhlog}}", aws_secret_access_key="{{secret:fhlog}}")

    def emit(self, record):
        line = json.dumps({"level": record.levelname, "msg": self.format(record)}) + "\n"
        self.firehose.put_record(DeliveryStreamName=self.stream, Record={"Data": line.encode()})
