"""What several SP-API operations of the sandbox share: reading query and body parameters
(dates, arrays, page sizes, marketplaces), the nextToken paging of getFeeds and getReports, the
createdSince/createdUntil window of both, and the answer of getFeedDocument and
getReportDocument. Every refusal is a 400 InvalidInput with the messages the operations gave
before these helpers existed."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from . import spapi_documents
from .clock import parse_iso
from .sellers import issue_token, lookup_token
from .spapi import SpError, SpRequest, invalid_input

#: how far back getFeeds and getReports look without createdSince
LIST_HISTORY = timedelta(days=90)
#: createdUntil covers the whole millisecond it names (createdTime is shown in milliseconds)
UNTIL_MS = timedelta(microseconds=999)
ISO_DETAILS = "Use ISO 8601 date-time."


def parse_date(name: str, value, details: str = ISO_DETAILS) -> datetime | None:
    """A date parameter (query or JSON body) as a datetime, None when absent."""
    if value is None:
        return None
    try:
        return parse_iso(str(value))
    except ValueError:
        raise invalid_input(f"Invalid {name}: {value!r}.", details) from None


def query_date(req: SpRequest, name: str, details: str = ISO_DETAILS) -> datetime | None:
    return parse_date(name, req.one(name), details)


def page_size(req: SpRequest, name: str = "pageSize", default: int = 10) -> int:
    """An integer query parameter between 1 and 100."""
    text = req.one(name) or str(default)
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise invalid_input(f"Invalid {name}: {text!r}.", "The value must be between 1 and 100.")
    return int(text)


def list_param(
    req: SpRequest,
    name: str,
    *,
    required: str | None = None,
    maximum: int | None = None,
    allowed: Collection[str] | None = None,
) -> list[str]:
    """An array query parameter: `required` is the message when it is empty, `maximum` its
    length at most, `allowed` the values it may hold (named in the refusal)."""
    values = req.many(name)
    if required is not None and not values:
        raise invalid_input(required)
    if maximum is not None and len(values) > maximum:
        raise invalid_input(f"At most {maximum} {name} are allowed.")
    if allowed is not None:
        for value in values:
            if value not in allowed:
                raise invalid_input(
                    f"Invalid {name} value: {value}.", f"Valid values: {', '.join(allowed)}."
                )
    return values


def seller_markets(req: SpRequest, markets: list[str], maximum: int) -> list[str]:
    """At most `maximum` marketplace ids, each one the seller participates in."""
    if len(markets) > maximum:
        raise invalid_input(f"At most {maximum} marketplaceIds are allowed.")
    for market in markets:
        if market not in req.seller.marketplace_ids:
            raise invalid_input(
                f"Invalid marketplaceId: {market}.",
                "The seller does not participate in this marketplace.",
            )
    return list(markets)


def body_markets(req: SpRequest, values, maximum: int = 25) -> list[str]:
    """The marketplaceIds of a JSON body (createFeed, createReport)."""
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise invalid_input("marketplaceIds must be a non-empty array of strings.")
    return seller_markets(req, values, maximum)


def created_window(req: SpRequest) -> tuple[datetime, datetime]:
    """(createdSince, createdUntil) of getFeeds / getReports: 90 days back to now by default;
    the end covers its whole millisecond (times are shown to the millisecond)."""
    since = query_date(req, "createdSince") or req.now - LIST_HISTORY
    until = query_date(req, "createdUntil") or req.now
    if until < since:
        raise invalid_input("createdUntil must be after createdSince.")
    return since, until + UNTIL_MS


def only_next_token(req: SpRequest) -> str | None:
    """The nextToken, refusing it with any other parameter (as the models say)."""
    token = req.one("nextToken")
    if token is not None:
        others = sorted(k for k, v in req.query.items() if k != "nextToken" and any(v))
        if others:
            raise invalid_input(
                "nextToken must be the only parameter.",
                f"Also given: {', '.join(others)}.",
            )
    return token


def id_page(
    req: SpRequest, db, kind: str, matching: Callable[[SpRequest, object], list]
) -> tuple[list, str | None]:
    """(the ids of this page, the nextToken of the rest or None) of a list operation paged
    by nextToken (getFeeds, getReports): the first call filters with `matching(req, db)` and
    pageSize; the token keeps the remaining ids and the page size."""
    token = only_next_token(req)
    if token is not None:
        payload = lookup_token(db, req.seller.seller_id, kind, token, req.now)
        if payload is None:
            raise invalid_input("Invalid nextToken.", "The token is unknown or has expired.")
        ids, size = payload["ids"], payload["size"]
    else:
        size = page_size(req)
        ids = matching(req, db)
    shown, rest = ids[:size], ids[size:]
    next_token = issue_token(db, req, kind, {"ids": rest, "size": size}) if rest else None
    return shown, next_token


def document_answer(
    req: SpRequest, document_id: str, kinds: Collection[str], key: str, label: str
) -> dict:
    """getFeedDocument / getReportDocument: a pre-signed GET URL for a document of one of
    `kinds` (404 "The {label} {id} was not found." otherwise), and its compression."""
    gzip_header = (req.one("enableContentEncodingUrlHeader") or "").lower() == "true"
    now = req.now.timestamp()
    with req.state.store.tx() as db:
        document = spapi_documents.load(db, req.seller.seller_id, document_id)
        if document is None or document["kind"] not in kinds:
            raise SpError(404, "NotFound", f"The {label} {document_id} was not found.")
        url = spapi_documents.presign(
            db,
            req.base_url(),
            req.seller.seller_id,
            document_id,
            "GET",
            now,
            gzip_header=gzip_header,
        )
    answer = {key: document_id, "url": url}
    if document["compression"]:
        answer["compressionAlgorithm"] = document["compression"]
    return answer
