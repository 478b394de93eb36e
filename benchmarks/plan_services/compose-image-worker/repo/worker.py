import os

import jobs  # noqa: F401  (the worker imports the job functions it runs)
from redis import Redis
from rq import Worker

Worker(["default"], connection=Redis.from_url(os.environ["REDIS_URL"])).work()
