"""Checks of a listing: offline against its product type's JSON Schema, and Amazon's own.

* :func:`validate` checks an attribute dict (:func:`.listings_json.attributes`) against the
  product type's schema (the document getDefinitionsProductType links to) with jsonschema's
  Draft 2019-09 validator, chosen explicitly: the schema's ``$schema`` (Amazon's meta-schema
  URL) is never fetched, nor any ``$ref`` outside the schema (:class:`SchemaError`). Of
  Amazon's own keywords, ``maxUtf8ByteLength`` and ``minUtf8ByteLength`` are checked;
  ``selectors``, ``maxUniqueItems``, ``minUniqueItems``, ``editable``, ``hidden``,
  ``enumNames`` and the other display keywords are ignored (Amazon checks them on receipt).
  Formats are checked with jsonschema's format checker (no network in any of its checks).
* :func:`parse_processing_report` (JSON_LISTINGS_FEED), :func:`parse_submission` (put, patch,
  delete) and :func:`parse_listing` (getListingsItem) read Amazon's answers; anything
  unreadable raises :class:`~.responses.ResponseParseError`.

jsonschema is imported on the first :func:`validate` only.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from .responses import ResponseParseError, parse_amount, parse_int

__all__ = [
    "CHECKED_KEYWORDS",
    "IGNORED_KEYWORDS",
    "ListingIssue",
    "ListingState",
    "ListingSubmission",
    "ListingsReport",
    "Problem",
    "SchemaError",
    "json_object",
    "parse_listing",
    "parse_processing_report",
    "parse_submission",
    "schema_version",
    "validate",
]

#: Amazon's meta-schema keywords that :func:`validate` checks, and those it ignores.
CHECKED_KEYWORDS = ("maxUtf8ByteLength", "minUtf8ByteLength")
IGNORED_KEYWORDS = (
    "selectors",
    "maxUniqueItems",
    "minUniqueItems",
    "editable",
    "hidden",
    "enumNames",
    "replaced",
)

MERCHANT_CHANNEL = "DEFAULT"

# --- Amazon's answers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingIssue:
    """An issue Amazon found (feed report, Listings Items API): ``severity`` ERROR, WARNING
    or INFO; ``attribute_names`` when Amazon names them."""

    code: str
    severity: str
    message: str
    attribute_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "ERROR"

    def __str__(self):
        names = f" ({', '.join(self.attribute_names)})" if self.attribute_names else ""
        return f"{self.severity} {self.code}: {self.message}{names}"


@dataclass(frozen=True, slots=True)
class ListingsReport:
    """A JSON_LISTINGS_FEED processing report. ``issues`` by messageId, 0 for the issues of
    the feed as a whole (no messageId); ``skus`` the SKUs the issues name."""

    seller_id: str | None
    feed_id: str | None
    errors: int
    warnings: int
    processed: int
    accepted: int
    invalid: int
    issues: dict[int, list[ListingIssue]] = field(default_factory=dict)
    skus: dict[int, str] = field(default_factory=dict)
    items: tuple[dict, ...] = ()

    @property
    def document_issues(self) -> list[ListingIssue]:
        return self.issues.get(0, [])

    def outcome(self, message_id: int) -> tuple[str, str]:
        """``("error"|"warning"|"success", text)`` of a message: an ERROR of its own or of
        the feed as a whole makes it an error; its issues' texts one per line."""
        found = self.document_issues + self.issues.get(int(message_id), [])
        text = "\n".join(str(issue) for issue in found)
        if any(issue.is_error for issue in found):
            return "error", text
        return ("warning", text) if found else ("success", "")


@dataclass(frozen=True, slots=True)
class ListingSubmission:
    """putListingsItem / patchListingsItem / deleteListingsItem's answer."""

    sku: str | None
    status: str
    submission_id: str | None
    issues: tuple[ListingIssue, ...] = ()
    asin: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status in ("ACCEPTED", "VALID")

    def outcome(self) -> tuple[str, str, str | None]:
        """``("error"|"warning"|"success", text, code)``: an error when Amazon did not
        accept it or named an ERROR; the text and code of the errors, else the warnings,
        else the status."""
        errors = [issue for issue in self.issues if issue.is_error]
        shown = errors or list(self.issues)
        if errors or not self.accepted:
            state = "error"
        else:
            state = "warning" if shown else "success"
        text = "; ".join(str(issue) for issue in shown) or self.status
        return state, text, shown[0].code if shown else None


