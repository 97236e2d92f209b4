"""JSON_LISTINGS_FEED: a feed of listings messages, processed when the SP-API feed finishes
(`api_spapi_feeds`), each message as the Listings Items API call of its operation
(`listings`): UPDATE = putListingsItem, PARTIAL_UPDATE = patchListingsItem with a "replace" per
attribute, PATCH = patchListingsItem, DELETE = deleteListingsItem. The feed applies to the one
marketplace createFeed named.

The document is checked against Amazon's listings-feed-schema-v2 (read beside the SP-API
models, `<models>/../schemas/feeds/`; without it, `BUILT_IN_SCHEMA`, its essentials):

- as a whole (JSON, header, `messages` an array of 1 to 25,000 objects, the header's sellerId
  the feed's seller): otherwise the feed ends FATAL with a report of one issue saying why;
- message by message (the schema's message part, the operation's fields, a unique messageId):
  a message that fails is INVALID, the others go on.

The result is the JSON processing report (listings-feed-processing-report-schema-v2): header
(sellerId, version, feedId, the request's `report`), issues (messageId, sku, code, severity,
message, attributeName), summary, and with `header.report.includedData` the accepted listings
as getListingsItem gives them (`items`, `summary.itemSummary`).
"""

from __future__ import annotations

import copy
import functools
import json
import sqlite3
from datetime import datetime
from pathlib import Path

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from . import listings
from . import product_types as pt
from .catalog import catalog_row
from .spapi import models_dir

SCHEMA_FILE = "listings-feed-schema-v2.json"
FORMAT_ERROR = "4000000"
OPERATIONS = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")
#: the fields each operation needs / may not have (the schema's oneOf, as plain rules)
NEEDS = {
    "UPDATE": (("productType", "attributes"), ("patches",)),
    "PARTIAL_UPDATE": (("productType", "attributes"), ("requirements", "patches")),
    "PATCH": (("productType", "patches"), ("requirements", "attributes")),
    "DELETE": ((), ("requirements", "attributes", "productType", "patches")),
}
BUILT_IN_SCHEMA = {
    "type": "object",
    "required": ["header", "messages"],
    "properties": {
        "header": {
            "type": "object",
            "required": ["sellerId", "version"],
            "properties": {
                "sellerId": {"type": "string"},
                "version": {"type": "string", "const": "2.0"},
                "issueLocale": {"type": "string"},
            },
        },
        "messages": {
            "type": "array",
            "minItems": 1,
            "maxItems": 25000,
            "items": {
                "type": "object",
                "required": ["messageId", "sku", "operationType"],
                "properties": {
                    "messageId": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                    "sku": {"type": "string", "minLength": 1},
                    "operationType": {"type": "string", "enum": list(OPERATIONS)},
                    "productType": {"type": "string", "minLength": 1},
                    "requirements": {"type": "string", "enum": list(pt.REQUIREMENTS)},
                    "attributes": {"type": "object", "minProperties": 1},
                    "patches": {"type": "array", "minItems": 1},
                },
            },
        },
    },
}


@functools.lru_cache(maxsize=4)
def _validators(directory: str | None) -> tuple[Draft7Validator, Draft7Validator]:
    """(the document without its messages' details, one message)."""
    schema = BUILT_IN_SCHEMA
    path = Path(directory).parent / "schemas" / "feeds" / SCHEMA_FILE if directory else None
    if path and path.is_file():
        schema = json.loads(path.read_text(encoding="utf-8"))
    message = copy.deepcopy(schema["properties"]["messages"]["items"])
    message.pop("oneOf", None)  # NEEDS says it with clearer messages
    document = copy.deepcopy(schema)
    document["properties"]["messages"]["items"] = {"type": "object"}
    return Draft7Validator(document), Draft7Validator(message)


def _first_error(validator, instance) -> str | None:
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where or 'the document'}: {error.message}"


def _summary(issues: list[dict], processed: int, invalid: int) -> dict:
    return {
        "errors": sum(i["severity"] == "ERROR" for i in issues),
        "warnings": sum(i["severity"] == "WARNING" for i in issues),
        "messagesProcessed": processed,
        "messagesAccepted": processed - invalid,
        "messagesInvalid": invalid,
    }


def _report(header: dict, issues: list[dict], summary: dict, items=None) -> bytes:
    report = {"header": header, "issues": issues, "summary": summary}
    if items is not None:
        report["items"] = items
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()


def _message_issues(message: dict, found: list[dict]) -> list[dict]:
    """Listings Items API issues as processing report issues."""
    out = []
    for item in found:
        issue = {
            "messageId": message["messageId"],
            "sku": message["sku"],
            "code": item["code"],
            "severity": item["severity"],
            "message": item["message"],
        }
        if item.get("attributeNames"):
            issue["attributeName"] = item["attributeNames"][0]
        out.append(issue)
    return out


