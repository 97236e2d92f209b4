"""Login with Amazon (LWA) for the SP-API face: per-seller credentials, the token endpoint
`POST /auth/o2/token` and the check of the `x-amz-access-token` header.

Every seller has an LWA client id, client secret and refresh token derived from its seller id
(`credentials`), so sellers created before the SP-API face existed have them too. Access tokens
are random (`Atza|…`), stored with their seller and an expiry one hour later on the *sandbox*
clock; expired ones are kept a day so that a late caller is told "expired", not "invalid".
A revoked refresh token (admin) makes the endpoint answer `invalid_grant`.

Restricted Data Tokens (`Atz.sprdt|…`, issued by the Tokens API, `api_spapi_tokens`) live in
`lwa_restricted_tokens` with their seller, expiry (one hour, sandbox clock) and resources (the
method and path each one opens; a path may hold `{name}` segments, one segment each). An RDT
is an access token only for its resources (`matching_resource`).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
from urllib.parse import parse_qsl, unquote

from . import registry
from .registry import Response, SandboxState

ACCESS_TOKEN_SECONDS = 3600
RESTRICTED_TOKEN_SECONDS = 3600
RESTRICTED_PREFIX = "Atz.sprdt|"
#: expired access tokens are remembered this long (sandbox seconds), then forgotten
EXPIRED_TOKEN_MEMORY = 86400
TOKEN_PATH = "/auth/o2/token"

SCHEMA = """
CREATE TABLE IF NOT EXISTS lwa_access_tokens (
    token TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    issued_at REAL NOT NULL,          -- sandbox POSIX seconds
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS lwa_access_tokens_seller ON lwa_access_tokens (seller_id);
CREATE TABLE IF NOT EXISTS lwa_restricted_tokens (
    token TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    resources TEXT NOT NULL,          -- JSON [{"method", "path", "dataElements"?}]
    issued_at REAL NOT NULL,          -- sandbox POSIX seconds
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS lwa_restricted_tokens_seller ON lwa_restricted_tokens (seller_id);
CREATE TABLE IF NOT EXISTS lwa_revoked (
    seller_id TEXT PRIMARY KEY,
    revoked_at REAL NOT NULL
);
"""


def _digest(kind: str, seller_id: str) -> str:
    return hashlib.sha256(f"amazon_sandbox:{kind}:{seller_id}".encode()).hexdigest()


def credentials(seller_id: str) -> dict[str, str]:
    """The seller's LWA credentials, a pure function of its seller id (README.md):
    client_id ``amzn1.application-oa2-client.`` + 32 hex digits, client_secret
    ``amzn1.oa2-cs.v1.`` + 64 hex digits, refresh_token ``Atzr|`` + 64 hex digits, the hex
    digits being SHA-256 of ``amazon_sandbox:<kind>:<seller id>``."""
    return {
        "client_id": "amzn1.application-oa2-client." + _digest("client_id", seller_id)[:32],
        "client_secret": "amzn1.oa2-cs.v1." + _digest("client_secret", seller_id),
        "refresh_token": "Atzr|" + _digest("refresh_token", seller_id),
    }


@registry.on_startup
def _startup(state: SandboxState) -> None:
    state.store.ensure_schema(SCHEMA)


@registry.on_tick
def forget_old_access_tokens(state, db: sqlite3.Connection, now) -> None:
    for table in ("lwa_access_tokens", "lwa_restricted_tokens"):
        db.execute(
            f"DELETE FROM {table} WHERE expires_at < ?", (now.timestamp() - EXPIRED_TOKEN_MEMORY,)
        )


# ---- admin helpers ------------------------------------------------------------------------


def is_revoked(db: sqlite3.Connection, seller_id: str) -> bool:
    row = db.execute("SELECT 1 FROM lwa_revoked WHERE seller_id = ?", (seller_id,)).fetchone()
    return row is not None


def set_revoked(db: sqlite3.Connection, seller_id: str, revoked: bool, now: float) -> None:
    if revoked:
        db.execute(
            "INSERT INTO lwa_revoked (seller_id, revoked_at) VALUES (?, ?) "
            "ON CONFLICT(seller_id) DO NOTHING",
            (seller_id, now),
        )
    else:
        db.execute("DELETE FROM lwa_revoked WHERE seller_id = ?", (seller_id,))


def expire_access_tokens(db: sqlite3.Connection, seller_id: str, now: float) -> int:
    """Make every live access token (and restricted data token) of the seller expire now;
    returns how many."""
    count = 0
    for table in ("lwa_access_tokens", "lwa_restricted_tokens"):
        cursor = db.execute(
            f"UPDATE {table} SET expires_at = ? WHERE seller_id = ? AND expires_at > ?",
            (now, seller_id, now),
        )
        count += cursor.rowcount
    return count


def live_access_tokens(db: sqlite3.Connection, seller_id: str, now: float) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM lwa_access_tokens WHERE seller_id = ? AND expires_at > ?",
        (seller_id, now),
    ).fetchone()
    return int(row[0])


def seller_info(db: sqlite3.Connection, seller_id: str) -> dict:
    """What the admin shows of a seller's SP-API side."""
    return {**credentials(seller_id), "refresh_token_revoked": is_revoked(db, seller_id)}


# ---- the token endpoint -------------------------------------------------------------------


def _answer(status: int, data: dict, request_id: str) -> Response:
    body = json.dumps(data).encode()
    headers = {"x-amzn-RequestId": request_id, "Cache-Control": "no-cache, no-store"}
    return Response(body, status, "application/json;charset=UTF-8", headers)


def _error(status: int, code: str, description: str, request_id: str) -> Response:
    return _answer(status, {"error": code, "error_description": description}, request_id)


def _form(body: bytes, content_type: str) -> dict[str, str] | None:
    """The request parameters: a form body (LWA's documented way) or a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "json" in content_type:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return {str(k): str(v) for k, v in data.items() if v is not None}
    return dict(parse_qsl(text, keep_blank_values=True))


def handle_token(
    state: SandboxState, method: str, body: bytes, headers: dict[str, str], request_id: str
) -> Response:
    """`POST /auth/o2/token` with grant_type=refresh_token, as Login with Amazon answers it."""
    from . import sellers
    from .server import run_ticks

    if method != "POST":
        return _error(400, "invalid_request", "The request must be a POST.", request_id)
    params = _form(body, headers.get("content-type", ""))
    if params is None:
        return _error(400, "invalid_request", "The request body could not be read.", request_id)
    grant_type = params.get("grant_type")
    if not grant_type:
        return _error(
            400,
            "invalid_request",
            "The request is missing a required parameter : grant_type",
            request_id,
        )
    if grant_type != "refresh_token":
        return _error(
            400,
            "unsupported_grant_type",
            f"The authorization grant type is not supported by the authorization server : "
            f"{grant_type}",
            request_id,
        )
    client_id = params.get("client_id", "")
    client_secret = params.get("client_secret", "")
    refresh_token = params.get("refresh_token", "")
    with state.store.tx() as db:
        run_ticks(state, db)
        seller = None
        for candidate in sellers.load_sellers(db):
            if credentials(candidate.seller_id)["client_id"] == client_id:
                seller = candidate
                break
        creds = credentials(seller.seller_id) if seller else None
        if (
            creds is None
            or not client_secret
            or not secrets.compare_digest(creds["client_secret"], client_secret)
        ):
            return _error(401, "invalid_client", "Client authentication failed", request_id)
        if not refresh_token:
            return _error(
                400,
                "invalid_request",
                "The request is missing a required parameter : refresh_token",
                request_id,
            )
        if not secrets.compare_digest(creds["refresh_token"], refresh_token) or is_revoked(
            db, seller.seller_id
        ):
            return _error(
                400,
                "invalid_grant",
                "The request has an invalid grant parameter : refresh_token",
                request_id,
            )
        now = state.clock.timestamp()
        token = "Atza|" + secrets.token_urlsafe(48)
        db.execute(
            "INSERT INTO lwa_access_tokens (token, seller_id, issued_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (token, seller.seller_id, now, now + ACCESS_TOKEN_SECONDS),
        )
    return _answer(
        200,
        {
            "access_token": token,
            "refresh_token": refresh_token,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
        },
        request_id,
    )


# ---- checking an SP-API call --------------------------------------------------------------

EXPIRED = "The access token you provided has expired."
INVALID = "The access token you provided is revoked, malformed or invalid."


def seller_of_token(
    db: sqlite3.Connection, token: str | None, now: float
) -> tuple[str | None, str, list[dict] | None]:
    """(seller id, "", None) for a valid access token, (seller id, "", its resources) for a
    valid restricted data token, else (None, the 403's details, None)."""
    if not token:
        return None, INVALID, None
    restricted = token.startswith(RESTRICTED_PREFIX)
    table = "lwa_restricted_tokens" if restricted else "lwa_access_tokens"
    columns = "seller_id, expires_at" + (", resources" if restricted else "")
    row = db.execute(f"SELECT {columns} FROM {table} WHERE token = ?", (token,)).fetchone()
    if row is None:
        return None, INVALID, None
    if now >= row["expires_at"]:
        return None, EXPIRED, None
    return row["seller_id"], "", json.loads(row["resources"]) if restricted else None


# ---- restricted data tokens ---------------------------------------------------------------


def issue_restricted_token(
    db: sqlite3.Connection, seller_id: str, resources: list[dict], now: float
) -> str:
    """A new restricted data token of the seller for those resources."""
    token = RESTRICTED_PREFIX + secrets.token_urlsafe(48)
    db.execute(
        "INSERT INTO lwa_restricted_tokens (token, seller_id, resources, issued_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (token, seller_id, json.dumps(resources), now, now + RESTRICTED_TOKEN_SECONDS),
    )
    return token


_TEMPLATE_SEGMENT = re.compile(r"^\{\w+\}$")


def _segments(path: str) -> list[str]:
    return unquote(path).rstrip("/").split("/")


def same_path(a: str, b: str) -> bool:
    return _segments(a) == _segments(b)


def matching_resource(resources: list[dict], method: str, path: str) -> str | None:
    """The path of the RDT resource that opens (method, path): an equal path first, else a
    template whose `{name}` segments stand for one segment each; None when none does."""
    wanted = _segments(path)
    paths = [r["path"] for r in resources if r["method"] == method]
    for candidate in paths:
        if _segments(candidate) == wanted:
            return candidate
    for candidate in paths:
        segments = _segments(candidate)
        if len(segments) == len(wanted) and all(
            s == w or (w and _TEMPLATE_SEGMENT.match(s))
            for s, w in zip(segments, wanted, strict=True)
        ):
            return candidate
    return None
