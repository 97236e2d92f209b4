"""Parse the ProcessingReport that GetFeedSubmissionResult returns (lxml, no Odoo).

The body is normally an ``AmazonEnvelope`` whose one ``Message`` holds the
``ProcessingReport``; a bare ``ProcessingReport`` is accepted too. Element names are
matched on their local name, so a default namespace, unknown elements, comments and
whitespace do not matter. Anything unreadable raises :class:`ReportParseError`, never an
lxml exception. An MWS ``ErrorResponse`` (for instance ``FeedProcessingResultNotReady``)
raises :class:`ReportParseError` with its ``code`` set, so the caller can retry later.
"""

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from . import responses

__all__ = [
    "FeedSubmissionInfo",
    "ProcessingReport",
    "ReportNotFinal",
    "ReportParseError",
    "Result",
    "outcome_by_message",
    "parse_feed_submission_list",
    "parse_processing_report",
]


class ReportParseError(ValueError):
    """The body is not a readable processing report. ``code``: MWS error code, if any."""

    def __init__(self, message, *, code=None):
        super().__init__(message)
        self.code = code


class ReportNotFinal(ValueError):
    """The report still says ``Processing``: its missing Results do not mean success yet."""


@dataclass(frozen=True)
class Result:
    """One ``Result``: a message that failed (``Error``) or passed with a ``Warning``."""

    message_id: int
    code: str
    message_code: str
    description: str
    sku: str | None = None
    amazon_order_id: str | None = None
    amazon_order_item_code: str | None = None


@dataclass(frozen=True)
class ProcessingReport:
    status_code: str
    processed: int = 0
    successful: int = 0
    with_error: int = 0
    with_warning: int = 0
    results: list[Result] = field(default_factory=list)
    document_transaction_id: str | None = None

    @property
    def document_errors(self):
        """Errors about the whole document (MessageID 0), e.g. 5001 XML parsing error."""
        return [r for r in self.results if r.message_id == 0 and r.code != "Warning"]


def _parser():
    # one parser per call: lxml parsers must not be shared between threads (Odoo workers)
    return etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
    )


def _local(element):
    tag = element.tag
    if not isinstance(tag, str):
        return None
    return tag.rpartition("}")[2]


def _child(element, name):
    for child in element:
        if _local(child) == name:
            return child
    return None


def _text(element, name):
    child = _child(element, name) if element is not None else None
    if child is None:
        return None
    return " ".join("".join(child.itertext()).split()) or None


def _int(element, name, *, default=None):
    text = _text(element, name)
    if text is None:
        if default is None:
            raise ReportParseError(f"<{name}> is missing")
        return default
    try:
        value = int(text)
    except ValueError:
        raise ReportParseError(f"<{name}> is not a number: {text!r}") from None
    if value < 0:
        raise ReportParseError(f"<{name}> is negative: {text!r}")
    return value


def parse_processing_report(body):
    """Parse a GetFeedSubmissionResult body (bytes or str) into a :class:`ProcessingReport`."""
    if isinstance(body, str):
        body = body.encode("utf-8")  # lxml refuses str carrying an encoding declaration
    if not isinstance(body, (bytes, bytearray)):
        raise ReportParseError(f"expected bytes or str, got {type(body).__name__}")
    if not bytes(body).strip():
        raise ReportParseError("the feed result body is empty")
    try:
        root = etree.fromstring(bytes(body), _parser())
    except etree.XMLSyntaxError as exc:
        raise ReportParseError(f"the feed result is not well-formed XML: {exc}") from None
    if _local(root) == "ErrorResponse":
        error = _child(root, "Error")
        code = _text(error, "Code") if error is not None else None
        message = _text(error, "Message") if error is not None else None
        raise ReportParseError(f"Amazon returned an error: {code}: {message}", code=code)

    report = root if _local(root) == "ProcessingReport" else None
    if report is None:
        report = next((e for e in root.iter() if _local(e) == "ProcessingReport"), None)
    if report is None:
        raise ReportParseError(f"no <ProcessingReport> in the feed result (root <{_local(root)}>)")

    status = _text(report, "StatusCode")
    if not status:
        raise ReportParseError("<ProcessingReport> has no <StatusCode>")
    summary = _child(report, "ProcessingSummary")
    results = [_result(element) for element in report if _local(element) == "Result"]
    return ProcessingReport(
        status_code=status,
        processed=_int(summary, "MessagesProcessed", default=0),
        successful=_int(summary, "MessagesSuccessful", default=0),
        with_error=_int(summary, "MessagesWithError", default=0),
        with_warning=_int(summary, "MessagesWithWarning", default=0),
        results=results,
        document_transaction_id=_text(report, "DocumentTransactionID"),
    )


