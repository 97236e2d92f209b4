"""Seller accounts (storage) and the Sellers API: ListMarketplaceParticipations, and
GetServiceStatus for every section."""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone

from .clock import iso_z
from .errors import ApiError
from .registry import (
    SECTIONS,
    Request,
    Response,
    Seller,
    on_tick,
    operation,
    result_response,
    sub,
)

SELLERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sellers (
    seller_id TEXT PRIMARY KEY,
    access_key TEXT NOT NULL UNIQUE,
    secret_key TEXT NOT NULL,
    marketplace_ids TEXT NOT NULL,
    auth_token TEXT
);
CREATE TABLE IF NOT EXISTS next_tokens (
    token TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created TEXT NOT NULL
);
"""

DEMO_SELLER = Seller("A2DEMOSELLER01", "DEMOACCESSKEY", "DEMOSECRETKEY", ["ATVPDKIKX0DER"])

# marketplace id -> (name, country, currency, language, domain)
MARKETPLACES = {
    "ATVPDKIKX0DER": ("Amazon.com", "US", "USD", "en_US", "www.amazon.com"),
    "A2EUQ1WTGCTBG2": ("Amazon.ca", "CA", "CAD", "en_CA", "www.amazon.ca"),
    "A1AM78C64UM0Y8": ("Amazon.com.mx", "MX", "MXN", "es_MX", "www.amazon.com.mx"),
    "A2Q3Y263D00KWC": ("Amazon.com.br", "BR", "BRL", "pt_BR", "www.amazon.com.br"),
    "A1F83G8C2ARO7P": ("Amazon.co.uk", "GB", "GBP", "en_GB", "www.amazon.co.uk"),
    "A1PA6795UKMFR9": ("Amazon.de", "DE", "EUR", "de_DE", "www.amazon.de"),
    "A13V1IB3VIYZZH": ("Amazon.fr", "FR", "EUR", "fr_FR", "www.amazon.fr"),
    "APJ6JRA9NG5V4": ("Amazon.it", "IT", "EUR", "it_IT", "www.amazon.it"),
    "A1RKKUPIHCS9HS": ("Amazon.es", "ES", "EUR", "es_ES", "www.amazon.es"),
    "A1805IZSGTT6HS": ("Amazon.nl", "NL", "EUR", "nl_NL", "www.amazon.nl"),
    "A2NODRKZP88ZB9": ("Amazon.se", "SE", "SEK", "sv_SE", "www.amazon.se"),
    "A1C3SOZRARQ6R3": ("Amazon.pl", "PL", "PLN", "pl_PL", "www.amazon.pl"),
    "A21TJRUUN4KGV": ("Amazon.in", "IN", "INR", "en_IN", "www.amazon.in"),
    "A1VC38T7YXB528": ("Amazon.co.jp", "JP", "JPY", "ja_JP", "www.amazon.co.jp"),
    "A39IBJ37TRP1C6": ("Amazon.com.au", "AU", "AUD", "en_AU", "www.amazon.com.au"),
}


def marketplace_currency(marketplace_id: str) -> str:
    return MARKETPLACES.get(marketplace_id, ("", "", "USD"))[2]


def _seller(row: sqlite3.Row) -> Seller:
    return Seller(
        row["seller_id"],
        row["access_key"],
        row["secret_key"],
        json.loads(row["marketplace_ids"]),
        row["auth_token"] or None,
    )


def load_sellers(db: sqlite3.Connection) -> list[Seller]:
    return [_seller(r) for r in db.execute("SELECT * FROM sellers ORDER BY seller_id")]


def get_seller(db: sqlite3.Connection, seller_id: str) -> Seller | None:
    row = db.execute("SELECT * FROM sellers WHERE seller_id = ?", (seller_id,)).fetchone()
    return _seller(row) if row else None


def seller_by_key(db: sqlite3.Connection, access_key: str) -> Seller | None:
    row = db.execute("SELECT * FROM sellers WHERE access_key = ?", (access_key,)).fetchone()
    return _seller(row) if row else None


def save_seller(db: sqlite3.Connection, seller: Seller) -> None:
    """Create or replace a seller (keyed by seller id)."""
    if not seller.seller_id or not seller.access_key or not seller.secret_key:
        raise ValueError("seller_id, access_key and secret_key are required")
    if not seller.marketplace_ids:
        raise ValueError("at least one marketplace id is required")
    other = db.execute(
        "SELECT seller_id FROM sellers WHERE access_key = ? AND seller_id != ?",
        (seller.access_key, seller.seller_id),
    ).fetchone()
    if other:
        raise ValueError(f"access key already used by seller {other[0]}")
    db.execute(
        "INSERT INTO sellers (seller_id, access_key, secret_key, marketplace_ids, auth_token) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(seller_id) DO UPDATE SET "
        "access_key = excluded.access_key, secret_key = excluded.secret_key, "
        "marketplace_ids = excluded.marketplace_ids, auth_token = excluded.auth_token",
        (
            seller.seller_id,
            seller.access_key,
            seller.secret_key,
            json.dumps(seller.marketplace_ids),
            seller.auth_token,
        ),
    )


def parse_seller_option(text: str) -> Seller:
    """--seller SELLER_ID:ACCESS_KEY:SECRET_KEY[:MARKETPLACE_ID[,MARKETPLACE_ID...]]"""
    parts = text.split(":")
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise ValueError(
            f"--seller wants SELLER_ID:ACCESS_KEY:SECRET_KEY[:MARKETPLACE_ID], got {text!r}"
        )
    markets = parts[3].split(",") if len(parts) == 4 and parts[3] else ["ATVPDKIKX0DER"]
    return Seller(parts[0], parts[1], parts[2], markets)


# ---- next tokens (shared by every paged operation) ----------------------------------------


TOKEN_TTL = timedelta(hours=24)


def _stamp(moment: datetime) -> str:
    """Fixed-width UTC text that sorts like the datetime."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def issue_token(db: sqlite3.Connection, req: Request, kind: str, payload: dict) -> str:
    """Store the continuation of a paged answer; the token is opaque and base64-looking.

    Shared by every paged operation (feeds, orders, reports, participations)."""
    token = base64.b64encode(secrets.token_bytes(24)).decode()
    db.execute(
        "INSERT INTO next_tokens (token, seller_id, kind, payload, created) VALUES (?,?,?,?,?)",
        (token, req.seller.seller_id, kind, json.dumps(payload), _stamp(req.now)),
    )
    return token