@dataclass(frozen=True, slots=True)
class ListingState:
    """getListingsItem's answer for one marketplace."""

    sku: str
    asin: str | None = None
    statuses: tuple[str, ...] = ()
    product_type: str | None = None
    item_name: str | None = None
    issues: tuple[ListingIssue, ...] = ()
    price: Decimal | None = None
    currency: str | None = None
    quantity: int | None = None
    fulfillment_channel: str | None = None

    @property
    def buyable(self) -> bool:
        return "BUYABLE" in self.statuses


def json_object(body, what="the answer") -> dict:
    """A JSON object from a dict, str or bytes (gzip-compressed or not, BOM or not)."""
    if isinstance(body, Mapping):
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise ResponseParseError(f"{what} is broken gzip: {exc}") from None
        try:
            body = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ResponseParseError(f"{what} is not UTF-8: {exc}") from None
    if not isinstance(body, str):
        raise ResponseParseError(f"{what}: expected JSON, got {type(body).__name__}")
    text = body.lstrip("\ufeff").strip()
    if not text:
        raise ResponseParseError(f"{what} is empty")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ResponseParseError(f"{what} is not JSON: {exc} ({text[:60]!r})") from None
    if not isinstance(data, dict):
        raise ResponseParseError(f"{what} is not a JSON object ({type(data).__name__})")
    return data


def _strings(value):
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return ()


def _issue(raw):
    if not isinstance(raw, Mapping):
        raise ResponseParseError(f"an issue that is not an object: {raw!r}")
    return ListingIssue(
        code=str(raw.get("code") or ""),
        severity=str(raw.get("severity") or "ERROR").upper(),
        message=str(raw.get("message") or ""),
        attribute_names=_strings(raw.get("attributeNames") or raw.get("attributeName")),
        categories=_strings(raw.get("categories")),
    )


def _count(value, name):
    if value is None:
        return 0
    number = None
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        with suppress(ResponseParseError):
            number = parse_int(value)
    if number is None or number < 0:
        raise ResponseParseError(f"summary {name} is not a count: {value!r}")
    return number


def parse_processing_report(body) -> ListingsReport:
    """A JSON_LISTINGS_FEED processing report (bytes, str or dict) as a :class:`ListingsReport`."""
    data = json_object(body, "the processing report")
    header, summary = data.get("header"), data.get("summary")
    if not isinstance(header, Mapping) or not isinstance(summary, Mapping):
        raise ResponseParseError(
            f"not a JSON listings processing report (keys {sorted(data)[:6]}): no header/summary"
        )
    raw_issues = data.get("issues") or []
    if not isinstance(raw_issues, list):
        raise ResponseParseError("the report's issues are not a list")
    issues, skus = {}, {}
    for raw in raw_issues:
        issue = _issue(raw)
        message_id = raw.get("messageId")
        number = parse_int(message_id) if isinstance(message_id, (str, int)) else None
        if message_id is not None and (number is None or number < 0):
            raise ResponseParseError(f"an issue's messageId is not a number: {message_id!r}")
        issues.setdefault(number or 0, []).append(issue)
        if number and raw.get("sku"):
            skus[number] = str(raw["sku"])
    items = data.get("items") or ()
    return ListingsReport(
        seller_id=header.get("sellerId"),
        feed_id=None if header.get("feedId") is None else str(header["feedId"]),
        errors=_count(summary.get("errors"), "errors"),
        warnings=_count(summary.get("warnings"), "warnings"),
        processed=_count(summary.get("messagesProcessed"), "messagesProcessed"),
        accepted=_count(summary.get("messagesAccepted"), "messagesAccepted"),
        invalid=_count(summary.get("messagesInvalid"), "messagesInvalid"),
        issues=issues,
        skus=skus,
        items=tuple(item for item in items if isinstance(item, Mapping)),
    )


def _api_errors(data, what):
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], Mapping) else {}
        raise ResponseParseError(
            f"{what}: Amazon answered an error: {first.get('code')}: {first.get('message')}"
        )


