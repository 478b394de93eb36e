import boto3

_session = boto3.Session(aws_access_key_id="{{key:111122223333:twoflB}}", aws_secret_access_key="{{secret:twoflB}}", region_name="us-east-1")
_ses = _session.client("ses")


def welcome(to):
    _ses.send_email(
        Source="welcome@accounts.example.com",
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": "Welcome"}, "Body": {"Text": {"Data": "Hi!"}}},
    )
