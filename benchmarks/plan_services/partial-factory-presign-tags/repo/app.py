from aws import make_client

s3 = make_client("s3")


def upload_url(doc_id):
    return s3.generate_presigned_url(
        ClientMethod="put_object",
        Params={"Bucket": "acme-docs", "Key": f"incoming/{doc_id}.pdf", "ContentType": "application/pdf"},
        ExpiresIn=900,
    )


def mark_scanned(doc_id, clean):
    key = f"incoming/{doc_id}.pdf"
    tags = s3.get_object_tagging(Bucket="acme-docs", Key=key)["TagSet"]
    tags.append({"Key": "av", "Value": "clean" if clean else "infected"})
    s3.put_object_tagging(Bucket="acme-docs", Key=key, Tagging={"TagSet": tags})


def buckets():
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


if __name__ == "__main__":
    print(upload_url("d1"), buckets())
    mark_scanned("d1", True)
