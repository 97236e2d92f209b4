"""Feeds API: SubmitFeed, GetFeedSubmissionList(+ByNextToken), GetFeedSubmissionCount,
CancelFeedSubmissions, GetFeedSubmissionResult; and the feed lifecycle.

A feed is stored as submitted, then moves over SANDBOX time (on the next request or admin
call, via an on_tick hook): _SUBMITTED_ → _IN_PROGRESS_ after START_DELAY seconds →
_DONE_ after DONE_DELAY + PER_1000_MESSAGES × ceil(messages / 1000) seconds. Its messages are
applied (catalog, orders) when it reaches _DONE_, and the ProcessingReport is stored then.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sqlite3
from datetime import datetime, timedelta

from . import feed_processing
from .catalog import CATALOG_SCHEMA, catalog_rows
from .clock import UTC, iso, parse_iso
from .errors import ApiError
from .registry import Request, Response, on_startup, on_tick, operation, result_response, sub
from .sellers import issue_token, redeem_token

__all__ = ["FEED_TYPES", "catalog_rows", "feed_row", "list_feeds"]

START_DELAY = 30.0  # sandbox seconds from _SUBMITTED_ to _IN_PROGRESS_
DONE_DELAY = 90.0  # sandbox seconds from _SUBMITTED_ to _DONE_ ...
PER_1000_MESSAGES = 2.0  # ... plus this per started 1,000 messages
FEED_ID_START = 50001000001  # Amazon's feed submission ids are 11-digit numbers
LIST_HISTORY_DAYS = 90

# FeedType -> the MessageType its envelope must carry
FEED_TYPES = {
    "_POST_PRODUCT_DATA_": "Product",
    "_POST_INVENTORY_AVAILABILITY_DATA_": "Inventory",
    "_POST_PRODUCT_PRICING_DATA_": "Price",
    "_POST_PRODUCT_IMAGE_DATA_": "ProductImage",
    "_POST_PRODUCT_RELATIONSHIP_DATA_": "Relationship",
    "_POST_PRODUCT_OVERRIDES_DATA_": "Override",
    "_POST_ORDER_ACKNOWLEDGEMENT_DATA_": "OrderAcknowledgement",
    "_POST_ORDER_FULFILLMENT_DATA_": "OrderFulfillment",
    "_POST_PAYMENT_ADJUSTMENT_DATA_": "OrderAdjustment",
}
STATUSES = (
    "_SUBMITTED_",
    "_IN_PROGRESS_",
    "_DONE_",
    "_CANCELLED_",
    "_AWAITING_ASYNCHRONOUS_REPLY_",
    "_IN_SAFETY_NET_",
    "_UNCONFIRMED_",
)

FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    feed_id INTEGER PRIMARY KEY,
    seller_id TEXT NOT NULL,
    feed_type TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted REAL NOT NULL,      -- sandbox POSIX seconds
    started REAL,
    completed REAL,
    due_start REAL NOT NULL,
    due_done REAL NOT NULL,
    message_count INTEGER NOT NULL,
    purge INTEGER NOT NULL DEFAULT 0,
    marketplaces TEXT NOT NULL DEFAULT '[]',
    feed_options TEXT,
    content_type TEXT,
    body BLOB NOT NULL,
    report BLOB,
    summary TEXT                  -- JSON ProcessingSummary once done
);
CREATE INDEX IF NOT EXISTS feeds_seller ON feeds (seller_id, submitted);
CREATE INDEX IF NOT EXISTS feeds_pending ON feeds (status, due_start);
"""


@on_startup
def _startup(state) -> None:
    state.store.ensure_schema(CATALOG_SCHEMA)
    state.store.ensure_schema(FEEDS_SCHEMA)
    if state.config.xsd_dir:
        feed_processing.envelope_schema(state.config.xsd_dir)  # compile once, now


