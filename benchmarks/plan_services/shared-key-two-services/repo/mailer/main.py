import boto3

sns = boto3.client("sns", region_name="us-east-1", aws_access_key_id="{{key:111122223333:shared}}",
    aws_secret_access_key="{{secret:shared}}",)


def notify(text):
    sns.publish(TopicArn="arn:aws:sns:us-east-1:111122223333:mail-out", Message=text)
