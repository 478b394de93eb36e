import app
import boto3


def test_thumbnail(monkeypatch):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket="acme-photos", Key="originals/t.jpg", Body=b"x" * 2048)
    assert len(app.thumbnail("t.jpg")) == 1024
    s3.delete_object(Bucket="acme-photos", Key="originals/t.jpg")
