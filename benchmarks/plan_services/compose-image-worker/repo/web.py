import os

from flask import Flask, request
from jobs import welcome
from redis import Redis
from rq import Queue

app = Flask(__name__)
queue = Queue(connection=Redis.from_url(os.environ["REDIS_URL"]))


@app.post("/signup")
def signup():
    queue.enqueue(welcome, request.form["email"], request.files["avatar"].filename)
    return "queued"


if __name__ == "__main__":
    app.run()
