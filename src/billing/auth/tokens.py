"""JWT verification (and minting of development tokens) with pyjwt."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from billing.auth.principal import ROLE_PERMISSIONS, Principal, Role
from billing.config import Settings
from billing.core.errors import Unauthorized


def mint_token(
    settings: Settings,
    *,
    role: Role,
    subject: str,
    tenant_id: uuid.UUID | None = None,
    reseller_id: uuid.UUID | None = None,
    ttl_seconds: int | None = None,
) -> str:
    """A signed token with the claims the service reads (development and tests)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role.value,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds or settings.token_ttl_seconds),
    }
    if tenant_id is not None:
        claims["tenant_id"] = str(tenant_id)
    if reseller_id is not None:
        claims["reseller_id"] = str(reseller_id)
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), settings.jwt_algorithm)


# A client sends the same token on every request until it expires; verifying it again costs
# more than the rest of authentication. Verified tokens are remembered with their expiry, keyed
# by everything the verification depends on (a token is never trusted under another secret,
# algorithm, audience or issuer). Failures are never remembered: each is verified and refused.
_VERIFIED_MAX = 4096
_verified: OrderedDict[tuple[str, ...], tuple[Principal, float]] = OrderedDict()


def principal_from_token(token: str, settings: Settings) -> Principal:
    """Verify a JWT and turn its claims into a principal.

    Raises:
        Unauthorized: bad signature, expired, or claims that do not fit the role.
    """
    key = (
        token,
        settings.jwt_secret.get_secret_value(),
        settings.jwt_algorithm,
        settings.jwt_audience or "",
        settings.jwt_issuer or "",
    )
    remembered = _verified.get(key)
    if remembered is not None:
        principal, expires_at = remembered
        if time.time() < expires_at:
            return principal
        _verified.pop(key, None)
    principal, expires_at = _verify(token, settings)
    _verified[key] = (principal, expires_at)
    if len(_verified) > _VERIFIED_MAX:
        _verified.popitem(last=False)
    return principal


def _verify(token: str, settings: Settings) -> tuple[Principal, float]:
    """The principal of a verified token and the moment it stops being accepted."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is invalid.") from exc

    try:
        role = Role(claims["role"])
    except ValueError as exc:
        raise Unauthorized("The token names an unknown role.") from exc
    tenant_id = _uuid_claim(claims, "tenant_id")
    reseller_id = _uuid_claim(claims, "reseller_id")
    if role in (Role.TENANT_OWNER, Role.TENANT_MEMBER) and tenant_id is None:
        raise Unauthorized("A tenant token must carry a tenant_id claim.")
    if role is Role.RESELLER and reseller_id is None:
        raise Unauthorized("A reseller token must carry a reseller_id claim.")
    principal = Principal(
        kind="user",
        subject=str(claims["sub"]),
        role=role,
        permissions=ROLE_PERMISSIONS[role],
        tenant_id=tenant_id if not role.is_staff else None,
        reseller_id=reseller_id if role is Role.RESELLER else None,
    )
    # Accepted until the same moment jwt.decode would stop accepting it.
    return principal, float(claims["exp"]) + settings.jwt_leeway_seconds


def _uuid_claim(claims: dict[str, Any], name: str) -> uuid.UUID | None:
    value = claims.get(name)
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Unauthorized(f"The {name} claim is not a valid id.") from exc
