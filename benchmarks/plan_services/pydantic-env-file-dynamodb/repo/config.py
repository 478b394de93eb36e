from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    aws_region: str
    exams_table: str
    images_bucket: str
    aws_access_key_id: str
    aws_secret_access_key: str

    class Config:
        env_file = ".env"


settings = Settings()
