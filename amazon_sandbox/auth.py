"""Signature Version 2 verification, exactly as Amazon documents it and python-amazon-mws signs.

String to sign: METHOD, host, path and the canonical query (every parameter but Signature,
sorted by byte order, keys and values percent-encoded per RFC 3986), joined by newlines;
HMAC-SHA256 (or SHA1) with the secret key, base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import quote, unquote_to_bytes

from .clock import parse_iso
from .errors import ApiError
from .registry import SECTIONS, Operation, Seller

MAX_SKEW_SECONDS = 15 * 60
REQUIRED = ("AWSAccessKeyId", "SignatureVersion", "SignatureMethod", "Signature", "Version")


def parse_query(raw: str) -> dict[str, str]:
    """Decode a query string strictly per RFC 3986 ('+' stays '+', as Amazon reads it).

    Raises ApiError(InvalidParameterValue) for undecodable input.
    """
    params: dict[str, str] = {}
    if not raw:
        return params
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        try:
            k = unquote_to_bytes(key).decode("utf-8")
            v = unquote_to_bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(
                "InvalidParameterValue", "The query string is not valid UTF-8 once decoded."
            ) from exc
        if not k:
            continue
        params[k] = v
    return params


def rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    items = sorted(
        ((rfc3986(k), rfc3986(v)) for k, v in params.items() if k != "Signature"),
        key=lambda kv: kv[0].encode(),
    )
    return "&".join(f"{k}={v}" for k, v in items)


def sign(secret: str, method: str, host: str, path: str, params: dict[str, str], algo="sha256"):
    """The base64 signature for these request parts."""
    data = "\n".join([method.upper(), host, path, canonical_query(params)])
    digest = hmac.new(secret.encode(), data.encode(), getattr(hashlib, algo)).digest()
    return base64.b64encode(digest).decode()


def host_candidates(host_header: str) -> list[str]:
    """Host lines a client may have signed: the Host header as sent, and the way
    python-amazon-mws signs a non-https domain (`http://host:port`)."""
    host = (host_header or "").strip().lower()
    out = [host, f"http://{host}"]
    if host.endswith(":80"):
        out += [host[:-3], f"http://{host[:-3]}"]
    return out


def check_signature(
    seller: Seller, method: str, host_header: str, path: str, params: dict[str, str]
) -> None:
    method_name = params.get("SignatureMethod", "")
    if params.get("SignatureVersion") != "2":
        raise ApiError(
            "InvalidParameterValue",
            f"Invalid value {params.get('SignatureVersion')!r} for SignatureVersion: use 2.",
        )
    algos = {"HmacSHA256": "sha256", "HmacSHA1": "sha1"}
    if method_name not in algos:
        raise ApiError(
            "InvalidParameterValue",
            f"Invalid value {method_name!r} for SignatureMethod: use HmacSHA256.",
        )
    given = params.get("Signature", "")
    for host in host_candidates(host_header):
        expected = sign(seller.secret_key, method, host, path, params, algos[method_name])
        if hmac.compare_digest(expected.encode(), given.encode()):
            return
    raise ApiError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details.",
        403,
    )


def check_time(params: dict[str, str], real_now: float | None = None) -> None:
    """Timestamp within 15 minutes of the REAL clock, or Expires not yet passed."""
    real_now = time.time() if real_now is None else real_now
    stamp, expires = params.get("Timestamp"), params.get("Expires")
    if stamp is None and expires is None:
        raise ApiError(
            "MissingParameter", "Either the Timestamp or the Expires parameter is required."
        )
    if stamp is not None and expires is not None:
        raise ApiError("InvalidParameterValue", "Timestamp and Expires cannot both be present.")
    name, value = ("Timestamp", stamp) if stamp is not None else ("Expires", expires)
    try:
        when = parse_iso(value).timestamp()
    except (ValueError, OverflowError) as exc:
        raise ApiError(
            "InvalidParameterValue", f"{name} {value} must be in ISO8601 format"
        ) from exc
    if name == "Timestamp" and abs(real_now - when) > MAX_SKEW_SECONDS:
        raise ApiError(
            "RequestExpired",
            f"Request has expired. Timestamp date is {value}; it must be within 15 minutes "
            "of the server's time.",
        )
    if name == "Expires" and when < real_now:
        raise ApiError("RequestExpired", f"Request has expired. Expires date is {value}.")


def authenticate(
    method: str,
    host_header: str,
    path: str,
    params: dict[str, str],
    seller_by_key: Callable[[str], Seller | None],
    op: Operation | None,
) -> Seller:
    """Check an MWS request and return its seller; raise ApiError as Amazon would."""
    for name in REQUIRED:
        if not params.get(name):
            raise ApiError(
                "MissingParameter", f"The parameter {name} is required but was not present."
            )
    seller = seller_by_key(params["AWSAccessKeyId"])
    if seller is None:
        raise ApiError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
        )
    check_signature(seller, method, host_header, path, params)
    check_time(params)
    if op is None:
        raise ApiError(
            "InvalidAction",
            f"The action {params.get('Action', '')} is not valid for this endpoint.",
            404,
        )
    version = SECTIONS[op.section][0]
    if params["Version"] != version:
        raise ApiError(
            "InvalidParameterValue",
            f"Invalid value {params['Version']!r} for Version: {op.section} uses {version}.",
        )
    account = params.get("SellerId") or params.get("Merchant")
    if not account:
        name = "SellerId" if op.section in ("Orders", "Sellers") else "Merchant"
        raise ApiError("MissingParameter", f"The parameter {name} is required but was not present.")
    denied = f"Access to {op.section}.{op.action} is denied"
    if account != seller.seller_id:
        raise ApiError("AccessDenied", denied, 401)
    if seller.auth_token and params.get("MWSAuthToken") != seller.auth_token:
        raise ApiError("AccessDenied", f"{denied}: invalid or missing MWSAuthToken", 401)
    return seller