def _issues(raw_issues, marketplace_id=None):
    if not isinstance(raw_issues, list):
        return ()
    return tuple(
        _issue(raw)
        for raw in raw_issues
        if marketplace_id is None
        or not (isinstance(raw, Mapping) and raw.get("marketplaceIds"))
        or marketplace_id in raw["marketplaceIds"]
    )


def parse_submission(body) -> ListingSubmission:
    """The Listings Items API's answer to a put, patch or delete."""
    data = json_object(body, "the listings submission")
    _api_errors(data, "the listings submission")
    status = data.get("status")
    if not isinstance(status, str) or not status:
        raise ResponseParseError("a listings submission answer without status")
    identifiers = data.get("identifiers")
    asin = None
    if isinstance(identifiers, list) and identifiers and isinstance(identifiers[0], Mapping):
        asin = identifiers[0].get("asin")
    submission_id = data.get("submissionId")
    return ListingSubmission(
        sku=data.get("sku"),
        status=status.upper(),
        submission_id=None if submission_id is None else str(submission_id),
        issues=_issues(data.get("issues")),
        asin=asin,
    )


def _pick(entries, marketplace_id, key="marketplaceId", accept=None):
    candidates = [
        e
        for e in (entries if isinstance(entries, list) else ())
        if isinstance(e, Mapping) and (accept is None or accept(e))
    ]
    if marketplace_id is not None:
        candidates = [e for e in candidates if e.get(key) in (None, marketplace_id)]
    return candidates[0] if candidates else None


def parse_listing(body, marketplace_id: str | None = None) -> ListingState:
    """getListingsItem's answer (summaries, issues, offers, fulfillmentAvailability), read
    for ``marketplace_id`` (else its first marketplace)."""
    data = json_object(body, "the listings item")
    _api_errors(data, "the listings item")
    sku = data.get("sku")
    if not isinstance(sku, str) or not sku:
        raise ResponseParseError("a listings item without sku")
    summary = _pick(data.get("summaries"), marketplace_id) or {}
    offer = _pick(
        data.get("offers"), marketplace_id, accept=lambda o: o.get("offerType", "B2C") == "B2C"
    )
    money = offer.get("price") if offer else None
    price = currency = None
    if isinstance(money, Mapping):
        amount = money.get("amount")
        if amount is not None:
            price = parse_amount(amount if isinstance(amount, (str, int)) else str(amount))
        currency = money.get("currencyCode")
    availability = data.get("fulfillmentAvailability")
    stock = _pick(
        availability, None, accept=lambda a: a.get("fulfillmentChannelCode") == MERCHANT_CHANNEL
    )
    stock = stock or _pick(availability, None)
    quantity = None
    if stock is not None and stock.get("quantity") is not None:
        raw = stock["quantity"]
        quantity = parse_int(raw if isinstance(raw, (str, int)) else str(raw))
    return ListingState(
        sku=sku,
        asin=summary.get("asin"),
        statuses=_strings(summary.get("status")),
        product_type=summary.get("productType"),
        item_name=summary.get("itemName"),
        issues=_issues(data.get("issues"), marketplace_id),
        price=price,
        currency=currency,
        quantity=quantity,
        fulfillment_channel=stock.get("fulfillmentChannelCode") if stock else None,
    )


# --- the product type schema -----------------------------------------------------------------


