"""Password hashing with Argon2id; checking an unknown user costs as much as checking a wrong password."""
from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hashes and checks passwords; the hasher's parameters can be lowered for tests."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def _dummy(self) -> str:
        # Verified against when the user does not exist, so "no such user" takes as long as
        # "wrong password" and response times do not reveal which usernames exist.
        with self._lock:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash("no user has this password")
            return self._dummy_hash

    def check(self, password_hash: str | None, password: str) -> bool:
        """True if `password` matches `password_hash`; None (no such user) costs the same and is False."""
        try:
            self.hasher.verify(password_hash or self._dummy(), password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)
