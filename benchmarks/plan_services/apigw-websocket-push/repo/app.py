import json
import os

import boto3

ENDPOINT = os.environ.get("WS_ENDPOINT", "https://k7x2m9q4ab.execute-api.us-east-1.amazonaws.com/production")
api = boto3.client(
    "apigatewaymanagementapi", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="{{key:111122223333:wspush}}", aws_secret_access_key="{{secret:wspush}}"
)


def push(connection_id, event):
    try:
        api.post_to_connection(ConnectionId=connection_id, Data=json.dumps(event).encode())
    except api.exceptions.GoneException:
        api.delete_connection(ConnectionId=connection_id)


if __name__ == "__main__":
    push("abc=", {"type": "ping"})
