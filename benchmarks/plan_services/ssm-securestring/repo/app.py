import settings


def main():
    print(len(settings.STRIPE_KEY), sorted(settings.FLAGS))


if __name__ == "__main__":
    main()
