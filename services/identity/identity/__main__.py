"""``python -m identity`` serves the identity service."""

from rapport_platform.service import run

from identity.bootstrap import definition


def main() -> None:
    run(definition())


if __name__ == "__main__":
    main()