def _result(element):
    code = _text(element, "ResultCode") or "Error"
    # Amazon writes "Error"/"Warning"; anything else is kept but counts as an error.
    code = {"error": "Error", "warning": "Warning"}.get(code.lower(), code)
    info = _child(element, "AdditionalInfo")
    return Result(
        message_id=_int(element, "MessageID"),
        code=code,
        message_code=_text(element, "ResultMessageCode") or "",
        description=_text(element, "ResultDescription") or "",
        sku=_text(info, "SKU"),
        amazon_order_id=_text(info, "AmazonOrderID"),
        amazon_order_item_code=_text(info, "AmazonOrderItemCode"),
    )


def _describe(result):
    text = f"{result.code} {result.message_code}: {result.description}".strip()
    details = [f"SKU {result.sku}" if result.sku else "", result.amazon_order_id or ""]
    details = [d for d in details if d]
    return f"{text} ({', '.join(details)})" if details else text


def outcome_by_message(report, message_ids):
    """``{message_id: (status, text)}`` for every id in ``message_ids``.

    ``status`` is ``"error"``, ``"warning"`` or ``"success"``. A message without a Result
    succeeded; an Error Result anywhere in its results makes it an error, else a Warning
    makes it a warning. Results with MessageID 0 concern the whole document and are added to
    every message; a ``Rejected`` report without any Result fails every message. ``text``
    joins the Results' codes and descriptions, one per line. A report whose StatusCode is
    ``Processing`` raises :class:`ReportNotFinal`: ask for the result again later.
    """
    if report.status_code == "Processing":
        raise ReportNotFinal("the processing report is not final (StatusCode Processing)")
    by_id = {}
    for result in report.results:
        by_id.setdefault(result.message_id, []).append(result)
    document = by_id.get(0, [])
    rejected = report.status_code == "Rejected" and not report.results
    outcomes = {}
    for message_id in message_ids:
        results = document + by_id.get(int(message_id), []) if message_id else document
        text = "\n".join(_describe(r) for r in results)
        if rejected:
            outcomes[message_id] = ("error", "Amazon rejected the whole feed (StatusCode Rejected)")
        elif any(r.code != "Warning" for r in results):
            outcomes[message_id] = ("error", text)
        elif results:
            outcomes[message_id] = ("warning", text)
        else:
            outcomes[message_id] = ("success", "")
    return outcomes


@dataclass(frozen=True)
class FeedSubmissionInfo:
    """One FeedSubmissionInfo of GetFeedSubmissionList (or SubmitFeed)."""

    submission_id: str
    feed_type: str | None = None
    processing_status: str | None = None
    submitted_date: datetime | None = None


def parse_feed_submission_list(body):
    """GetFeedSubmissionList(ByNextToken) → its ``FeedSubmissionInfo`` in document order.

    An ``ErrorResponse`` raises ``responses.MwsErrorResponse``, an unreadable body
    ``responses.ResponseParseError``; an info without FeedSubmissionId is skipped (it names
    nothing that could be polled)."""
    root = responses.parse_xml(body)
    responses.raise_for_error(root)
    infos = []
    for el in root.iter("FeedSubmissionInfo"):
        submission_id = responses.text(el, "FeedSubmissionId")
        if not submission_id:
            continue
        infos.append(
            FeedSubmissionInfo(
                submission_id=submission_id,
                feed_type=responses.text(el, "FeedType"),
                processing_status=responses.text(el, "FeedProcessingStatus"),
                submitted_date=responses.parse_datetime(responses.text(el, "SubmittedDate")),
            )
        )
    return infos
