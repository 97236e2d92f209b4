"""The Feeds API 2021-06-30 on the SP-API face (JSON, through the `spapi` frame):
createFeedDocument, createFeed, getFeed, getFeeds, cancelFeed, getFeedDocument.

The seller creates a feed document (a pre-signed PUT URL on the sandbox, `spapi_documents`),
uploads the feed to it, then creates the feed from the document. A feed is a row of `sp_feeds`
(the MWS face's feeds are another table: a feed belongs to the API it was submitted to; both
change the same orders), and moves on the sandbox clock with the MWS feeds' delays
(`feeds.START_DELAY`, `DONE_DELAY`, `PER_1000_MESSAGES`): IN_QUEUE → IN_PROGRESS 30 s after
creation → DONE (or FATAL) at 90 s + 2 s per started 1,000 messages.

- The XML order feeds (POST_ORDER_ACKNOWLEDGEMENT_DATA, POST_ORDER_FULFILLMENT_DATA,
  POST_PAYMENT_ADJUSTMENT_DATA: MWS's `_POST_…_DATA_` types without the underscores) are
  processed by the MWS feed processor (`feed_processing.process_feed`: the same XSD validation
  with --xsd-dir, per-message results and effect on orders); their result document is the
  ProcessingReport GetFeedSubmissionResult gives.
- The XML listing feeds Amazon removed on 2025-07-31 (POST_PRODUCT_DATA, …) end FATAL with a
  ProcessingReport saying so.
- JSON_LISTINGS_FEED (one marketplace) is processed by `listings_feed`, each message like the
  Listings Items API call of its operation, on the catalog both faces share; its result is the
  JSON processing report (listings-feed-processing-report-schema-v2). A document invalid as a
  whole ends FATAL, with a report saying why.
- Any other feedType: 400 InvalidInput.

The result document is gzipped or plain as `spapi_documents` decides.
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime

from . import feed_processing, listings_feed, registry, spapi_documents
from .clock import UTC, iso_z
from .feeds import DONE_DELAY, FEED_ID_START, PER_1000_MESSAGES, START_DELAY
from .spapi import SpError, SpRequest, invalid_input, route
from .spapi_params import body_markets, created_window, document_answer, id_page, list_param

MODEL = "feeds_2021-06-30.json"
#: SP-API feed type -> the MWS feed type whose processor applies it
ORDER_FEEDS = {
    "POST_ORDER_ACKNOWLEDGEMENT_DATA": "_POST_ORDER_ACKNOWLEDGEMENT_DATA_",
    "POST_ORDER_FULFILLMENT_DATA": "_POST_ORDER_FULFILLMENT_DATA_",
    "POST_PAYMENT_ADJUSTMENT_DATA": "_POST_PAYMENT_ADJUSTMENT_DATA_",
}
#: the XML listing feeds Amazon answers FATAL since 2025-07-31
REMOVED_FEEDS = (
    "POST_PRODUCT_DATA",
    "POST_INVENTORY_AVAILABILITY_DATA",
    "POST_PRODUCT_PRICING_DATA",
    "POST_PRODUCT_IMAGE_DATA",
    "POST_PRODUCT_RELATIONSHIP_DATA",
    "POST_PRODUCT_OVERRIDES_DATA",
)
JSON_LISTINGS_FEED = "JSON_LISTINGS_FEED"
FEED_TYPES = (*ORDER_FEEDS, *REMOVED_FEEDS, JSON_LISTINGS_FEED)
STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
REMOVED_MESSAGE = (
    "The feed type {feed_type} is no longer supported: Amazon removed the XML listing feeds "
    "on 2025-07-31. Send listings with JSON_LISTINGS_FEED or the Listings Items API."
)
TOKEN_KIND = "sp:getFeeds"

SCHEMA = """
CREATE TABLE IF NOT EXISTS sp_feeds (
    feed_id INTEGER PRIMARY KEY,
    seller_id TEXT NOT NULL,
    feed_type TEXT NOT NULL,
    status TEXT NOT NULL,             -- IN_QUEUE | IN_PROGRESS | DONE | FATAL | CANCELLED
    created REAL NOT NULL,            -- sandbox POSIX seconds
    started REAL,
    completed REAL,
    due_start REAL NOT NULL,
    due_done REAL NOT NULL,
    message_count INTEGER NOT NULL,
    marketplaces TEXT NOT NULL,
    feed_options TEXT,
    input_document_id TEXT NOT NULL,
    content_type TEXT,
    body BLOB NOT NULL,
    result_document_id TEXT,
    summary TEXT                      -- JSON ProcessingSummary once processed
);
CREATE INDEX IF NOT EXISTS sp_feeds_seller ON sp_feeds (seller_id, created);
CREATE INDEX IF NOT EXISTS sp_feeds_pending ON sp_feeds (status, due_start);
"""


@registry.on_startup
def _startup(state) -> None:
    state.store.ensure_schema(SCHEMA)


# ---- processing ---------------------------------------------------------------------------


def _fatal_document(row, seller_id: str) -> tuple[bytes, str, dict]:
    """(result document, its content type, summary) of a removed XML listing feed (FATAL)."""
    feed_type = row["feed_type"]
    result = feed_processing.Result(
        "Error", 5000, REMOVED_MESSAGE.format(feed_type=feed_type), message_id="0"
    )
    body = feed_processing.build_report(seller_id, row["feed_id"], 0, [result])
    return body, "text/xml; charset=UTF-8", feed_processing._summary(0, [result])


@registry.on_tick
def advance_sp_feeds(state, db: sqlite3.Connection, now: datetime) -> None:
    """Move SP-API feeds along up to `now`, processing those that finish."""
    ts = now.timestamp()
    db.execute(
        "UPDATE sp_feeds SET status = 'IN_PROGRESS', started = due_start "
        "WHERE status = 'IN_QUEUE' AND due_start <= ?",
        (ts,),
    )
    due = db.execute(
        "SELECT feed_id FROM sp_feeds WHERE status = 'IN_PROGRESS' AND due_done <= ? "
        "ORDER BY due_done, feed_id",
        (ts,),
    ).fetchall()
    for (feed_id,) in due:
        row = db.execute("SELECT * FROM sp_feeds WHERE feed_id = ?", (feed_id,)).fetchone()
        done_at = datetime.fromtimestamp(row["due_done"], UTC)
        if row["feed_type"] in ORDER_FEEDS:
            mws_row = {**dict(row), "feed_type": ORDER_FEEDS[row["feed_type"]], "purge": 0}
            body, summary = feed_processing.process_feed(state, db, mws_row, done_at)
            content_type, status = "text/xml; charset=UTF-8", "DONE"
        elif row["feed_type"] == JSON_LISTINGS_FEED:
            body, summary, status = listings_feed.process(state, db, row, done_at)
            content_type = "application/json"
        else:
            body, content_type, summary = _fatal_document(row, row["seller_id"])
            status = "FATAL"
        document_id = spapi_documents.new_result(
            db, row["seller_id"], body, content_type, row["due_done"]
        )
        db.execute(
            "UPDATE sp_feeds SET status = ?, completed = due_done, result_document_id = ?, "
            "summary = ? WHERE feed_id = ?",
            (status, document_id, json.dumps(summary), feed_id),
        )


# ---- helpers ------------------------------------------------------------------------------


def _time(ts: float | None) -> str | None:
    return None if ts is None else iso_z(datetime.fromtimestamp(ts, UTC))


def feed_json(row) -> dict:
    """An `sp_feeds` row as the model's Feed."""
    feed = {
        "feedId": str(row["feed_id"]),
        "feedType": row["feed_type"],
        "marketplaceIds": json.loads(row["marketplaces"]),
        "createdTime": _time(row["created"]),
        "processingStatus": row["status"],
    }
    if row["started"] is not None:
        feed["processingStartTime"] = _time(row["started"])
    if row["completed"] is not None:
        feed["processingEndTime"] = _time(row["completed"])
    if row["result_document_id"]:
        feed["resultFeedDocumentId"] = row["result_document_id"]
    return feed


