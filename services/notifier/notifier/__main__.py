"""``python -m notifier`` serves the notifier service."""

from rapport_platform.service import run

from notifier.bootstrap import definition


def main() -> None:
    run(definition())


if __name__ == "__main__":
    main()
