import boto3
from django.conf import settings


def _s3():
    return boto3.client(
        "s3",
        region_name=settings.AWS_S3_REGION_NAME,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
    )


def save_avatar(user_id, fileobj):
    _s3().upload_fileobj(fileobj, settings.AWS_STORAGE_BUCKET_NAME, f"avatars/{user_id}.png")


def avatar_url(user_id):
    return _s3().generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.AWS_STORAGE_BUCKET_NAME, "Key": f"avatars/{user_id}.png"},
        ExpiresIn=3600,
    )
