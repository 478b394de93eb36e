from email.mime.text import MIMEText

import boto3
from flask import Flask, request

AWS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "{{key:111122223333:sesraw}}",
    "aws_secret_access_key": "{{secret:sesraw}}",
}
ses = boto3.client("ses", **AWS)
app = Flask(__name__)


@app.post("/invoice")
def invoice():
    msg = MIMEText(request.json["html"], "html")
    msg["Subject"] = "Your invoice"
    msg["From"] = "billing@shop.example.com"
    msg["To"] = request.json["to"]
    ses.send_raw_email(
        Source="billing@shop.example.com",
        Destinations=[request.json["to"]],
        RawMessage={"Data": msg.as_string()},
    )
    return "", 204


@app.post("/digest")
def digest():
    ses.send_templated_email(
        Source="Shop News <news@shop.example.com>",
        Destination={"ToAddresses": [request.json["to"]]},
        Template="weekly-digest",
        TemplateData='{"name": "friend"}',
    )
    return "", 204
