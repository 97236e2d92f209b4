"""The Reports API 2021-06-30 on the SP-API face (JSON, through the `spapi` frame):
createReport, getReports, getReport, cancelReport, getReportDocument, getReportSchedules.

Reports are the MWS face's reports (`api_reports`): createReport stores a report request in
`report_requests` with the MWS report type, the same clock hook processes it with the same
generators (`reports.py`, `settlement.py`), and getReports lists MWS requests too, so the
settlements the sandbox schedules are DONE reports of type
GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2. A reportId is the MWS ReportRequestId; the report
document is the MWS report (its GeneratedReportId), downloaded at a pre-signed URL
(`spapi_documents`), gzipped or plain.

Statuses (the model's enum): `_SUBMITTED_` → IN_QUEUE, `_IN_PROGRESS_` → IN_PROGRESS, `_DONE_`
→ DONE, `_CANCELLED_` and `_DONE_NO_DATA_` → CANCELLED (Amazon cancels a report that has no
data). FATAL never happens.

Restricted reports (`RESTRICTED_REPORT_TYPES`, their documents hold buyer PII): getReportDocument
answers 403 Unauthorized unless the access token is a Restricted Data Token naming exactly
`GET /reports/2021-06-30/documents/{that reportDocumentId}` (Tokens API, `api_spapi_tokens`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from . import lwa, spapi_documents
from .api_reports import _key, _load_request, _new_request, _settlement_period
from .clock import iso_z, parse_iso
from .reports import (
    AFN_INVENTORY,
    FLAT_ALL_ORDERS,
    FLAT_ORDERS,
    LISTINGS_ALL,
    REPORT_TYPES,
    XML_ALL_ORDERS,
)
from .settlement import REPORT_TYPE as SETTLEMENT_V2
from .spapi import UNAUTHORIZED, SpError, SpRequest, invalid_input, route
from .spapi_params import (
    body_markets,
    created_window,
    document_answer,
    id_page,
    list_param,
    parse_date,
)

MODEL = "reports_2021-06-30.json"
DOCUMENTS = "/reports/2021-06-30/documents"
#: SP-API report type -> the MWS report type the sandbox generates
SP_REPORT_TYPES = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": FLAT_ALL_ORDERS,
    "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": XML_ALL_ORDERS,
    "GET_AFN_INVENTORY_DATA": AFN_INVENTORY,
    "GET_MERCHANT_LISTINGS_ALL_DATA": LISTINGS_ALL,
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2": SETTLEMENT_V2,
    "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING": FLAT_ORDERS,
}
#: report types whose documents hold buyer PII: getReportDocument needs a Restricted Data Token
RESTRICTED_REPORT_TYPES = {"GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"}
MWS_TO_SP = {mws: sp for sp, mws in SP_REPORT_TYPES.items()}
STATUS_OF = {
    "_SUBMITTED_": "IN_QUEUE",
    "_IN_PROGRESS_": "IN_PROGRESS",
    "_DONE_": "DONE",
    "_DONE_NO_DATA_": "CANCELLED",
    "_CANCELLED_": "CANCELLED",
}
STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
TOKEN_KIND = "sp:getReports"


def _requestable(sp_type: str) -> bool:
    return REPORT_TYPES[SP_REPORT_TYPES[sp_type]][1]


def _time(text: str | None) -> str | None:
    return iso_z(parse_iso(text)) if text else None


def report_json(db, seller, request: dict, now: float) -> dict:
    """A `report_requests` row (of a type the SP-API face knows) as the model's Report."""
    markets = json.loads(request["marketplaces"] or "[]") or list(seller.marketplace_ids)
    report = {
        "reportId": request["request_id"],
        "reportType": MWS_TO_SP[request["report_type"]],
        "marketplaceIds": markets,
    }
    if request["start_date"]:
        report["dataStartTime"] = _time(request["start_date"])
    if request["end_date"]:
        report["dataEndTime"] = _time(request["end_date"])
    report["createdTime"] = _time(request["submitted"])
    report["processingStatus"] = STATUS_OF[request["status"]]
    if request["started"]:
        report["processingStartTime"] = _time(request["started"])
    if request["completed"]:
        report["processingEndTime"] = _time(request["completed"])
    if request["report_id"] and request["status"] == "_DONE_":
        report["reportDocumentId"] = spapi_documents.report_document(
            db, seller.seller_id, request["report_id"], now
        )
    return report