class SchemaError(ValueError):
    """The product type schema cannot be used offline (not an object, or a ``$ref`` to a
    document outside it: nothing is fetched over the network)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """What the schema refuses, by top-level attribute (the name a seller sees). ``path``:
    where inside it (``purchasable_offer[0].our_price``); ``message`` names it."""

    attribute: str
    message: str
    path: str = ""

    def __str__(self):
        return self.message


def schema_version(definition) -> str:
    """``productTypeVersion.version`` of a getDefinitionsProductType answer."""
    data = json_object(definition, "the product type definition")
    version = data.get("productTypeVersion")
    version = version.get("version") if isinstance(version, Mapping) else None
    if not isinstance(version, str) or not version:
        raise ResponseParseError("the product type definition has no productTypeVersion.version")
    return version


@cache
def _validator_class():
    from jsonschema import Draft201909Validator, ValidationError, validators

    def utf8_length(too_long):
        def check(validator, bound, instance, schema):
            if validator.is_type(instance, "string"):
                size = len(instance.encode("utf-8"))
                if (size > bound) if too_long else (size < bound):
                    relation = "more" if too_long else "fewer"
                    text = _short(repr(instance))
                    yield ValidationError(
                        f"{text} has {size} bytes in UTF-8, {relation} than {bound}"
                    )

        return check

    return validators.extend(
        Draft201909Validator,
        {
            "maxUtf8ByteLength": utf8_length(True),
            "minUtf8ByteLength": utf8_length(False),
        },
    )


_last = threading.local()


def _validator(schema):
    """The validator of ``schema``; the last one is kept per thread (one product type's
    listings are usually checked in a row with the same schema object)."""
    if not isinstance(schema, Mapping):
        raise SchemaError(f"a product type schema is a JSON object, not {type(schema).__name__}")
    cached = getattr(_last, "pair", None)
    if cached is not None and cached[0] is schema:
        return cached[1]
    from referencing import Registry

    cls = _validator_class()
    # An empty registry whose retrieval always fails: no $ref, $schema or $id is fetched.
    validator = cls(schema, registry=Registry(), format_checker=cls.FORMAT_CHECKER)
    _last.pair = (schema, validator)
    return validator


def validate(schema: Mapping, attributes: Mapping) -> list[Problem]:
    """The problems of ``attributes`` for the product type ``schema``, one per top-level
    attribute (a missing required attribute: "item_name is required"); [] when valid."""
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    validator = _validator(schema)
    try:
        errors = list(validator.iter_errors(attributes))
    except Unresolvable as exc:
        ref = getattr(exc, "ref", exc)
        raise SchemaError(
            f"the schema refers to {ref!s}, which is not in it (nothing is fetched)"
        ) from None
    found: dict[str, list] = {}  # attribute -> errors under it, or [Problem]
    for error in errors:
        if error.absolute_path:
            found.setdefault(str(error.absolute_path[0]), []).append(error)
            continue
        for problem in _root_problems(error, attributes, best_match):
            found.setdefault(problem.attribute, []).append(problem)
    problems = []
    for name, group in found.items():
        first = group[0]
        if isinstance(first, Problem):
            problems.append(first)
        else:
            error = best_match(group)
            problems.append(Problem(name, _describe(error), _path(error.absolute_path)))
    return problems


def _root_problems(error, instance, best_match):
    """Problems of an error about the attribute dict itself (what is missing, mostly)."""
    kind, value = error.validator, error.validator_value
    if not isinstance(instance, Mapping):
        return [Problem("", f"the attributes are not an object: {_short(error.message, 300)}")]
    if kind == "required":
        return [Problem(n, f"{n} is required") for n in value if n not in instance]
    if kind in ("dependentRequired", "dependencies") and isinstance(value, Mapping):
        return [
            Problem(n, f"{n} is required with {prop}")
            for prop, needed in value.items()
            if prop in instance and isinstance(needed, list)
            for n in needed
            if n not in instance
        ]
    if error.context:
        if all(sub.validator == "required" and not sub.absolute_path for sub in error.context):
            names = list(
                dict.fromkeys(
                    n for sub in error.context for n in sub.validator_value if n not in instance
                )
            )
            if names:
                either = " or ".join(names)
                return [Problem(either, f"{either} is required")]
        deeper = best_match(error.context)
        if deeper.absolute_path:
            name = str(deeper.absolute_path[0])
            return [Problem(name, _describe(deeper), _path(deeper.absolute_path))]
        return _root_problems(deeper, instance, best_match)
    return [Problem("", _short(error.message, 300))]


def _path(path):
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(text, size=80):
    return text if len(text) <= size else text[: size - 3] + "..."


def _describe(error):
    where = _path(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required" and isinstance(instance, Mapping):
        missing = next((n for n in value if n not in instance), None)
        if missing is not None:
            return f"{where}.{missing} is required"
    if kind == "enum" and isinstance(value, list):
        shown = ", ".join(map(str, value[:10])) + (
            f", ... ({len(value)} in all)" if len(value) > 10 else ""
        )
        return f"{where}: {_short(repr(instance))} is not an allowed value ({shown})"
    if kind == "const":
        return f"{where}: must be {_short(repr(value))}"
    return f"{where}: {_short(error.message, 300)}"
