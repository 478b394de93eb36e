from functools import lru_cache

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    aws_region: str = "us-west-2"
    aws_access_key_id: str = "{{key:111122223333:pydset}}"
    aws_secret_access_key: str = "{{secret:pydset}}"
    uploads_bucket: str = "acme-user-uploads"
    jobs_queue_url: str = "https://sqs.us-west-2.amazonaws.com/111122223333/upload-jobs"


@lru_cache
def get_settings() -> Settings:
    return Settings()
