import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3copy}}",
    aws_secret_access_key="{{secret:s3copy}}",)


def promote(name):
    s3.copy_object(
        Bucket="acme-published",
        Key=f"live/{name}",
        CopySource={"Bucket": "acme-staging", "Key": f"ready/{name}"},
    )


def archive(name):
    s3.copy({"Bucket": "acme-published", "Key": f"live/{name}"}, "acme-archive", f"old/{name}")


if __name__ == "__main__":
    promote("a.json")
    archive("a.json")