@on_tick
def advance_feeds(state, db: sqlite3.Connection, now: datetime) -> None:
    """Move feeds along their lifecycle up to `now` (processing them when they finish)."""
    ts = now.timestamp()
    db.execute(
        "UPDATE feeds SET status = '_IN_PROGRESS_', started = due_start "
        "WHERE status = '_SUBMITTED_' AND due_start <= ?",
        (ts,),
    )
    due = db.execute(
        "SELECT feed_id FROM feeds WHERE status = '_IN_PROGRESS_' AND due_done <= ? "
        "ORDER BY due_done, feed_id",
        (ts,),
    ).fetchall()
    for (feed_id,) in due:
        row = db.execute("SELECT * FROM feeds WHERE feed_id = ?", (feed_id,)).fetchone()
        done_at = datetime.fromtimestamp(row["due_done"], UTC)
        report, summary = feed_processing.process_feed(state, db, row, done_at)
        db.execute(
            "UPDATE feeds SET status = '_DONE_', completed = due_done, report = ?, summary = ? "
            "WHERE feed_id = ?",
            (report, json.dumps(summary), feed_id),
        )


# ---- helpers ------------------------------------------------------------------------------


def _enumerated(params: dict[str, str], prefix: str) -> list[str]:
    """Values of Prefix.1, Prefix.2, ... in index order."""
    found = []
    for key, value in params.items():
        if key.startswith(prefix):
            index = key[len(prefix) :]
            if not index.isdigit():
                raise ApiError("InvalidParameterValue", f"Invalid parameter name {key}.")
            found.append((int(index), value))
    return [v for _i, v in sorted(found)]


def _date_param(params: dict[str, str], name: str) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return parse_iso(value).timestamp()
    except (ValueError, OverflowError) as exc:
        raise ApiError(
            "InvalidParameterValue", f"Invalid {name}: {value!r} is not an ISO 8601 date."
        ) from exc


def _max_count(params: dict[str, str], default: int = 10) -> int:
    raw = params.get("MaxCount")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ApiError(
            "InvalidParameterValue",
            f"Invalid MaxCount {raw!r}: it must be an integer between 1 and 100.",
        )
    return int(raw)


def _feed_info(parent, row) -> None:
    info = sub(parent, "FeedSubmissionInfo")
    sub(info, "FeedSubmissionId", row["feed_id"])
    sub(info, "FeedType", row["feed_type"])
    sub(info, "SubmittedDate", iso(datetime.fromtimestamp(row["submitted"], UTC)))
    sub(info, "FeedProcessingStatus", row["status"])
    if row["started"] is not None:
        sub(info, "StartedProcessingDate", iso(datetime.fromtimestamp(row["started"], UTC)))
    if row["completed"] is not None:
        sub(info, "CompletedProcessingDate", iso(datetime.fromtimestamp(row["completed"], UTC)))


def _filters(req: Request, *, ids: bool = True, statuses: bool = True) -> tuple[str, list]:
    """SQL WHERE clause for the feed filters of List/Count/Cancel."""
    p = req.params
    where, args = ["seller_id = ?"], [req.seller.seller_id]
    feed_ids = _enumerated(p, "FeedSubmissionIdList.Id.") if ids else []
    if feed_ids:
        # Amazon ignores every other condition when ids are given.
        if not all(i.isdigit() for i in feed_ids):
            raise ApiError("InvalidParameterValue", "FeedSubmissionId values are numbers.")
        where.append(f"feed_id IN ({','.join('?' * len(feed_ids))})")
        return " AND ".join(where), [*args, *map(int, feed_ids)]
    types = _enumerated(p, "FeedTypeList.Type.")
    for t in types:
        if t not in FEED_TYPES:
            raise ApiError("InvalidFeedType", f"Invalid FeedType {t}.")
    if types:
        where.append(f"feed_type IN ({','.join('?' * len(types))})")
        args += types
    states = _enumerated(p, "FeedProcessingStatusList.Status.") if statuses else []
    for s in states:
        if s not in STATUSES:
            raise ApiError("InvalidParameterValue", f"Invalid FeedProcessingStatus {s}.")
    if states:
        where.append(f"status IN ({','.join('?' * len(states))})")
        args += states
    start = _date_param(p, "SubmittedFromDate")
    end = _date_param(p, "SubmittedToDate")
    if start is None:
        start = (req.now - timedelta(days=LIST_HISTORY_DAYS)).timestamp()
    where.append("submitted >= ?")
    args.append(start)
    if end is not None:
        if end < start:
            raise ApiError(
                "InvalidParameterValue", "SubmittedToDate must be later than SubmittedFromDate."
            )
        where.append("submitted <= ?")
        args.append(end)
    return " AND ".join(where), args