def _request_row(db, seller_id: str, report_id: str) -> dict | None:
    request = _load_request(db, report_id)
    if (
        request is None
        or request["seller_id"] != seller_id
        or request["report_type"] not in MWS_TO_SP
    ):
        return None
    return request


def _not_found(report_id: str) -> SpError:
    return SpError(404, "NotFound", f"The report {report_id} was not found.")


def _report_type(value) -> str:
    if not isinstance(value, str) or not value:
        raise invalid_input("reportType is required.")
    if value not in SP_REPORT_TYPES:
        raise invalid_input(
            f"Invalid reportType: {value}.",
            f"The sandbox generates {', '.join(SP_REPORT_TYPES)}.",
        )
    return value


def _report_types(req: SpRequest, required: str) -> list[str]:
    """The reportTypes query parameter of getReports and getReportSchedules (1 to 10)."""
    types = list_param(req, "reportTypes", required=required, maximum=10)
    for sp_type in types:
        _report_type(sp_type)
    return types


# ---- operations ---------------------------------------------------------------------------


@route(
    "POST",
    "/reports/2021-06-30/reports",
    operation="createReport",
    model=MODEL,
    rate="0.0167",
    burst=15,
)
def create_report(req: SpRequest):
    spec = req.json()
    sp_type = _report_type(spec.get("reportType"))
    if not _requestable(sp_type):
        raise invalid_input(
            f"Report type {sp_type} cannot be requested.",
            "Amazon schedules it: list its reports with getReports.",
        )
    if "marketplaceIds" not in spec:
        raise invalid_input("marketplaceIds is required.")
    markets = body_markets(req, spec["marketplaceIds"])
    options = spec.get("reportOptions")
    if options is not None and (
        not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values())
    ):
        raise invalid_input("reportOptions must be an object of strings.")
    # The model: both default to now and must not be after now.
    start = parse_date("dataStartTime", spec.get("dataStartTime")) or req.now
    end = parse_date("dataEndTime", spec.get("dataEndTime")) or req.now
    if start > req.now:
        raise invalid_input("dataStartTime cannot be in the future.")
    end = min(end, req.now)
    if start > end:
        raise invalid_input("dataStartTime must be before dataEndTime.")
    with req.state.store.tx() as db:
        request = _new_request(
            db,
            req.state,
            req.seller.seller_id,
            SP_REPORT_TYPES[sp_type],
            start,
            end,
            markets,
            False,
            req.now,
        )
    return 202, {"reportId": request["request_id"]}


@route(
    "GET",
    "/reports/2021-06-30/reports",
    operation="getReports",
    model=MODEL,
    rate="0.0222",
    burst=10,
)
def get_reports(req: SpRequest) -> dict:
    now = req.now.timestamp()
    with req.state.store.tx() as db:
        shown, next_token = id_page(req, db, TOKEN_KIND, _matching_reports)
        reports = []
        for request_id in shown:
            request = _request_row(db, req.seller.seller_id, request_id)
            if request is not None:
                reports.append(report_json(db, req.seller, request, now))
    answer: dict = {"reports": reports}
    if next_token:
        answer["nextToken"] = next_token
    return answer


def _matching_reports(req: SpRequest, db) -> list[str]:
    types = _report_types(req, "reportTypes or nextToken is required.")
    statuses = list_param(req, "processingStatuses", allowed=STATUSES)
    markets = list_param(req, "marketplaceIds", maximum=10)
    since, until = created_window(req)
    mws_types = [SP_REPORT_TYPES[t] for t in types]
    where = [
        "seller_id = ?",
        "submitted >= ?",
        "submitted <= ?",
        f"report_type IN ({','.join('?' * len(mws_types))})",
    ]
    args: list = [req.seller.seller_id, _key(since), _key(until), *mws_types]
    if statuses:
        mws_statuses = [mws for mws, sp in STATUS_OF.items() if sp in statuses]
        if not mws_statuses:
            return []
        where.append(f"status IN ({','.join('?' * len(mws_statuses))})")
        args += mws_statuses
    rows = db.execute(
        f"SELECT request_id, marketplaces FROM report_requests WHERE {' AND '.join(where)} "
        "ORDER BY submitted DESC, request_id DESC",
        args,
    ).fetchall()
    seller_markets = set(req.seller.marketplace_ids)
    return [
        r["request_id"]
        for r in rows
        if not markets
        or set(markets) & (set(json.loads(r["marketplaces"] or "[]")) or seller_markets)
    ]


