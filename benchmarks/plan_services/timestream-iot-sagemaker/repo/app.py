import json
import time

import boto3

session = boto3.Session(aws_access_key_id="{{key:111122223333:tsiot}}", aws_secret_access_key="{{secret:tsiot}}", region_name="eu-west-1")
tsw = session.client("timestream-write")
iot = session.client("iot-data")
sm = session.client("sagemaker-runtime")


def ingest(device, reading):
    tsw.write_records(
        DatabaseName="telemetry",
        TableName="readings",
        Records=[{"Dimensions": [{"Name": "device", "Value": device}], "MeasureName": "temp",
                  "MeasureValue": str(reading), "Time": str(int(time.time() * 1000))}],
    )
    score = json.loads(
        sm.invoke_endpoint(EndpointName="anomaly-detector", ContentType="application/json",
                           Body=json.dumps({"value": reading}))["Body"].read()
    )
    if score["anomaly"]:
        iot.publish(topic="alerts/temperature", qos=1, payload=json.dumps({"device": device}))


if __name__ == "__main__":
    ingest("d1", 21.5)
