from pathlib import Path

import pytest
from rapport_platform.openapi import main, render

DOCS = Path(__file__).parents[3] / "docs" / "api"
PACKAGES = ["identity", "service_orders", "loyalty", "journey", "notifier"]


def test_the_committed_api_documents_match_the_code() -> None:
    assert main(["--check", "--out", str(DOCS), *PACKAGES]) == 0


@pytest.mark.parametrize("package", PACKAGES)
def test_every_api_needs_a_bearer_token_and_answers_health(package: str) -> None:
    document = render(package)
    assert '"bearerAuth"' in document
    assert '"/healthz"' in document
    assert '"/readyz"' in document
