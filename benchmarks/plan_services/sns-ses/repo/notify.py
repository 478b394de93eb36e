import boto3

KEYS = dict(aws_access_key_id="{{key:111122223333:notify}}",
    aws_secret_access_key="{{secret:notify}}",)
sns = boto3.client("sns", region_name="us-east-1", **KEYS)
ses = boto3.client("ses", region_name="us-east-1", **KEYS)
sesv2 = boto3.client("sesv2", region_name="us-east-1", **KEYS)
TOPIC = "arn:aws:sns:us-east-1:111122223333:order-events"


def announce(order_id):
    sns.publish(TopicArn=TOPIC, Message=order_id, Subject="order")


def receipt(to):
    ses.send_email(
        Source="orders@shop.example.com",
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": "Receipt"}, "Body": {"Text": {"Data": "Thanks"}}},
    )


def welcome(to):
    sesv2.send_email(
        FromEmailAddress="hello@shop.example.com",
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Welcome"}}}},
    )


if __name__ == "__main__":
    announce("1")
    receipt("a@b.example")
    welcome("a@b.example")