def redeem_token(
    db: sqlite3.Connection, req: Request, kind: str, invalid_code: str = "NextTokenCorrupted"
) -> dict:
    """The payload of NextToken for this seller and kind. A token that is unknown, of another
    seller or operation, or older than a day answers ``invalid_code`` (400)."""
    token = req.params.get("NextToken")
    if not token:
        raise ApiError(
            "MissingParameter", "The parameter NextToken is required but was not present."
        )
    payload = lookup_token(db, req.seller.seller_id, kind, token, req.now)
    if payload is None:
        raise ApiError(invalid_code, f"Invalid NextToken: {token!r} is unknown or has expired.")
    return payload


def lookup_token(
    db: sqlite3.Connection, seller_id: str, kind: str, token: str, now: datetime
) -> dict | None:
    """The payload of a token of this seller and kind issued less than a day ago, or None
    (also used by the SP-API face for its paginationToken)."""
    row = db.execute(
        "SELECT payload FROM next_tokens "
        "WHERE token = ? AND seller_id = ? AND kind = ? AND created >= ?",
        (token, seller_id, kind, _stamp(now - TOKEN_TTL)),
    ).fetchone()
    return None if row is None else json.loads(row[0])


@on_tick
def forget_expired_tokens(state, db: sqlite3.Connection, now: datetime) -> None:
    db.execute("DELETE FROM next_tokens WHERE created < ?", (_stamp(now - TOKEN_TTL),))


# ---- Sellers API --------------------------------------------------------------------------

PAGE = 10  # participations per page


def _participations(req: Request, start: int) -> Response:
    markets = req.seller.marketplace_ids
    page = markets[start : start + PAGE]

    def fill(result):
        if start + PAGE < len(markets):
            with req.state.store.tx() as db:
                sub(
                    result,
                    "NextToken",
                    issue_token(db, req, "participations", {"start": start + PAGE}),
                )
        parts = sub(result, "ListParticipations")
        for mid in page:
            p = sub(parts, "Participation")
            sub(p, "MarketplaceId", mid)
            sub(p, "SellerId", req.seller.seller_id)
            sub(p, "HasSellerSuspendedListings", "No")
        listed = sub(result, "ListMarketplaces")
        for mid in page:
            name, country, currency, lang, domain = MARKETPLACES.get(
                mid, (mid, "US", "USD", "en_US", "www.amazon.com")
            )
            m = sub(listed, "Marketplace")
            sub(m, "MarketplaceId", mid)
            sub(m, "Name", name)
            sub(m, "DefaultCountryCode", country)
            sub(m, "DefaultCurrencyCode", currency)
            sub(m, "DefaultLanguageCode", lang)
            sub(m, "DomainName", domain)

    return result_response(req, fill)


@operation("ListMarketplaceParticipations", section="Sellers")
def list_marketplace_participations(req: Request) -> Response:
    return _participations(req, 0)


@operation(
    "ListMarketplaceParticipationsByNextToken",
    section="Sellers",
    throttle="ListMarketplaceParticipations",
)
def list_marketplace_participations_by_next_token(req: Request) -> Response:
    with req.state.store.tx() as db:
        payload = redeem_token(db, req, "participations")
    return _participations(req, int(payload["start"]))


def _service_status(req: Request) -> Response:
    def fill(result):
        sub(result, "Status", "GREEN")
        sub(result, "Timestamp", iso_z(req.now.replace(microsecond=0)))

    return result_response(req, fill)


for _section in SECTIONS:
    # Each section has its own GetServiceStatus quota.
    operation("GetServiceStatus", section=_section, throttle=f"{_section}.GetServiceStatus")(
        _service_status
    )
