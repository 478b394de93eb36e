from mailer import Mailer


def main():
    Mailer().send_digest(["a@example.org", "b@example.org"])


if __name__ == "__main__":
    main()
