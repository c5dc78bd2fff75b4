"""Staff passwords, hashed with scrypt (memory-hard) and a random salt per password.

Stored as ``scrypt$<n>$<r>$<p>$<salt>$<digest>`` (base64), so the cost can be raised later
without invalidating existing hashes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os

SCHEME = "scrypt"
SALT_BYTES = 16
DIGEST_BYTES = 32


class ScryptPasswordHasher:
    def __init__(self, *, n: int = 2**14, r: int = 8, p: int = 1) -> None:
        if n < 2 or n & (n - 1):
            raise ValueError("scrypt's n must be a power of two greater than 1")
        self._n, self._r, self._p = n, r, p
        self._decoy: str | None = None

    def _digest(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=n,
            r=r,
            p=p,
            dklen=DIGEST_BYTES,
            maxmem=256 * n * r + 1024 * 1024,
        )

    def hash_now(self, password: str) -> str:
        salt = os.urandom(SALT_BYTES)
        digest = self._digest(password, salt, self._n, self._r, self._p)
        return "$".join(
            (
                SCHEME,
                str(self._n),
                str(self._r),
                str(self._p),
                base64.b64encode(salt).decode(),
                base64.b64encode(digest).decode(),
            )
        )

    def verify_now(self, password: str, hashed: str) -> bool:
        try:
            scheme, n, r, p, salt, digest = hashed.split("$")
            if scheme != SCHEME:
                return False
            expected = base64.b64decode(digest, validate=True)
            actual = self._digest(
                password, base64.b64decode(salt, validate=True), int(n), int(r), int(p)
            )
        except (ValueError, binascii.Error):
            return False
        return hmac.compare_digest(actual, expected)

    # The event loop must keep serving other requests while a hash is being computed.

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hash_now, password)

    async def verify(self, password: str, hashed: str) -> bool:
        return await asyncio.to_thread(self.verify_now, password, hashed)

    async def verify_decoy(self, password: str) -> None:
        if self._decoy is None:
            self._decoy = await self.hash(os.urandom(16).hex())
        await self.verify(password, self._decoy)
