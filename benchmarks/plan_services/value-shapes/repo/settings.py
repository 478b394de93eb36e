import os


class Settings:
    UPLOAD_BUCKET = os.environ.get("UPLOAD_BUCKET", "acme-uploads")
    TABLE_PREFIX = "prod"
    QUEUE = os.getenv("QUEUE_NAME") or "orders-events"


settings = Settings()
