"""``python -m loyalty`` serves the loyalty service."""

from rapport_platform.service import run

from loyalty.bootstrap import definition


def main() -> None:
    run(definition())


if __name__ == "__main__":
    main()