def _apply(db, seller_id: str, market: str, message: dict, now: datetime) -> listings.Outcome:
    operation, sku = message["operationType"], message["sku"]
    if operation == "DELETE":
        return listings.delete(db, seller_id, sku)
    if operation == "UPDATE":
        return listings.put(
            db,
            seller_id,
            sku,
            market,
            message["productType"],
            message.get("requirements", "LISTING"),
            message["attributes"],
            now,
        )
    patches = message.get("patches")
    if operation == "PARTIAL_UPDATE":
        patches = [
            {"op": "replace", "path": f"/attributes/{name}", "value": value}
            for name, value in message["attributes"].items()
        ]
    return listings.patch(db, seller_id, sku, market, message["productType"], patches, now)


def _format_issue(message: dict, text: str) -> dict:
    issue = {"code": FORMAT_ERROR, "severity": "ERROR", "message": text}
    if isinstance(message.get("messageId"), int) and message["messageId"] >= 1:
        issue = {"messageId": message["messageId"], **issue}
    if isinstance(message.get("sku"), str) and message["sku"]:
        issue = {**issue, "sku": message["sku"]}
    return issue


def process(state, db: sqlite3.Connection, row, now: datetime) -> tuple[bytes, dict, str]:
    """(the processing report, its summary, DONE or FATAL) of a JSON_LISTINGS_FEED feed row."""
    seller_id = row["seller_id"]
    header = {"sellerId": seller_id, "version": "2.0", "feedId": str(row["feed_id"])}
    directory = models_dir(state.config)
    whole, one = _validators(str(directory) if directory else None)

    def fatal(text: str):
        issues = [{"code": FORMAT_ERROR, "severity": "ERROR", "message": text}]
        summary = _summary(issues, 0, 0)
        return _report(header, issues, summary), summary, "FATAL"

    try:
        document = json.loads(bytes(row["body"]).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return fatal(f"The feed document is not valid JSON: {exc}.")
    problem = _first_error(whole, document)
    if problem:
        return fatal(f"The feed document is not valid against {SCHEMA_FILE}: {problem}.")
    if document["header"]["sellerId"] != seller_id:
        return fatal(
            f"The header's sellerId {document['header']['sellerId']!r} is not the seller "
            f"{seller_id} who submitted the feed."
        )
    wanted = document["header"].get("report")
    if isinstance(wanted, dict):
        header["report"] = wanted
    market = json.loads(row["marketplaces"])[0]
    issues: list[dict] = []
    accepted: list[str] = []
    seen: set = set()
    invalid = 0
    for message in document["messages"]:
        problem = _first_error(one, message)
        operation = message.get("operationType")
        if problem is None:
            needs, refuses = NEEDS[operation]
            missing = [f for f in needs if f not in message]
            extra = [f for f in refuses if f in message]
            if missing or extra:
                problem = f"{operation} needs {', '.join(needs) or 'no other field'}" + (
                    f"; {', '.join(extra)} not allowed" if extra else ""
                )
            elif message["messageId"] in seen:
                problem = f"messageId {message['messageId']} is not unique within the feed"
        if problem is not None:
            found = [_format_issue(message, f"The message is not valid: {problem}.")]
        else:
            db.execute("SAVEPOINT listing_message")
            try:
                outcome = _apply(db, seller_id, market, message, now)
                found = _message_issues(message, outcome.issues)
            except listings.BadRequest as exc:
                found = [_format_issue(message, str(exc))]
            except Exception as exc:  # a bad value must not stop the feed
                db.execute("ROLLBACK TO listing_message")
                found = [_format_issue(message, f"The message could not be processed: {exc}")]
            db.execute("RELEASE listing_message")
        seen.add(message.get("messageId"))
        issues += found
        if any(i["severity"] == "ERROR" for i in found):
            invalid += 1
        elif message.get("operationType") != "DELETE":
            accepted.append(message["sku"])
    summary = _summary(issues, len(document["messages"]), invalid)
    items = None
    if isinstance(wanted, dict) and wanted.get("includedData"):
        items = []
        for sku in dict.fromkeys(accepted):
            found_row = catalog_row(db, seller_id, sku)
            if found_row is not None:
                items.append(listings.item_json(db, found_row, wanted["includedData"], [market]))
        item_issues = [i for item in items for i in item.get("issues", [])]
        summary["itemSummary"] = {
            "items": len(items),
            "errors": sum(i["severity"] == "ERROR" for i in item_issues),
            "warnings": sum(i["severity"] == "WARNING" for i in item_issues),
        }
    return _report(header, issues, summary, items), summary, "DONE"
