import base64

import boto3

ecr = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="{{key:111122223333:ecr}}",
    aws_secret_access_key="{{secret:ecr}}",)


def login():
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return base64.b64decode(token).decode().split(":", 1)


def newest():
    images = ecr.describe_images(repositoryName="base-images", filter={"tagStatus": "TAGGED"})["imageDetails"]
    return ecr.batch_get_image(repositoryName="base-images", imageIds=[{"imageTag": images[0]["imageTags"][0]}])


if __name__ == "__main__":
    print(login(), newest())
