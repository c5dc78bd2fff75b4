from datetime import UTC, datetime, timedelta

import jwt
import pytest
from rapport_platform.auth import (
    AuthenticationError,
    Principal,
    Role,
    _main,
    mint_token,
    verify_token,
)
from rapport_platform.errors import Rejected
from rapport_platform.refusals import OutOfScope
from rapport_platform.settings import DEV_AUTH_SECRET

SECRET = "unit-test-secret-that-is-long-enough-0123"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

HQ = Principal(subject="alice", role=Role.HQ, brand_id="b-1", name="Alice")
ADMIN = Principal(subject="root", role=Role.PLATFORM_ADMIN)
ASSOCIATE = Principal(subject="bo", role=Role.ASSOCIATE, brand_id="b-1", store_id="s-1")
MANAGER = Principal(subject="cy", role=Role.STORE_MANAGER, brand_id="b-1", store_id="s-1")


def test_a_minted_token_verifies_to_the_same_principal() -> None:
    for principal in (HQ, ADMIN, ASSOCIATE):
        token = mint_token(SECRET, principal, now=NOW)
        assert verify_token(SECRET, token, NOW + timedelta(hours=1)) == principal


def test_a_token_carries_the_documented_claims() -> None:
    token = mint_token(SECRET, ASSOCIATE, timedelta(minutes=5), now=NOW)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["sub"] == "bo"
    assert claims["role"] == "associate"
    assert claims["brand"] == "b-1"
    assert claims["store"] == "s-1"
    assert claims["iss"] == "rapport"
    assert claims["exp"] - claims["iat"] == 300


def test_a_token_expires_after_its_ttl() -> None:
    token = mint_token(SECRET, HQ, timedelta(hours=12), now=NOW)
    verify_token(SECRET, token, NOW + timedelta(hours=11, minutes=59))
    with pytest.raises(AuthenticationError, match="expired at 2026-03-01T21:00:00"):
        verify_token(SECRET, token, NOW + timedelta(hours=12))


def test_a_token_issued_in_the_future_is_refused() -> None:
    token = mint_token(SECRET, HQ, now=NOW + timedelta(hours=1))
    with pytest.raises(AuthenticationError, match="issued in the future"):
        verify_token(SECRET, token, NOW)


def test_a_tampered_token_is_refused() -> None:
    header, payload, signature = mint_token(SECRET, ASSOCIATE, now=NOW).split(".")
    forged_claims = jwt.decode(
        f"{header}.{payload}.{signature}", options={"verify_signature": False}
    )
    forged_claims["role"] = "hq"
    forged_payload = jwt.encode(forged_claims, "another-secret-of-sufficient-length").split(".")[1]
    with pytest.raises(AuthenticationError, match="signature does not match"):
        verify_token(SECRET, f"{header}.{forged_payload}.{signature}", NOW)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = mint_token("some-other-secret-that-is-long-enough!!", HQ, now=NOW)
    with pytest.raises(AuthenticationError, match="signature"):
        verify_token(SECRET, token, NOW)


def test_garbage_is_reported_as_malformed() -> None:
    with pytest.raises(AuthenticationError, match="malformed"):
        verify_token(SECRET, "not-a-token", NOW)


def raw_token(**claims: object) -> str:
    timing = {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60, "iss": "rapport"}
    return jwt.encode(timing | claims, SECRET, algorithm="HS256")


def test_a_missing_claim_is_named() -> None:
    with pytest.raises(AuthenticationError, match="no 'role' claim"):
        verify_token(SECRET, raw_token(sub="x"), NOW)


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(AuthenticationError, match="unknown role 'janitor'"):
        verify_token(SECRET, raw_token(sub="x", role="janitor"), NOW)


def test_a_token_from_another_issuer_is_refused() -> None:
    token = raw_token(sub="x", role="hq", brand="b", iss="elsewhere")
    with pytest.raises(AuthenticationError, match="not issued by 'rapport'"):
        verify_token(SECRET, token, NOW)


def test_a_token_without_the_brand_its_role_needs_is_refused() -> None:
    with pytest.raises(AuthenticationError, match=r"malformed.*needs a brand_id"):
        verify_token(SECRET, raw_token(sub="x", role="hq"), NOW)


def test_brand_and_store_are_required_by_role() -> None:
    with pytest.raises(ValueError, match="needs a brand_id"):
        Principal(subject="x", role=Role.HQ)
    with pytest.raises(ValueError, match="needs a store_id"):
        Principal(subject="x", role=Role.ASSOCIATE, brand_id="b-1")
    Principal(subject="x", role=Role.INTEGRATION, brand_id="b-1")


def test_ensure_brand_admits_own_brand_and_platform_admin() -> None:
    HQ.ensure_brand("b-1", "member", "m-1")
    ADMIN.ensure_brand("b-9", "member", "m-1")
    with pytest.raises(OutOfScope, match="member m-1 does not exist"):
        HQ.ensure_brand("b-2", "member", "m-1")


def test_ensure_store_limits_store_roles_to_their_store() -> None:
    ASSOCIATE.ensure_store("s-1", "appointment", "a-1")
    MANAGER.ensure_store("s-1", "appointment", "a-1")
    HQ.ensure_store("s-7", "appointment", "a-1")
    ADMIN.ensure_store("s-7", "appointment", "a-1")
    for principal in (ASSOCIATE, MANAGER):
        assert not principal.reaches_store("s-2")
        with pytest.raises(OutOfScope, match="appointment a-1 does not exist"):
            principal.ensure_store("s-2", "appointment", "a-1")


def test_require_brand_gives_own_brand_and_another_does_not_exist() -> None:
    assert HQ.require_brand(None) == "b-1"
    assert HQ.require_brand("b-1") == "b-1"
    with pytest.raises(OutOfScope, match="brand b-2 does not exist"):
        ASSOCIATE.require_brand("b-2")


def test_require_brand_makes_a_platform_admin_name_the_brand() -> None:
    assert ADMIN.require_brand("b-5") == "b-5"
    with pytest.raises(Rejected) as refused:
        ADMIN.require_brand(None)
    assert refused.value.http_status == 422
    assert [problem.field for problem in refused.value.fields] == ["query.brand_id"]


def test_the_cli_prints_a_token_signed_with_the_configured_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAPPORT_AUTH_SECRET", raising=False)
    assert (
        _main(["mint", "--role", "store_manager", "--brand", "B", "--store", "S", "--subject", "m"])
        == 0
    )
    token = capsys.readouterr().out.strip()
    principal = verify_token(DEV_AUTH_SECRET, token, datetime.now(UTC))
    assert principal == Principal(subject="m", role=Role.STORE_MANAGER, brand_id="B", store_id="S")

    monkeypatch.setenv("RAPPORT_AUTH_SECRET", SECRET)
    _main(["mint", "--role", "platform_admin", "--subject", "root"])
    token = capsys.readouterr().out.strip()
    assert verify_token(SECRET, token, datetime.now(UTC)).role is Role.PLATFORM_ADMIN


def test_the_cli_refuses_a_principal_its_role_does_not_allow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        _main(["mint", "--role", "associate", "--brand", "B", "--subject", "a"])
    assert "needs a store_id" in capsys.readouterr().err