def feed_row(db: sqlite3.Connection, seller_id: str, feed_id: int):
    return db.execute(
        "SELECT * FROM feeds WHERE seller_id = ? AND feed_id = ?", (seller_id, feed_id)
    ).fetchone()


def list_feeds(db: sqlite3.Connection, seller_id: str) -> list[dict]:
    """Admin view: every feed of a seller, newest first, without bodies."""
    rows = db.execute(
        "SELECT feed_id, feed_type, status, submitted, started, completed, message_count, "
        "purge, marketplaces, summary, length(body) AS size FROM feeds WHERE seller_id = ? "
        "ORDER BY submitted DESC, feed_id DESC",
        (seller_id,),
    ).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        for key in ("submitted", "started", "completed"):
            d[key] = iso(datetime.fromtimestamp(d[key], UTC)) if d[key] is not None else None
        d["marketplaces"] = json.loads(d["marketplaces"])
        d["summary"] = json.loads(d["summary"]) if d["summary"] else None
        d["purge"] = bool(d["purge"])
        out.append(d)
    return out


# ---- operations ---------------------------------------------------------------------------


@operation("SubmitFeed", section="Feeds")
def submit_feed(req: Request) -> Response:
    p = req.params
    feed_type = p.get("FeedType")
    if not feed_type:
        raise ApiError(
            "MissingParameter", "The parameter FeedType is required but was not present."
        )
    if feed_type not in FEED_TYPES:
        raise ApiError("InvalidFeedType", f"Invalid FeedType {feed_type}.")
    md5 = req.headers.get("content-md5")
    if not md5:
        raise ApiError("ContentMD5Missing", "The Content-MD5 HTTP header was not present.")
    actual = base64.b64encode(hashlib.md5(req.body).digest()).decode()
    if md5.strip() != actual:
        raise ApiError(
            "ContentMD5DoesNotMatch",
            f"The Content-MD5 HTTP header you passed for your feed ({md5.strip()}) did not "
            f"match the Content-MD5 we calculated for your feed ({actual}).",
        )
    if not req.body:
        raise ApiError("InputDataError", "The feed content is empty.")
    markets = _enumerated(p, "MarketplaceIdList.Id.")
    for m in markets:
        if m not in req.seller.marketplace_ids:
            raise ApiError(
                "InvalidParameterValue",
                f"Invalid MarketplaceId {m}: the seller does not participate in it.",
            )
    purge = p.get("PurgeAndReplace", "false").lower()
    if purge not in ("true", "false"):
        raise ApiError("InvalidParameterValue", "PurgeAndReplace must be true or false.")
    count = req.body.count(b"<MessageID>")
    submitted = req.now.timestamp()
    done = DONE_DELAY + PER_1000_MESSAGES * math.ceil(count / 1000)
    with req.state.store.tx() as db:
        feed_id = req.state.store.next_id(db, "feed_submission", FEED_ID_START)
        db.execute(
            "INSERT INTO feeds (feed_id, seller_id, feed_type, status, submitted, due_start, "
            "due_done, message_count, purge, marketplaces, feed_options, content_type, body) "
            "VALUES (?, ?, ?, '_SUBMITTED_', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                feed_id,
                req.seller.seller_id,
                feed_type,
                submitted,
                submitted + START_DELAY,
                submitted + done,
                count,
                purge == "true",
                json.dumps(markets),
                p.get("FeedOptions"),
                req.headers.get("content-type"),
                req.body,
            ),
        )
        row = feed_row(db, req.seller.seller_id, feed_id)
    return result_response(req, lambda result: _feed_info(result, row))


