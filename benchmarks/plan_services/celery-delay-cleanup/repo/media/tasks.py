from celery import Celery

from media.clients import s3

app = Celery("media", broker="redis://redis:6379/0")


@app.task
def delete_object(path, bucket_name):
    s3.delete_object(Bucket=bucket_name, Key=path)


@app.task
def publish(path, source, target):
    s3.copy_object(Bucket=target, Key=f"public/{path}", CopySource={"Bucket": source, "Key": path})