def _feed_row(db, seller_id: str, feed_id: str):
    if not feed_id.isdigit():
        return None
    return db.execute(
        "SELECT * FROM sp_feeds WHERE seller_id = ? AND feed_id = ?", (seller_id, int(feed_id))
    ).fetchone()


def _not_found(feed_id: str) -> SpError:
    return SpError(404, "NotFound", f"The feed {feed_id} was not found.")


def list_sp_feeds(db: sqlite3.Connection, seller_id: str) -> list[dict]:
    """Admin view: the seller's SP-API feeds, newest first (Feed JSON plus counts)."""
    rows = db.execute(
        "SELECT * FROM sp_feeds WHERE seller_id = ? ORDER BY created DESC, feed_id DESC",
        (seller_id,),
    ).fetchall()
    return [
        {
            **feed_json(r),
            "inputFeedDocumentId": r["input_document_id"],
            "messageCount": r["message_count"],
            "summary": json.loads(r["summary"]) if r["summary"] else None,
        }
        for r in rows
    ]


def sp_feed_row(db: sqlite3.Connection, seller_id: str, feed_id: str):
    return _feed_row(db, seller_id, feed_id)


# ---- operations ---------------------------------------------------------------------------


@route(
    "POST",
    "/feeds/2021-06-30/documents",
    operation="createFeedDocument",
    model=MODEL,
    rate="0.5",
    burst=15,
)
def create_feed_document(req: SpRequest):
    spec = req.json()
    content_type = spec.get("contentType")
    if not isinstance(content_type, str) or not content_type.strip():
        raise invalid_input("contentType is required.", "Give the content type of the feed.")
    now = req.now.timestamp()
    with req.state.store.tx() as db:
        document_id = spapi_documents.new_upload(db, req.seller.seller_id, content_type, now)
        url = spapi_documents.presign(
            db, req.base_url(), req.seller.seller_id, document_id, "PUT", now
        )
    return 201, {"feedDocumentId": document_id, "url": url}


