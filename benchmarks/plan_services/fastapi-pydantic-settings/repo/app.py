import boto3
from fastapi import Depends, FastAPI, UploadFile
from settings import Settings, get_settings

app = FastAPI()


def aws_session(settings: Settings = Depends(get_settings)):
    return boto3.Session(
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        region_name=settings.aws_region,
    )


@app.post("/upload/{user_id}")
def upload(user_id: str, file: UploadFile, session=Depends(aws_session), settings: Settings = Depends(get_settings)):
    key = f"raw/{user_id}/{file.filename}"
    session.client("s3").upload_fileobj(file.file, settings.uploads_bucket, key)
    session.client("sqs").send_message(QueueUrl=settings.jobs_queue_url, MessageBody=key)
    return {"key": key}
