import sys

import boto3

kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="{{key:111122223333:kmsre}}", aws_secret_access_key="{{secret:kmsre}}")
OLD_KEY = "arn:aws:kms:us-east-1:111122223333:key/7d3c9b1e-2f4a-4c6b-9e8d-0a1b2c3d4e5f"
NEW_KEY = "arn:aws:kms:us-east-1:111122223333:key/a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d"
SIGNING_KEY = "arn:aws:kms:us-east-1:111122223333:key/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"


def rotate(blob):
    return kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=OLD_KEY, DestinationKeyId=NEW_KEY)["CiphertextBlob"]


def sign(message):
    return kms.sign(KeyId=SIGNING_KEY, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")


def public_key():
    return kms.get_public_key(KeyId=SIGNING_KEY)["PublicKey"]


def new_wrapped_key():
    return kms.generate_data_key_without_plaintext(KeyId="a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d", KeySpec="AES_256")


if __name__ == "__main__":
    print(sign(sys.argv[1].encode()), public_key(), new_wrapped_key(), rotate(b"x"))
