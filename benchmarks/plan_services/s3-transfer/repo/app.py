import boto3

session = boto3.session.Session(aws_access_key_id="{{key:111122223333:s3xfer}}",
    aws_secret_access_key="{{secret:s3xfer}}", region_name="us-east-1")
client = session.client("s3")
bucket = session.resource("s3").Bucket("acme-backups")


def backup(path):
    bucket.upload_file(path, "db/latest.dump")


def restore(path):
    client.download_file("acme-backups", "db/latest.dump", path)


def publish(path):
    client.upload_file(path, "acme-site", "index.html", ExtraArgs={"ContentType": "text/html"})


if __name__ == "__main__":
    backup("/tmp/db.dump")
    restore("/tmp/db.dump")
    publish("/tmp/index.html")