@route(
    "POST", "/feeds/2021-06-30/feeds", operation="createFeed", model=MODEL, rate="0.0083", burst=15
)
def create_feed(req: SpRequest):
    spec = req.json()
    feed_type = spec.get("feedType")
    if not isinstance(feed_type, str) or not feed_type:
        raise invalid_input("feedType is required.")
    if feed_type not in FEED_TYPES:
        raise invalid_input(
            f"Invalid feedType: {feed_type}.",
            f"The sandbox accepts {', '.join(FEED_TYPES)}.",
        )
    if "marketplaceIds" not in spec:
        raise invalid_input("marketplaceIds is required.")
    markets = body_markets(req, spec["marketplaceIds"])
    if feed_type == JSON_LISTINGS_FEED and len(markets) != 1:
        raise invalid_input(
            "JSON_LISTINGS_FEED applies to one marketplace: give exactly one marketplaceId."
        )
    document_id = spec.get("inputFeedDocumentId")
    if not isinstance(document_id, str) or not document_id:
        raise invalid_input("inputFeedDocumentId is required.")
    options = spec.get("feedOptions")
    if options is not None and (
        not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values())
    ):
        raise invalid_input("feedOptions must be an object of strings.")
    now = req.now.timestamp()
    with req.state.store.tx() as db:
        document = spapi_documents.load(db, req.seller.seller_id, document_id)
        if document is None or document["kind"] != "feed_input":
            raise invalid_input(
                f"Invalid inputFeedDocumentId: {document_id}.",
                "No feed document of this seller has that id.",
            )
        if document["content"] is None:
            raise invalid_input(
                f"Invalid inputFeedDocumentId: {document_id}.",
                "The feed document has not been uploaded: PUT its content to the URL "
                "createFeedDocument answered before calling createFeed.",
            )
        body = bytes(document["content"])
        count = body.count(b"<MessageID>")
        if feed_type == JSON_LISTINGS_FEED:
            try:
                count = len(json.loads(body.decode("utf-8")).get("messages") or [])
            except (ValueError, AttributeError, UnicodeDecodeError):
                count = 0
        feed_id = req.state.store.next_id(db, "feed_submission", FEED_ID_START)
        done = DONE_DELAY + PER_1000_MESSAGES * math.ceil(count / 1000)
        db.execute(
            "INSERT INTO sp_feeds (feed_id, seller_id, feed_type, status, created, due_start, "
            "due_done, message_count, marketplaces, feed_options, input_document_id, "
            "content_type, body) VALUES (?, ?, ?, 'IN_QUEUE', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                feed_id,
                req.seller.seller_id,
                feed_type,
                now,
                now + START_DELAY,
                now + done,
                count,
                json.dumps(markets),
                json.dumps(options) if options is not None else None,
                document_id,
                document["content_type"],
                body,
            ),
        )
    return 202, {"feedId": str(feed_id)}


