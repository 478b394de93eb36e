import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

import boto3

RECORDINGS = "voice-recordings"
MODELS = "voice-models"
s3 = boto3.client(
    "s3",
    region_name="us-west-2",
    aws_access_key_id="{{key:111122223333:offload}}",
    aws_secret_access_key="{{secret:offload}}",
)
pool = ThreadPoolExecutor(4)


async def save_recording(path, session_id):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, s3.upload_file, path, RECORDINGS, f"sessions/{session_id}.wav")


async def fetch_model(name, dest):
    await asyncio.to_thread(s3.download_file, MODELS, f"styletts/{name}", dest)


def warm_cache(names):
    jobs = [pool.submit(s3.head_object, Bucket=MODELS, Key=f"styletts/{n}") for n in names]
    return [j.result() for j in jobs]


async def purge(session_id):
    loop = asyncio.get_running_loop()
    remove = functools.partial(s3.delete_object, Bucket=RECORDINGS, Key=f"sessions/{session_id}.wav")
    await loop.run_in_executor(None, remove)


async def main():
    await fetch_model("base.pth", "/tmp/base.pth")
    warm_cache(["base.pth"])
    await save_recording("/tmp/a.wav", "s1")
    await purge("s1")


if __name__ == "__main__":
    asyncio.run(main())
