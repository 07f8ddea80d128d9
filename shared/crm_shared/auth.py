"""Tokens and identities: the gateway signs JWTs, every service verifies them itself."""
from __future__ import annotations

import functools
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import g

from crm_shared.errors import APIError

# Pinned: a token that claims any other algorithm (including "none" or HS256 with the public key
# as secret) is refused.
ALGORITHM = "RS256"

ADMIN = "admin"
SALES_MANAGER = "sales_manager"
SALES_REP = "sales_rep"
SERVICE_AGENT = "service_agent"
SERVICE_MANAGER = "service_manager"
EXECUTIVE = "executive"
ROLES = (ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT, SERVICE_MANAGER, EXECUTIVE)


@dataclass(frozen=True)
class Identity:
    """The caller of a request, as the token says."""

    user_id: str
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    team_ids: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def to_claims(self) -> dict[str, Any]:
        return {
            "sub": self.user_id,
            "username": self.username,
            "roles": sorted(self.roles),
            "teams": sorted(self.team_ids),
        }


class InvalidToken(APIError):
    def __init__(self, reason: str):
        super().__init__(401, "invalid_token", f"The access token is not valid: {reason}. Log in again.")


# -- keys ----------------------------------------------------------------------------------------
# The key folder holds `<kid>.key.pem` (private, gateway only) and `<kid>.pub.pem` (public, every
# service). Rotation: add a new pair; the gateway signs with the newest private key while the
# services still accept tokens signed with any public key present, so nobody is logged out.


def generate_key_pair(key_dir: Path, kid: str | None = None) -> str:
    """Write a new RSA key pair into `key_dir` and return its key id."""
    kid = kid or time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:8]
    key_dir.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path = key_dir / f"{kid}.key.pem"
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    (key_dir / f"{kid}.pub.pem").write_bytes(public_pem)
    return kid


def ensure_key_pair(key_dir: Path) -> None:
    """Create the first key pair if the folder has none (first start of a fresh installation)."""
    if not list(key_dir.glob("*.key.pem")):
        generate_key_pair(key_dir)


class TokenIssuer:
    """Signs access tokens with the newest private key in the key folder."""

    def __init__(self, key_dir: Path, issuer: str, audience: str, ttl_seconds: int = 8 * 3600):
        self.key_dir = key_dir
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def _signing_key(self) -> tuple[str, bytes]:
        keys = sorted(self.key_dir.glob("*.key.pem"), key=lambda p: (p.stat().st_mtime, p.name))
        if not keys:
            raise RuntimeError(f"no signing key in {self.key_dir}; run the create-key command")
        newest = keys[-1]
        return newest.name[: -len(".key.pem")], newest.read_bytes()

    def issue(self, identity: Identity) -> str:
        kid, key = self._signing_key()
        now = int(time.time())
        claims = {
            **identity.to_claims(),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


class TokenVerifier:
    """Checks signature, algorithm, expiry, issuer and audience; reloads keys for an unknown kid."""

    def __init__(self, key_dir: Path, issuer: str, audience: str, leeway_seconds: int = 10):
        self.key_dir = key_dir
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._loaded_at = 0.0

    def _load_keys(self) -> None:
        keys = {}
        for path in self.key_dir.glob("*.pub.pem"):
            keys[path.name[: -len(".pub.pem")]] = serialization.load_pem_public_key(path.read_bytes())
        self._keys = keys
        self._loaded_at = time.monotonic()

    def _key(self, kid: str):
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._loaded_at > 1.0:
                self._load_keys()
            return self._keys.get(kid)

    def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("malformed") from error
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        key = self._key(str(header.get("kid", "")))
        if key is None:
            raise InvalidToken("signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("expired") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error).rstrip(".").lower()) from error
        roles = claims.get("roles") or []
        teams = claims.get("teams") or []
        if not isinstance(roles, list) or not isinstance(teams, list):
            raise InvalidToken("roles and teams must be lists")
        return Identity(
            user_id=str(claims["sub"]),
            username=str(claims.get("username", "")),
            roles=frozenset(str(r) for r in roles),
            team_ids=frozenset(str(t) for t in teams),
        )


# -- request helpers -----------------------------------------------------------------------------


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def current_identity() -> Identity:
    """The authenticated caller of this request (the web layer guarantees there is one)."""
    identity = getattr(g, "identity", None)
    if identity is None:
        raise APIError(401, "authentication_required", "Log in to do this.")
    return identity


def public(view: Callable) -> Callable:
    """Mark a view that needs no token (health checks, login, the public request form)."""
    view.crm_public = True
    return view


def require_roles(*roles: str) -> Callable:
    """Allow the view only to callers holding one of `roles`."""

    allowed = tuple(roles)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            identity = current_identity()
            if not identity.has_any(*allowed):
                raise APIError(
                    403,
                    "role_not_allowed",
                    f"This needs one of the roles: {', '.join(allowed)}.",
                )
            return view(*args, **kwargs)

        return guarded

    return decorate
