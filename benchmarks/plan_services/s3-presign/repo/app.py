import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3presign}}",
    aws_secret_access_key="{{secret:s3presign}}",)


def download_link(user, name):
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": "acme-media", "Key": f"users/{user}/{name}"}, ExpiresIn=300
    )


def upload_form(user):
    return s3.generate_presigned_post("acme-media", f"incoming/{user}.bin", ExpiresIn=300)


if __name__ == "__main__":
    print(download_link("u1", "a.png"), upload_form("u1"))
