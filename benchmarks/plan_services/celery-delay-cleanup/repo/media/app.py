from media import signals  # noqa: F401
from media.tasks import app  # noqa: F401