def _list_page(req: Request, db, ids: list[int], page: int) -> Response:
    shown, rest = ids[:page], ids[page:]
    rows = []
    if shown:
        marks = ",".join("?" * len(shown))
        by_id = {
            r["feed_id"]: r
            for r in db.execute(f"SELECT * FROM feeds WHERE feed_id IN ({marks})", shown)
        }
        rows = [by_id[i] for i in shown if i in by_id]
    token = issue_token(db, req, "feed_list", {"ids": rest, "page": page}) if rest else None

    def fill(result):
        if token:
            sub(result, "NextToken", token)
        sub(result, "HasNext", "true" if token else "false")
        for row in rows:
            _feed_info(result, row)

    return result_response(req, fill)


@operation("GetFeedSubmissionList", section="Feeds")
def get_feed_submission_list(req: Request) -> Response:
    page = _max_count(req.params)
    where, args = _filters(req)
    with req.state.store.tx() as db:
        ids = [
            r[0]
            for r in db.execute(
                f"SELECT feed_id FROM feeds WHERE {where} ORDER BY submitted DESC, feed_id DESC",
                args,
            )
        ]
        return _list_page(req, db, ids, page)


@operation("GetFeedSubmissionListByNextToken", section="Feeds")
def get_feed_submission_list_by_next_token(req: Request) -> Response:
    with req.state.store.tx() as db:
        payload = redeem_token(db, req, "feed_list")
        return _list_page(req, db, payload["ids"], payload["page"])


@operation("GetFeedSubmissionCount", section="Feeds")
def get_feed_submission_count(req: Request) -> Response:
    where, args = _filters(req, ids=False)
    with req.state.store.tx() as db:
        count = db.execute(f"SELECT count(*) FROM feeds WHERE {where}", args).fetchone()[0]
    return result_response(req, lambda result: sub(result, "Count", count))


@operation("CancelFeedSubmissions", section="Feeds")
def cancel_feed_submissions(req: Request) -> Response:
    where, args = _filters(req, statuses=False)
    with req.state.store.tx() as db:
        ids = [
            r[0]
            for r in db.execute(
                f"SELECT feed_id FROM feeds WHERE {where} AND status = '_SUBMITTED_' "
                "ORDER BY submitted DESC, feed_id DESC",
                args,
            )
        ]
        if ids:
            marks = ",".join("?" * len(ids))
            db.execute(f"UPDATE feeds SET status = '_CANCELLED_' WHERE feed_id IN ({marks})", ids)
        rows = [feed_row(db, req.seller.seller_id, i) for i in ids]

    def fill(result):
        sub(result, "Count", len(rows))
        for row in rows:
            _feed_info(result, row)

    return result_response(req, fill)


@operation("GetFeedSubmissionResult", section="Feeds")
def get_feed_submission_result(req: Request) -> Response:
    raw = req.params.get("FeedSubmissionId")
    if not raw:
        raise ApiError(
            "MissingParameter", "The parameter FeedSubmissionId is required but was not present."
        )
    if not raw.isdigit():
        raise ApiError("InvalidFeedSubmissionId", f"Invalid FeedSubmissionId {raw}.")
    with req.state.store.tx() as db:
        row = feed_row(db, req.seller.seller_id, int(raw))
    if row is None:
        raise ApiError("InvalidFeedSubmissionId", f"Invalid FeedSubmissionId {raw}.")
    if row["status"] == "_CANCELLED_":
        raise ApiError("FeedCanceled", f"Feed Submission {raw} was cancelled.")
    if row["status"] != "_DONE_" or row["report"] is None:
        raise ApiError(
            "FeedProcessingResultNotReady", f"Feed Submission Result is not ready for Feed {raw}"
        )
    body = bytes(row["report"])
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return Response(body, headers={"Content-MD5": md5})
