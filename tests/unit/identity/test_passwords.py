from identity.adapters.passwords import ScryptPasswordHasher


async def test_a_password_verifies_against_its_own_hash_only() -> None:
    hasher = ScryptPasswordHasher(n=16)
    hashed = await hasher.hash("correct horse")

    assert hashed.startswith("scrypt$16$8$1$")
    assert "correct horse" not in hashed
    assert await hasher.verify("correct horse", hashed)
    assert not await hasher.verify("correct horsE", hashed)


async def test_each_hash_has_its_own_salt() -> None:
    hasher = ScryptPasswordHasher(n=16)
    assert await hasher.hash("same") != await hasher.hash("same")


async def test_hashes_stay_valid_when_the_cost_is_raised() -> None:
    old = await ScryptPasswordHasher(n=16).hash("s3cret-pass")
    assert await ScryptPasswordHasher(n=2**10).verify("s3cret-pass", old)


async def test_malformed_stored_hashes_never_verify() -> None:
    hasher = ScryptPasswordHasher(n=16)
    for stored in ("", "plain", "bcrypt$1$2$3$AA==$AA==", "scrypt$16$8$1$not base64$AA=="):
        assert not await hasher.verify("anything", stored)


async def test_the_decoy_verification_runs_without_a_stored_hash() -> None:
    await ScryptPasswordHasher(n=16).verify_decoy("whatever")
