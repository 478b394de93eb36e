import bootstrap  # noqa: F401  (sets the AWS environment)
import boto3

sns = boto3.client("sns")


def topic_arn():
    return sns.create_topic(Name="deploy-notices")["TopicArn"]


def notify(text):
    sns.publish(TopicArn=topic_arn(), Message=text)


if __name__ == "__main__":
    notify("deployed")
