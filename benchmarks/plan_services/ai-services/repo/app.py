import boto3

KEYS = dict(aws_access_key_id="{{key:111122223333:ai}}",
    aws_secret_access_key="{{secret:ai}}", region_name="us-east-1")
rekognition = boto3.client("rekognition", **KEYS)
textract = boto3.client("textract", **KEYS)
comprehend = boto3.client("comprehend", **KEYS)


def labels(key):
    return rekognition.detect_labels(Image={"S3Object": {"Bucket": "acme-photos", "Name": key}}, MaxLabels=5)


def text(data):
    return textract.detect_document_text(Document={"Bytes": data})


def mood(review):
    return comprehend.detect_sentiment(Text=review, LanguageCode="en")


if __name__ == "__main__":
    print(labels("a.jpg"), text(b""), mood("great"))
