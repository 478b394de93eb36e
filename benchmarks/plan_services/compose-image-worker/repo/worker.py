import os

from redis import Redis
from rq import Worker

import jobs  # noqa: F401  (the worker imports the job functions it runs)

Worker(["default"], connection=Redis.from_url(os.environ["REDIS_URL"])).work()
