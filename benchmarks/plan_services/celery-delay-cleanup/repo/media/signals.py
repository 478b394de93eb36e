from media.tasks import delete_object, publish

INPUT_BUCKET = "uploads-input"
OUTPUT_BUCKET = "uploads-output"


def on_video_deleted(video):
    delete_object.delay(video.path, INPUT_BUCKET)


def on_stream_deleted(stream):
    delete_object.apply_async(args=(stream.path, OUTPUT_BUCKET), countdown=30)


def on_approved(video):
    publish.apply_async(kwargs={"path": video.path, "source": OUTPUT_BUCKET, "target": "uploads-public"})
