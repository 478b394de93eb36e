import boto3

textract = boto3.client("textract", region_name="us-east-1", aws_access_key_id="{{key:111122223333:txasync}}", aws_secret_access_key="{{secret:txasync}}")


def start(name):
    return textract.start_document_text_detection(
        DocumentLocation={"S3Object": {"Bucket": "acme-scans", "Name": f"inbox/{name}"}},
        NotificationChannel={
            "SNSTopicArn": "arn:aws:sns:us-east-1:111122223333:textract-done",
            "RoleArn": "arn:aws:iam::111122223333:role/textract-publish",
        },
    )["JobId"]


def lines(job_id):
    out = textract.get_document_text_detection(JobId=job_id)
    return [b["Text"] for b in out["Blocks"] if b["BlockType"] == "LINE"]


if __name__ == "__main__":
    print(lines(start("a.pdf")))