@route(
    "GET",
    "/reports/2021-06-30/reports/{reportId}",
    operation="getReport",
    model=MODEL,
    rate="2",
    burst=15,
)
def get_report(req: SpRequest) -> dict:
    report_id = req.path_params["reportId"]
    with req.state.store.tx() as db:
        request = _request_row(db, req.seller.seller_id, report_id)
        if request is None:
            raise _not_found(report_id)
        return report_json(db, req.seller, request, req.now.timestamp())


@route(
    "DELETE",
    "/reports/2021-06-30/reports/{reportId}",
    operation="cancelReport",
    model=MODEL,
    rate="0.0222",
    burst=10,
)
def cancel_report(req: SpRequest):
    report_id = req.path_params["reportId"]
    with req.state.store.tx() as db:
        request = _request_row(db, req.seller.seller_id, report_id)
        if request is None:
            raise _not_found(report_id)
        if request["status"] != "_SUBMITTED_":
            raise invalid_input(
                f"The report {report_id} cannot be cancelled.",
                "Only reports with processingStatus IN_QUEUE can be cancelled; it is "
                f"{STATUS_OF[request['status']]}.",
            )
        db.execute(
            "UPDATE report_requests SET status = '_CANCELLED_', completed = ? WHERE request_id = ?",
            (_key(req.now), report_id),
        )
    return None


@route(
    "GET",
    f"{DOCUMENTS}/{{reportDocumentId}}",
    operation="getReportDocument",
    model=MODEL,
    rate="0.0167",
    burst=15,
)
def get_report_document(req: SpRequest) -> dict:
    document_id = req.path_params["reportDocumentId"]
    path = f"{DOCUMENTS}/{document_id}"
    if _restricted_document(req, document_id) and not (
        req.rdt_path and lwa.same_path(req.rdt_path, path)
    ):
        raise SpError(
            403,
            "Unauthorized",
            UNAUTHORIZED,
            f"The report document holds restricted data: use a restricted data token for GET "
            f"{path}.",
        )
    return document_answer(req, document_id, ("report",), "reportDocumentId", "report document")


def _restricted_document(req: SpRequest, document_id: str) -> bool:
    """Whether the seller's report document is one of a restricted report type."""
    with req.state.store.tx() as db:
        row = db.execute(
            "SELECT r.report_type FROM sp_documents d JOIN reports r ON r.report_id = d.report_id "
            "WHERE d.document_id = ? AND d.seller_id = ?",
            (document_id, req.seller.seller_id),
        ).fetchone()
    return row is not None and MWS_TO_SP.get(row[0]) in RESTRICTED_REPORT_TYPES


def iso_period(period: timedelta) -> str:
    """An ISO 8601 duration: P1D, PT12H, PT30M."""
    seconds = int(period.total_seconds())
    if seconds % 86400 == 0:
        return f"P{seconds // 86400}D"
    if seconds % 3600 == 0:
        return f"PT{seconds // 3600}H"
    return f"PT{max(1, seconds // 60)}M"


@route(
    "GET",
    "/reports/2021-06-30/schedules",
    operation="getReportSchedules",
    model=MODEL,
    rate="0.0222",
    burst=10,
)
def get_report_schedules(req: SpRequest) -> dict:
    """The schedules of the asked types: the sandbox's settlement schedule (every seller has
    one); the other report types the SP-API face generates are requested, not scheduled."""
    types = _report_types(req, "reportTypes is required.")
    schedules = []
    if "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2" in types:
        with req.state.store.tx() as db:
            row = db.execute(
                "SELECT anchor FROM report_schedules WHERE seller_id = ? AND report_type = ?",
                (req.seller.seller_id, SETTLEMENT_V2),
            ).fetchone()
        period = _settlement_period(req.state)
        schedule = {
            "reportScheduleId": str(
                int(hashlib.sha256(f"{req.seller.seller_id}:settlement".encode()).hexdigest(), 16)
                % 10**11
            ),
            "reportType": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            "marketplaceIds": list(req.seller.marketplace_ids),
            "period": iso_period(period),
        }
        if row is not None:
            schedule["nextReportCreationTime"] = iso_z(parse_iso(row["anchor"]) + period)
        schedules.append(schedule)
    return {"reportSchedules": schedules}
