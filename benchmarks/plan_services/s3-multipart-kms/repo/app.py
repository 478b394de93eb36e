import boto3

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:mpkms}}", aws_secret_access_key="{{secret:mpkms}}")
KEY_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
PART = 8 * 1024 * 1024


def upload(path, key):
    mpu = s3.create_multipart_upload(
        Bucket="acme-backups", Key=f"db/{key}", ServerSideEncryption="aws:kms", SSEKMSKeyId=KEY_ID
    )
    parts = []
    try:
        with open(path, "rb") as fh:
            for number, chunk in enumerate(iter(lambda: fh.read(PART), b""), start=1):
                out = s3.upload_part(
                    Bucket="acme-backups", Key=f"db/{key}", UploadId=mpu["UploadId"], PartNumber=number, Body=chunk
                )
                parts.append({"PartNumber": number, "ETag": out["ETag"]})
        s3.complete_multipart_upload(
            Bucket="acme-backups", Key=f"db/{key}", UploadId=mpu["UploadId"], MultipartUpload={"Parts": parts}
        )
    except Exception:
        s3.abort_multipart_upload(Bucket="acme-backups", Key=f"db/{key}", UploadId=mpu["UploadId"])
        raise


if __name__ == "__main__":
    upload("/tmp/dump.sql.gz", "dump.sql.gz")