@route(
    "GET", "/feeds/2021-06-30/feeds/{feedId}", operation="getFeed", model=MODEL, rate="2", burst=15
)
def get_feed(req: SpRequest) -> dict:
    feed_id = req.path_params["feedId"]
    with req.state.store.tx() as db:
        row = _feed_row(db, req.seller.seller_id, feed_id)
    if row is None:
        raise _not_found(feed_id)
    return feed_json(row)


@route(
    "DELETE",
    "/feeds/2021-06-30/feeds/{feedId}",
    operation="cancelFeed",
    model=MODEL,
    rate="2",
    burst=15,
)
def cancel_feed(req: SpRequest):
    feed_id = req.path_params["feedId"]
    with req.state.store.tx() as db:
        row = _feed_row(db, req.seller.seller_id, feed_id)
        if row is None:
            raise _not_found(feed_id)
        if row["status"] != "IN_QUEUE":
            raise invalid_input(
                f"The feed {feed_id} cannot be cancelled.",
                f"Only feeds with processingStatus IN_QUEUE can be cancelled; it is "
                f"{row['status']}.",
            )
        db.execute("UPDATE sp_feeds SET status = 'CANCELLED' WHERE feed_id = ?", (row["feed_id"],))
    return None


@route("GET", "/feeds/2021-06-30/feeds", operation="getFeeds", model=MODEL, rate="0.0222", burst=10)
def get_feeds(req: SpRequest) -> dict:
    with req.state.store.tx() as db:
        shown, next_token = id_page(req, db, TOKEN_KIND, _matching_feeds)
        rows = [
            db.execute("SELECT * FROM sp_feeds WHERE feed_id = ?", (i,)).fetchone() for i in shown
        ]
    answer: dict = {"feeds": [feed_json(r) for r in rows if r is not None]}
    if next_token:
        answer["nextToken"] = next_token
    return answer


def _matching_feeds(req: SpRequest, db) -> list[int]:
    types = list_param(req, "feedTypes", required="feedTypes or nextToken is required.", maximum=10)
    for feed_type in types:
        if feed_type not in FEED_TYPES:
            raise invalid_input(f"Invalid feedTypes value: {feed_type}.")
    statuses = list_param(req, "processingStatuses", allowed=STATUSES)
    markets = list_param(req, "marketplaceIds", maximum=10)
    since, until = created_window(req)
    where = ["seller_id = ?", "created >= ?", "created <= ?"]
    args: list = [req.seller.seller_id, since.timestamp(), until.timestamp()]
    where.append(f"feed_type IN ({','.join('?' * len(types))})")
    args += types
    if statuses:
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        args += statuses
    rows = db.execute(
        f"SELECT feed_id, marketplaces FROM sp_feeds WHERE {' AND '.join(where)} "
        "ORDER BY created DESC, feed_id DESC",
        args,
    ).fetchall()
    return [
        r["feed_id"]
        for r in rows
        if not markets or set(markets) & set(json.loads(r["marketplaces"]))
    ]


@route(
    "GET",
    "/feeds/2021-06-30/documents/{feedDocumentId}",
    operation="getFeedDocument",
    model=MODEL,
    rate="0.0222",
    burst=10,
)
def get_feed_document(req: SpRequest) -> dict:
    return document_answer(
        req,
        req.path_params["feedDocumentId"],
        ("feed_input", "feed_result"),
        "feedDocumentId",
        "feed document",
    )
