"""Amazon's ErrorResponse: the exception handlers raise and its XML rendering."""

from __future__ import annotations

from xml.sax.saxutils import escape

# Error responses use the Feeds namespace whatever the section (as Amazon's samples do).
ERROR_NAMESPACE = "http://mws.amazonaws.com/doc/2009-01-01/"


class ApiError(Exception):
    """An MWS error, rendered by the server as Amazon's ErrorResponse."""

    def __init__(self, code: str, message: str, status: int = 400, type_: str = "Sender"):
        super().__init__(f"{code}: {message}")
        # Amazon's credential errors carry an (opaque) Detail element; the others do not.
        self.detail = status in (401, 403)
        self.code = code
        self.message = message
        self.status = status
        self.type_ = type_


def error_xml(
    code: str,
    message: str,
    request_id: str,
    type_: str = "Sender",
    ns: str = ERROR_NAMESPACE,
    detail: bool = False,
) -> bytes:
    """The body of an ErrorResponse, shaped as samples/ErrorResponse.xml."""
    detail_xml = "    <Detail/>\n" if detail else ""
    return (
        '<?xml version="1.0"?>\n'
        f'<ErrorResponse xmlns="{escape(ns)}">\n'
        "  <Error>\n"
        f"    <Type>{escape(type_)}</Type>\n"
        f"    <Code>{escape(code)}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n"
        f"{detail_xml}"
        "  </Error>\n"
        f"  <RequestID>{escape(request_id)}</RequestID>\n"
        "</ErrorResponse>\n"
    ).encode()


# Common errors, so every module spells code and status the same way.
def throttled() -> ApiError:
    return ApiError("RequestThrottled", "Request is throttled", 503, "")


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"The parameter {name} is required but was not present.")


def invalid(name: str, value: str, why: str = "") -> ApiError:
    text = f"Invalid value {value!r} for parameter {name}"
    return ApiError("InvalidParameterValue", f"{text}. {why}".strip() if why else f"{text}.")


def internal(message: str = "We encountered an internal error. Please try again.") -> ApiError:
    return ApiError("InternalError", message, 500, "Receiver")
