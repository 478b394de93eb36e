import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3mpu}}",
    aws_secret_access_key="{{secret:s3mpu}}",)
BUCKET = "acme-videos"


def upload(name, chunks):
    key = f"raw/{name}"
    mpu = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
    parts = []
    try:
        for number, chunk in enumerate(chunks, 1):
            done = s3.upload_part(Bucket=BUCKET, Key=key, PartNumber=number, UploadId=mpu["UploadId"], Body=chunk)
            parts.append({"PartNumber": number, "ETag": done["ETag"]})
        s3.list_parts(Bucket=BUCKET, Key=key, UploadId=mpu["UploadId"])
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=mpu["UploadId"], MultipartUpload={"Parts": parts}
        )
    except Exception:
        s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=mpu["UploadId"])
        raise


if __name__ == "__main__":
    upload("clip.mp4", [b"a", b"b"])
