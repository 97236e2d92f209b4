"""Reports API (2009-01-01): RequestReport, GetReportRequestList(+ByNextToken),
GetReportRequestCount, CancelReportRequests, GetReportList(+ByNextToken), GetReportCount,
GetReport, UpdateReportAcknowledgements, ManageReportSchedule, GetReportScheduleList,
GetReportScheduleCount; report processing and scheduled reports on the sandbox clock.

Requestable types: `_GET_FLAT_FILE_ORDERS_DATA_`, `_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_`,
`_GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_`, `_GET_AFN_INVENTORY_DATA_`,
`_GET_MERCHANT_LISTINGS_ALL_DATA_` (every SKU with its ASIN and status). `_GET_ORDERS_DATA_`
can only be scheduled (ManageReportSchedule) and `_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_`
is scheduled by the sandbox itself: asking RequestReport for them is InvalidParameterValue
("not requestable"). The SP-API face's Reports API (`api_spapi_reports`) requests and lists
reports in the same tables.

Processing (sandbox time): `_SUBMITTED_`, then `_IN_PROGRESS_` `REPORT_START_SECONDS` (10 s)
after submission, then `_DONE_` (with a GeneratedReportId) or `_DONE_NO_DATA_` (nothing
matched) `REPORT_DONE_SECONDS` (45 s) after submission; both overridable with
Config.report_start_seconds / report_done_seconds. The body is built when the request
completes. Requested dates: EndDate defaults to the submission time, StartDate to 30 days
before EndDate; MarketplaceIdList.Id.N restricts the orders (default: all of the seller's).

Settlements: every `SETTLEMENT_PERIOD` (24 sandbox hours, Config.settlement_period_hours) the
sandbox closes a settlement period per seller, from the first time it saw the seller, and
publishes one V2 settlement report per marketplace with shipments or refunds in the period
(none when nothing happened). `run_settlement` (admin "settle now") closes the current period
at once. Reports are listed with a ReportRequestId and Scheduled=true, like Amazon's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from datetime import datetime, timedelta

from lxml import etree

from . import registry
from .api_orders import all_orders, date_param, enumerated
from .catalog import catalog_rows
from .clock import UTC, iso, parse_iso
from .errors import ApiError, invalid, missing
from .registry import Request, Response, Seller
from .reports import AFN_INVENTORY, LISTINGS_ALL, REPORT_TYPES, XML_ORDERS, render_report
from .sellers import issue_token, redeem_token
from .settlement import REPORT_TYPE as SETTLEMENT_V2
from .settlement import build_settlements, render_settlement

REPORTS_NS = "http://mws.amazonaws.com/doc/2009-01-01/"

SCHEMA = """
CREATE TABLE IF NOT EXISTS report_requests (
    request_id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    report_type TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    marketplaces TEXT NOT NULL DEFAULT '[]',
    scheduled INTEGER NOT NULL DEFAULT 0,
    submitted TEXT NOT NULL,          -- sortable UTC text
    status TEXT NOT NULL,
    started TEXT,
    completed TEXT,
    report_id TEXT
);
CREATE INDEX IF NOT EXISTS report_requests_seller ON report_requests (seller_id, submitted);
CREATE INDEX IF NOT EXISTS report_requests_status ON report_requests (status);
CREATE TABLE IF NOT EXISTS reports (
    report_id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    report_type TEXT NOT NULL,
    request_id TEXT NOT NULL,
    available TEXT NOT NULL,          -- sortable UTC text
    acknowledged INTEGER NOT NULL DEFAULT 0,
    acknowledged_date TEXT,
    content BLOB NOT NULL,
    content_type TEXT NOT NULL,
    md5 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_seller ON reports (seller_id, available);
CREATE TABLE IF NOT EXISTS report_schedules (
    seller_id TEXT NOT NULL,
    report_type TEXT NOT NULL,
    schedule TEXT NOT NULL,
    anchor TEXT NOT NULL,             -- end of the last scheduled period (ISO)
    PRIMARY KEY (seller_id, report_type)
);
"""

REPORT_START_SECONDS = 10
REPORT_DONE_SECONDS = 45
SETTLEMENT_PERIOD = timedelta(hours=24)
DEFAULT_RANGE = timedelta(days=30)
LIST_WINDOW = timedelta(days=90)
STATUSES = ("_SUBMITTED_", "_IN_PROGRESS_", "_CANCELLED_", "_DONE_", "_DONE_NO_DATA_")
SCHEDULES = {
    "_15_MINUTES_": timedelta(minutes=15),
    "_30_MINUTES_": timedelta(minutes=30),
    "_1_HOUR_": timedelta(hours=1),
    "_2_HOURS_": timedelta(hours=2),
    "_4_HOURS_": timedelta(hours=4),
    "_8_HOURS_": timedelta(hours=8),
    "_12_HOURS_": timedelta(hours=12),
    "_1_DAY_": timedelta(days=1),
    "_2_DAYS_": timedelta(days=2),
    "_72_HOURS_": timedelta(hours=72),
    "_1_WEEK_": timedelta(days=7),
    "_14_DAYS_": timedelta(days=14),
    "_15_DAYS_": timedelta(days=15),
    "_30_DAYS_": timedelta(days=30),
}
SCHEDULABLE = (XML_ORDERS,)
MAX_CATCH_UP = 400  # periods closed in one tick after a long clock jump


def _key(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


@registry.on_startup
def _startup(state) -> None:
    state.store.ensure_schema(SCHEMA)


def _config(state, name: str, default):
    value = getattr(state.config, name, None)
    return default if value is None else value


# ---- storage ------------------------------------------------------------------------------


def _new_request(db, state, seller_id, report_type, start, end, markets, scheduled, now) -> dict:
    number = state.store.next_id(db, "report_request", start=50001)
    request_id = str(2291300000 + number)
    db.execute(
        "INSERT INTO report_requests (request_id, seller_id, report_type, start_date, end_date, "
        "marketplaces, scheduled, submitted, status) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            request_id,
            seller_id,
            report_type,
            start.isoformat() if start else None,
            end.isoformat() if end else None,
            json.dumps(markets),
            int(scheduled),
            _key(now),
            "_SUBMITTED_",
        ),
    )
    return _load_request(db, request_id)


def _load_request(db, request_id: str) -> dict | None:
    row = db.execute("SELECT * FROM report_requests WHERE request_id = ?", (request_id,)).fetchone()
    return dict(row) if row else None


def _store_report(
    db, state, seller_id, report_type, request_id, body: bytes, content_type, now
) -> str:
    number = state.store.next_id(db, "report", start=70001)
    report_id = str(3538500000 + number)
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    db.execute(
        "INSERT INTO reports (report_id, seller_id, report_type, request_id, available, content, "
        "content_type, md5) VALUES (?,?,?,?,?,?,?,?)",
        (report_id, seller_id, report_type, request_id, _key(now), body, content_type, md5),
    )
    return report_id


def _publish(
    db, state, seller_id, report_type, body, content_type, start, end, now, markets=()
) -> str:
    """A scheduled report: its request (Scheduled, _DONE_) and the report, at once."""
    request = _new_request(db, state, seller_id, report_type, start, end, list(markets), True, now)
    report_id = _store_report(
        db, state, seller_id, report_type, request["request_id"], body, content_type, now
    )
    db.execute(
        "UPDATE report_requests SET status = '_DONE_', started = ?, completed = ?, "
        "report_id = ? WHERE request_id = ?",
        (_key(now), _key(now), report_id, request["request_id"]),
    )
    return report_id


def _generate(db, state, request: dict, now: datetime) -> tuple[bytes, str, int]:
    seller_id = request["seller_id"]
    markets = json.loads(request["marketplaces"] or "[]")
    if request["report_type"] in (AFN_INVENTORY, LISTINGS_ALL):
        return render_report(
            request["report_type"], merchant_id=seller_id, catalog=catalog_rows(db, seller_id)
        )
    orders = all_orders(db, seller_id)
    if markets:
        orders = [o for o in orders if o["marketplace_id"] in markets]
    return render_report(
        request["report_type"],
        merchant_id=seller_id,
        orders=orders,
        start=_dt(request["start_date"]),
        end=_dt(request["end_date"]),
    )


# ---- clock ----------------------------------------------------------------------------------


@registry.on_tick
def advance_reports(state, db: sqlite3.Connection, now: datetime) -> None:
    """Move requested reports along, then publish scheduled reports whose period ended."""
    start_after = timedelta(
        seconds=float(_config(state, "report_start_seconds", REPORT_START_SECONDS))
    )
    done_after = timedelta(
        seconds=float(_config(state, "report_done_seconds", REPORT_DONE_SECONDS))
    )
    rows = db.execute(
        "SELECT * FROM report_requests WHERE status IN ('_SUBMITTED_', '_IN_PROGRESS_') "
        "ORDER BY submitted, request_id"
    ).fetchall()
    for row in rows:
        request = dict(row)
        submitted = parse_iso(request["submitted"])
        if submitted + done_after <= now:
            done_at = submitted + done_after
            body, content_type, count = _generate(db, state, request, now)
            report_id = None
            status = "_DONE_NO_DATA_"
            if count:
                status = "_DONE_"
                report_id = _store_report(
                    db,
                    state,
                    request["seller_id"],
                    request["report_type"],
                    request["request_id"],
                    body,
                    content_type,
                    done_at,
                )
            db.execute(
                "UPDATE report_requests SET status = ?, started = ?, completed = ?, "
                "report_id = ? WHERE request_id = ?",
                (
                    status,
                    _key(submitted + start_after),
                    _key(done_at),
                    report_id,
                    request["request_id"],
                ),
            )
        elif submitted + start_after <= now and request["status"] == "_SUBMITTED_":
            db.execute(
                "UPDATE report_requests SET status = '_IN_PROGRESS_', started = ? "
                "WHERE request_id = ?",
                (_key(submitted + start_after), request["request_id"]),
            )
    _run_schedules(state, db, now)


def _settlement_period(state) -> timedelta:
    return timedelta(hours=float(_config(state, "settlement_period_hours", 24)))


def _sellers(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT seller_id FROM sellers ORDER BY seller_id")]


def _schedule(db, seller_id: str, report_type: str) -> dict | None:
    row = db.execute(
        "SELECT * FROM report_schedules WHERE seller_id = ? AND report_type = ?",
        (seller_id, report_type),
    ).fetchone()
    return dict(row) if row else None


def _set_schedule(db, seller_id, report_type, schedule, anchor: datetime) -> None:
    db.execute(
        "INSERT INTO report_schedules (seller_id, report_type, schedule, anchor) "
        "VALUES (?,?,?,?) ON CONFLICT(seller_id, report_type) DO UPDATE SET "
        "schedule = excluded.schedule, anchor = excluded.anchor",
        (seller_id, report_type, schedule, anchor.isoformat()),
    )


def _settle(db, state, seller_id, start, end, now, orders=None) -> list[str]:
    """Publish the settlements of [start, end); the report ids."""
    if orders is None:
        orders = all_orders(db, seller_id)
    settlements = build_settlements(orders, seller_id=seller_id, start=start, end=end)
    ids = []
    for settlement in settlements:
        body = render_settlement(settlement).encode()
        ids.append(
            _publish(
                db,
                state,
                seller_id,
                SETTLEMENT_V2,
                body,
                "text/plain",
                start,
                end,
                now,
                [settlement["marketplace_id"]],
            )
        )
    return ids


def _due_periods(anchor: datetime, step: timedelta, now: datetime):
    """The (start, end) periods that ended by `now`, at most MAX_CATCH_UP of them, and the new
    anchor (a longer clock jump skips the rest)."""
    periods = []
    while anchor + step <= now:
        if len(periods) == MAX_CATCH_UP:
            return periods, now
        periods.append((anchor, anchor + step))
        anchor += step
    return periods, anchor


def _run_schedules(state, db, now: datetime) -> None:
    try:
        seller_ids = _sellers(db)
    except sqlite3.OperationalError:  # no sellers table (in-process tests without the server)
        return
    schedules = {
        (r["seller_id"], r["report_type"]): dict(r)
        for r in db.execute("SELECT * FROM report_schedules")
    }
    period = _settlement_period(state)
    for seller_id in seller_ids:
        settlement = schedules.get((seller_id, SETTLEMENT_V2))
        if settlement is None:
            _set_schedule(db, seller_id, SETTLEMENT_V2, "sandbox", now)
            continue
        orders = None
        periods, anchor = _due_periods(parse_iso(settlement["anchor"]), period, now)
        if periods:
            orders = all_orders(db, seller_id)
            for start, end in periods:
                _settle(db, state, seller_id, start, end, end, orders)
            _set_schedule(db, seller_id, SETTLEMENT_V2, "sandbox", anchor)
        for report_type in SCHEDULABLE:
            sched = schedules.get((seller_id, report_type))
            if sched is None or sched["schedule"] not in SCHEDULES:
                continue
            periods, anchor = _due_periods(
                parse_iso(sched["anchor"]), SCHEDULES[sched["schedule"]], now
            )
            if not periods:
                continue
            orders = orders if orders is not None else all_orders(db, seller_id)
            for start, end in periods:
                body, content_type, count = render_report(
                    report_type,
                    merchant_id=seller_id,
                    orders=orders,
                    start=start,
                    end=end - timedelta(microseconds=1),
                )
                if count:
                    _publish(db, state, seller_id, report_type, body, content_type, start, end, end)
            _set_schedule(db, seller_id, report_type, sched["schedule"], anchor)


def run_settlement(state, db: sqlite3.Connection, seller: Seller, now: datetime) -> str | None:
    """Admin "settle now": close the seller's current settlement period at `now`.

    Returns the report id of the first settlement published (one per marketplace with
    transactions), or None when nothing was shipped or refunded in the period."""
    schedule = _schedule(db, seller.seller_id, SETTLEMENT_V2)
    start = parse_iso(schedule["anchor"]) if schedule else now - _settlement_period(state)
    if start >= now:
        return None
    ids = _settle(db, state, seller.seller_id, start, now, now)
    _set_schedule(db, seller.seller_id, SETTLEMENT_V2, "sandbox", now)
    return ids[0] if ids else None


# ---- responses ------------------------------------------------------------------------------


def _sub(parent, tag: str, text=None):
    el = etree.SubElement(parent, f"{{{REPORTS_NS}}}{tag}")
    if text is not None:
        if isinstance(text, bool):
            el.text = "true" if text else "false"
        else:
            el.text = str(text)
    return el


def _respond(req: Request, fill) -> Response:
    root = etree.Element(f"{{{REPORTS_NS}}}{req.action}Response", nsmap={None: REPORTS_NS})
    result = _sub(root, f"{req.action}Result")
    fill(result)
    meta = _sub(root, "ResponseMetadata")
    _sub(meta, "RequestId", req.request_id)
    return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _request_info(parent, request: dict) -> None:
    info = _sub(parent, "ReportRequestInfo")
    _sub(info, "ReportRequestId", request["request_id"])
    _sub(info, "ReportType", request["report_type"])
    if request["start_date"]:
        _sub(info, "StartDate", iso(parse_iso(request["start_date"])))
    if request["end_date"]:
        _sub(info, "EndDate", iso(parse_iso(request["end_date"])))
    _sub(info, "Scheduled", bool(request["scheduled"]))
    _sub(info, "SubmittedDate", iso(parse_iso(request["submitted"])))
    _sub(info, "ReportProcessingStatus", request["status"])
    if request["report_id"]:
        _sub(info, "GeneratedReportId", request["report_id"])
    if request["started"]:
        _sub(info, "StartedProcessingDate", iso(parse_iso(request["started"])))
    if request["completed"]:
        _sub(info, "CompletedDate", iso(parse_iso(request["completed"])))


def _report_info(parent, report: dict) -> None:
    info = _sub(parent, "ReportInfo")
    _sub(info, "ReportId", report["report_id"])
    _sub(info, "ReportType", report["report_type"])
    _sub(info, "ReportRequestId", report["request_id"])
    _sub(info, "AvailableDate", iso(parse_iso(report["available"])))
    _sub(info, "Acknowledged", bool(report["acknowledged"]))
    if report["acknowledged_date"]:
        _sub(info, "AcknowledgedDate", iso(parse_iso(report["acknowledged_date"])))


def _max_count(req: Request, default: int = 10) -> int:
    text = req.params.get("MaxCount") or str(default)
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise invalid("MaxCount", text, "It must be between 1 and 100.")
    return int(text)


def _bool_param(req: Request, name: str) -> bool | None:
    value = req.params.get(name)
    if value in (None, ""):
        return None
    if value.lower() not in ("true", "false"):
        raise invalid(name, value, "It must be true or false.")
    return value.lower() == "true"


def _types(req: Request) -> list[str]:
    return enumerated(req.params, "ReportTypeList.Type")


# ---- operations ----------------------------------------------------------------------------


@registry.operation("RequestReport", section="Reports", throttle="RequestReport")
def request_report(req: Request) -> Response:
    report_type = req.params.get("ReportType")
    if not report_type:
        raise missing("ReportType")
    if report_type not in REPORT_TYPES:
        raise invalid("ReportType", report_type, "Unknown or unsupported report type.")
    if not REPORT_TYPES[report_type][1]:
        raise invalid(
            "ReportType", report_type, "This report type is not requestable: Amazon schedules it."
        )
    end = date_param(req.params, "EndDate") or req.now
    start = date_param(req.params, "StartDate") or end - DEFAULT_RANGE
    if start > end:
        raise invalid("StartDate", start.isoformat(), "StartDate must be before EndDate.")
    if start > req.now:
        raise invalid("StartDate", start.isoformat(), "StartDate cannot be in the future.")
    markets = enumerated(req.params, "MarketplaceIdList.Id")
    for market in markets:
        if market not in req.seller.marketplace_ids:
            raise invalid(
                "MarketplaceIdList.Id",
                market,
                "The seller does not participate in this marketplace.",
            )
    with req.state.store.tx() as db:
        request = _new_request(
            db,
            req.state,
            req.seller.seller_id,
            report_type,
            start,
            min(end, req.now),
            markets,
            False,
            req.now,
        )
    return _respond(req, lambda result: _request_info(result, request))


def _request_filters(req: Request) -> dict:
    statuses = enumerated(req.params, "ReportProcessingStatusList.Status")
    for status in statuses:
        if status not in STATUSES:
            raise invalid("ReportProcessingStatusList.Status", status)
    start = date_param(req.params, "RequestedFromDate") or req.now - LIST_WINDOW
    end = date_param(req.params, "RequestedToDate") or req.now
    return {
        "ids": enumerated(req.params, "ReportRequestIdList.Id"),
        "types": _types(req),
        "statuses": statuses,
        "from": _key(start),
        "to": _key(end),
    }


def _matching_requests(db, seller_id: str, f: dict) -> list[dict]:
    where, args = ["seller_id = ?"], [seller_id]
    if f["ids"]:
        # Amazon: with ReportRequestIdList, the other conditions are ignored.
        where.append(f"request_id IN ({','.join('?' * len(f['ids']))})")
        args.extend(f["ids"])
    else:
        where.append("submitted >= ? AND submitted <= ?")
        args.extend([f["from"], f["to"]])
        for name, values in (("report_type", f["types"]), ("status", f["statuses"])):
            if values:
                where.append(f"{name} IN ({','.join('?' * len(values))})")
                args.extend(values)
    rows = db.execute(
        f"SELECT * FROM report_requests WHERE {' AND '.join(where)} "
        "ORDER BY submitted DESC, request_id DESC",
        args,
    ).fetchall()
    return [dict(r) for r in rows]


def _paged(req: Request, kind: str, items: list[str], size: int, load, render) -> Response:
    page, rest = items[:size], items[size:]
    with req.state.store.tx() as db:
        token = issue_token(db, req, kind, {"ids": rest, "size": size}) if rest else None
        loaded = [x for x in (load(db, i) for i in page) if x]

    def fill(result):
        if token:
            _sub(result, "NextToken", token)
        _sub(result, "HasNext", bool(token))
        for item in loaded:
            render(result, item)

    return _respond(req, fill)


@registry.operation("GetReportRequestList", section="Reports", throttle="GetReportRequestList")
def get_report_request_list(req: Request) -> Response:
    f = _request_filters(req)
    size = _max_count(req)
    with req.state.store.tx() as db:
        ids = [r["request_id"] for r in _matching_requests(db, req.seller.seller_id, f)]
    return _paged(req, "GetReportRequestList", ids, size, _load_request, _request_info)


@registry.operation(
    "GetReportRequestListByNextToken",
    section="Reports",
    throttle="GetReportRequestListByNextToken",
)
def get_report_request_list_by_next_token(req: Request) -> Response:
    with req.state.store.tx() as db:
        payload = redeem_token(
            db, req, "GetReportRequestList", invalid_code="InvalidParameterValue"
        )
    return _paged(
        req, "GetReportRequestList", payload["ids"], payload["size"], _load_request, _request_info
    )


@registry.operation("GetReportRequestCount", section="Reports", throttle="GetReportRequestCount")
def get_report_request_count(req: Request) -> Response:
    f = _request_filters(req)
    f["ids"] = []
    with req.state.store.tx() as db:
        count = len(_matching_requests(db, req.seller.seller_id, f))
    return _respond(req, lambda result: _sub(result, "Count", count))


@registry.operation("CancelReportRequests", section="Reports", throttle="CancelReportRequests")
def cancel_report_requests(req: Request) -> Response:
    f = _request_filters(req)
    if not f["statuses"]:
        f["statuses"] = ["_SUBMITTED_"]
    with req.state.store.tx() as db:
        matched = [
            r
            for r in _matching_requests(db, req.seller.seller_id, f)
            if r["status"] == "_SUBMITTED_"
        ]
        for request in matched:
            db.execute(
                "UPDATE report_requests SET status = '_CANCELLED_', completed = ? "
                "WHERE request_id = ?",
                (_key(req.now), request["request_id"]),
            )
        cancelled = [_load_request(db, r["request_id"]) for r in matched]

    def fill(result):
        _sub(result, "Count", len(cancelled))
        for request in cancelled:
            _request_info(result, request)

    return _respond(req, fill)


def _report_filters(req: Request) -> dict:
    start = date_param(req.params, "AvailableFromDate") or req.now - LIST_WINDOW
    end = date_param(req.params, "AvailableToDate") or req.now
    return {
        "types": _types(req),
        "acknowledged": _bool_param(req, "Acknowledged"),
        "request_ids": enumerated(req.params, "ReportRequestIdList.Id"),
        "from": _key(start),
        "to": _key(end),
    }


def _matching_reports(db, seller_id: str, f: dict) -> list[str]:
    where, args = ["seller_id = ?"], [seller_id]
    if f["request_ids"]:
        where.append(f"request_id IN ({','.join('?' * len(f['request_ids']))})")
        args.extend(f["request_ids"])
    else:
        where.append("available >= ? AND available <= ?")
        args.extend([f["from"], f["to"]])
        if f["types"]:
            where.append(f"report_type IN ({','.join('?' * len(f['types']))})")
            args.extend(f["types"])
        if f["acknowledged"] is not None:
            where.append("acknowledged = ?")
            args.append(int(f["acknowledged"]))
    rows = db.execute(
        f"SELECT report_id FROM reports WHERE {' AND '.join(where)} "
        "ORDER BY available DESC, report_id DESC",
        args,
    ).fetchall()
    return [r[0] for r in rows]


def _load_report_info(db, report_id: str) -> dict | None:
    row = db.execute(
        "SELECT report_id, seller_id, report_type, request_id, available, acknowledged, "
        "acknowledged_date FROM reports WHERE report_id = ?",
        (report_id,),
    ).fetchone()
    return dict(row) if row else None


@registry.operation("GetReportList", section="Reports", throttle="GetReportList")
def get_report_list(req: Request) -> Response:
    f = _report_filters(req)
    size = _max_count(req)
    with req.state.store.tx() as db:
        ids = _matching_reports(db, req.seller.seller_id, f)
    return _paged(req, "GetReportList", ids, size, _load_report_info, _report_info)


@registry.operation(
    "GetReportListByNextToken", section="Reports", throttle="GetReportListByNextToken"
)
def get_report_list_by_next_token(req: Request) -> Response:
    with req.state.store.tx() as db:
        payload = redeem_token(db, req, "GetReportList", invalid_code="InvalidParameterValue")
    return _paged(
        req, "GetReportList", payload["ids"], payload["size"], _load_report_info, _report_info
    )


@registry.operation("GetReportCount", section="Reports", throttle="GetReportCount")
def get_report_count(req: Request) -> Response:
    f = _report_filters(req)
    f["request_ids"] = []
    with req.state.store.tx() as db:
        count = len(_matching_reports(db, req.seller.seller_id, f))
    return _respond(req, lambda result: _sub(result, "Count", count))


@registry.operation("GetReport", section="Reports", throttle="GetReport")
def get_report(req: Request) -> Response:
    report_id = req.params.get("ReportId")
    if not report_id:
        raise missing("ReportId")
    with req.state.store.tx() as db:
        row = db.execute(
            "SELECT content, content_type, md5 FROM reports WHERE report_id = ? AND seller_id = ?",
            (report_id, req.seller.seller_id),
        ).fetchone()
    if row is None:
        raise invalid("ReportId", report_id, "No such report for this seller.")
    content_type = "text/xml" if row["content_type"] == "text/xml" else "text/plain;charset=UTF-8"
    return Response(bytes(row["content"]), 200, content_type, {"Content-MD5": row["md5"]})


@registry.operation(
    "UpdateReportAcknowledgements", section="Reports", throttle="UpdateReportAcknowledgements"
)
def update_report_acknowledgements(req: Request) -> Response:
    ids = enumerated(req.params, "ReportIdList.Id")
    if not ids:
        raise missing("ReportIdList.Id.1")
    if len(ids) > 100:
        raise ApiError("InvalidParameterValue", "At most 100 ReportIdList values are allowed.")
    flag = _bool_param(req, "Acknowledged")
    flag = True if flag is None else flag
    with req.state.store.tx() as db:
        for report_id in ids:
            db.execute(
                "UPDATE reports SET acknowledged = ?, acknowledged_date = ? "
                "WHERE report_id = ? AND seller_id = ?",
                (int(flag), _key(req.now) if flag else None, report_id, req.seller.seller_id),
            )
        infos = [
            i
            for i in (_load_report_info(db, r) for r in ids)
            if i and i["seller_id"] == req.seller.seller_id
        ]

    def fill(result):
        _sub(result, "Count", len(infos))
        for info in infos:
            _report_info(result, info)

    return _respond(req, fill)


def _schedule_info(parent, schedule: dict, period: timedelta) -> None:
    info = _sub(parent, "ReportSchedule")
    _sub(info, "ReportType", schedule["report_type"])
    _sub(info, "Schedule", schedule["schedule"])
    _sub(info, "ScheduledDate", iso(parse_iso(schedule["anchor"]) + period))


@registry.operation("ManageReportSchedule", section="Reports", throttle="ManageReportSchedule")
def manage_report_schedule(req: Request) -> Response:
    report_type = req.params.get("ReportType")
    schedule = req.params.get("Schedule")
    if not report_type:
        raise missing("ReportType")
    if not schedule:
        raise missing("Schedule")
    if report_type not in SCHEDULABLE:
        raise invalid(
            "ReportType", report_type, f"The sandbox schedules only {', '.join(SCHEDULABLE)}."
        )
    if schedule != "_NEVER_" and schedule not in SCHEDULES:
        raise invalid("Schedule", schedule)
    anchor = date_param(req.params, "ScheduleDate") or req.now
    with req.state.store.tx() as db:
        if schedule == "_NEVER_":
            db.execute(
                "DELETE FROM report_schedules WHERE seller_id = ? AND report_type = ?",
                (req.seller.seller_id, report_type),
            )
            current = None
        else:
            _set_schedule(db, req.seller.seller_id, report_type, schedule, anchor)
            current = _schedule(db, req.seller.seller_id, report_type)

    def fill(result):
        _sub(result, "Count", 1 if current else 0)
        if current:
            _schedule_info(result, current, SCHEDULES[schedule])

    return _respond(req, fill)


def _schedules(req: Request) -> list[dict]:
    types = _types(req)
    with req.state.store.tx() as db:
        rows = db.execute(
            "SELECT * FROM report_schedules WHERE seller_id = ? AND schedule != 'sandbox' "
            "ORDER BY report_type",
            (req.seller.seller_id,),
        ).fetchall()
    return [dict(r) for r in rows if not types or r["report_type"] in types]


@registry.operation("GetReportScheduleList", section="Reports", throttle="GetReportScheduleList")
def get_report_schedule_list(req: Request) -> Response:
    schedules = _schedules(req)

    def fill(result):
        _sub(result, "HasNext", False)
        for schedule in schedules:
            _schedule_info(result, schedule, SCHEDULES.get(schedule["schedule"], timedelta()))

    return _respond(req, fill)


@registry.operation("GetReportScheduleCount", section="Reports", throttle="GetReportScheduleCount")
def get_report_schedule_count(req: Request) -> Response:
    count = len(_schedules(req))
    return _respond(req, lambda result: _sub(result, "Count", count))
