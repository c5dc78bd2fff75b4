"""``python -m service_orders`` serves the service-orders service."""

from rapport_platform.service import run

from service_orders.bootstrap import definition


def main() -> None:
    run(definition())


if __name__ == "__main__":
    main()
