"""Tokens the gateway refuses, and key rotation that logs nobody out."""
import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from crm_shared.auth import Identity, TokenIssuer, generate_key_pair


@pytest.fixture
def rep(add_user):
    return add_user("rep1", roles=["sales_rep"])


def identity(user) -> Identity:
    return Identity(user.id, user.username, frozenset(user.roles))


def refused(client, token) -> dict:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == "invalid_token"
    return body


def test_a_token_from_login_opens_me(client, login, rep, bearer):
    assert client.get("/api/v1/me", headers=bearer(login("rep1"))).status_code == 200


def test_an_expired_token_is_refused(client, settings, rep, tokens):
    issuer = TokenIssuer(settings.common.jwt_key_dir, "crm-gateway", "crm", ttl_seconds=-60)
    assert "expired" in refused(client, issuer.issue(identity(rep)))["message"]


def test_a_token_for_another_audience_or_from_another_issuer_is_refused(client, settings, rep, tokens):
    refused(client, TokenIssuer(settings.common.jwt_key_dir, "crm-gateway", "another-app").issue(identity(rep)))
    refused(client, TokenIssuer(settings.common.jwt_key_dir, "someone-else", "crm").issue(identity(rep)))


def test_an_unsigned_token_with_alg_none_is_refused(client, rep):
    now = int(time.time())
    claims = {"sub": rep.id, "roles": ["admin"], "iss": "crm-gateway", "aud": "crm", "iat": now, "exp": now + 600}
    token = jwt.encode(claims, None, algorithm="none")
    assert "algorithm" in refused(client, token)["message"]


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(client, login, rep, settings):
    # The algorithm-confusion attack: HS256 with the (public) verification key as the secret.
    kid = jwt.get_unverified_header(login("rep1"))["kid"]
    public_pem = (settings.common.jwt_key_dir / f"{kid}.pub.pem").read_bytes()
    now = int(time.time())
    claims = {"sub": rep.id, "roles": ["admin"], "iss": "crm-gateway", "aud": "crm", "iat": now, "exp": now + 600}
    header = {"alg": "HS256", "kid": kid, "typ": "JWT"}
    signing = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=") + b"." + base64.urlsafe_b64encode(
        json.dumps(claims).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing, hashlib.sha256).digest()).rstrip(b"=")
    assert "algorithm" in refused(client, (signing + b"." + signature).decode())["message"]


def test_a_token_whose_claims_were_changed_after_signing_is_refused(client, login, rep):
    header, payload, signature = login("rep1").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused(client, f"{header}.{forged}.{signature}")


def test_a_token_signed_with_a_key_the_gateway_does_not_have_is_refused(client, rep, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    generate_key_pair(elsewhere)
    assert "unknown key" in refused(client, TokenIssuer(elsewhere, "crm-gateway", "crm").issue(identity(rep)))["message"]


def test_after_a_new_key_is_added_old_tokens_still_work_and_new_logins_use_the_new_key(
    client, login, rep, settings, bearer, poll
):
    old_token = login("rep1")
    assert client.get("/api/v1/me", headers=bearer(old_token)).status_code == 200
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    new_kid = generate_key_pair(settings.common.jwt_key_dir, kid="zz-rotated")
    new_token = login("rep1")
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    assert client.get("/api/v1/me", headers=bearer(old_token)).status_code == 200
    # The verifier re-reads the key folder for an unknown kid at most once a second.
    poll(lambda: client.get("/api/v1/me", headers=bearer(new_token)).status_code == 200, what="the new key to be accepted")


def test_a_malformed_authorization_header_is_refused_with_the_error_shape(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert set(response.get_json()) == {"code", "status", "message", "errors"}
