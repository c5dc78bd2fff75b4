"""``python -m journey`` serves the journey service."""

from rapport_platform.service import run

from journey.bootstrap import definition


def main() -> None:
    run(definition())


if __name__ == "__main__":
    main()
