"""The SP-API face: JSON REST routes beside the MWS ones, served from the same store.

Handlers register with `@route("GET", "/orders/2026-01-01/orders/{orderId}",
operation="getOrder", model="orders_2026-01-01.json", rate="0.5", burst=30)` and receive an
`SpRequest` (seller, sandbox time, query values, path parameters, JSON body); they return a
JSON-able dict (status 200), a `(status, dict)` pair (201, 202), or None (200 with an empty
body, for the operations whose model gives no response schema), or raise `SpError`. The frame
(`handle`) does what Amazon's gateway does around them:

1. routing by method and path (404 `NotFound` for a path no route knows);
2. the clock ticks, then Login with Amazon: `x-amz-access-token` must be a token the sandbox
   issued and that has not expired on the sandbox clock (403 `Unauthorized`); a Restricted
   Data Token (Tokens API) authorises only the method and path of one of its resources
   (`req.rdt_path` is that resource's path; None with a plain access token);
3. injected faults, named by operationId (`faults.py`);
4. the token bucket of (seller, operationId): the rate and burst of the operation's "Usage Plan"
   table in its model when the models are available (`--spapi-models`), else the defaults given
   at registration (429 `QuotaExceeded`, counted with the MWS throttle counters);
5. the handler, in a store transaction.

Every answer carries `x-amzn-RequestId` and, once the operation is known,
`x-amzn-RateLimit-Limit` (the operation's rate). Errors are `{"errors": [{code, message,
details?}]}`.

Pre-signed document URLs (`/sp-documents/…`, `spapi_documents`) and the product type schema
links (`/sp-schemas/…`, `api_spapi_definitions`) are not SP-API calls: no access token, no
throttling; they answer like S3.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from . import lwa
from .faults import AFTER, BEFORE
from .registry import Response, SandboxState, Seller
from .throttle import Limit

log = logging.getLogger("amazon_sandbox")

#: paths under these prefixes belong to the SP-API face (MWS paths are capitalised)
PREFIXES = (
    "/orders/",
    "/sellers/",
    "/feeds/",
    "/reports/",
    "/tokens/",
    "/listings/",
    "/definitions/",
)
#: the pre-signed document URLs (feed uploads, feed results, report documents)
DOCUMENTS_PREFIX = "/sp-documents/"
#: the product type schema and meta-schema links of getDefinitionsProductType
SCHEMAS_PREFIX = "/sp-schemas/"
#: where the models are looked for when --spapi-models is not given
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent.parent / "shared/amazon/sp-api/models"

UNAUTHORIZED = "Access to requested resource is denied."
QUOTA_MESSAGE = "You exceeded your quota for the requested resource."
INTERNAL_MESSAGE = "We encountered an internal error. Please try again."


class SpError(Exception):
    """An SP-API error answer: HTTP status and one entry of `errors`."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"errors": [error]}


def invalid_input(message: str, details: str | None = None) -> SpError:
    return SpError(400, "InvalidInput", message, details)


@dataclass
class SpRequest:
    """What an SP-API handler receives."""

    operation: str
    seller: Seller
    now: datetime
    query: dict[str, list[str]]
    path_params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    request_id: str
    state: SandboxState
    #: with a Restricted Data Token: the path of its resource that opened this call
    rdt_path: str | None = None

    def one(self, name: str) -> str | None:
        """A single-valued query parameter (the last one sent), None when absent or empty."""
        values = self.query.get(name)
        return values[-1] if values and values[-1] != "" else None

    def many(self, name: str) -> list[str]:
        """An array parameter: repeated and/or comma-separated values (Swagger's csv)."""
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v.strip() for v in value.split(",") if v.strip())
        return out

    def json(self) -> dict:
        """The JSON object of the request body (415 for another content type, 400
        InvalidInput for a body that is not a JSON object)."""
        content_type = self.headers.get("content-type", "")
        if content_type and "json" not in content_type.lower():
            raise SpError(
                415,
                "UnsupportedMediaType",
                "The request's Content-Type header is invalid.",
                f"Expected application/json, got {content_type}.",
            )
        try:
            data = json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            raise invalid_input("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise invalid_input("The request body must be a JSON object.")
        return data

    def base_url(self) -> str:
        """The sandbox's own URL as the caller reached it (for pre-signed URLs)."""
        host = self.headers.get("host")
        if not host:
            host = f"{self.state.config.host}:{self.state.config.port}"
        return f"http://{host}"


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern
    operation: str
    model: str
    default_rate: str
    default_burst: int
    handler: Callable[[SpRequest], object]
    rate: str = ""
    burst: int = 0
    source: str = "default"
    extra: dict = field(default_factory=dict)


ROUTES: list[Route] = []


def _compile(template: str) -> re.Pattern:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}/?$")


def route(method: str, template: str, *, operation: str, model: str, rate: str, burst: int):
    """Register an SP-API operation. rate/burst: the defaults used without the models."""

    def decorate(fn: Callable[[SpRequest], object]):
        ROUTES.append(
            Route(
                method, template, _compile(template), operation, model, rate, burst, fn, rate, burst
            )
        )
        return fn

    return decorate


def owns(path: str) -> bool:
    """Whether a request path is for the SP-API face (or one of its document URLs)."""
    return path.startswith((*PREFIXES, DOCUMENTS_PREFIX, SCHEMAS_PREFIX)) or path == lwa.TOKEN_PATH


# ---- usage plans from the models ----------------------------------------------------------

_USAGE_PLAN = re.compile(
    r"\|\s*(?:Plan type\s*\|\s*)?Rate \(requests per second\)\s*\|\s*Burst\s*\|\s*\n"
    r"\s*\|[\s|:-]+\n"
    r"\s*\|\s*(?:Default\s*\|\s*)?([0-9]*\.?[0-9]+)\s*\|\s*([0-9]+)\s*\|"
)


def usage_plan(description: str) -> tuple[str, int] | None:
    """(rate as written, burst) from an operation description's "Usage Plan" table (or the
    "Default" row of a "Usage Plans" table with a "Plan type" column)."""
    match = _USAGE_PLAN.search(description or "")
    return (match.group(1), int(match.group(2))) if match else None


def read_usage_plans(models_dir: Path) -> dict[str, tuple[str, int]]:
    """operationId -> (rate, burst) for every operation of every model in the directory."""
    plans: dict[str, tuple[str, int]] = {}
    for path in sorted(Path(models_dir).glob("*.json")):
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("SP-API model %s is unreadable; ignored", path)
            continue
        for item in (model.get("paths") or {}).values():
            for op in item.values():
                if isinstance(op, dict) and op.get("operationId"):
                    plan = usage_plan(op.get("description", ""))
                    if plan:
                        plans[f"{path.name}#{op['operationId']}"] = plan
    return plans


def models_dir(config) -> Path | None:
    """The models directory this sandbox reads: --spapi-models, $AMAZON_SPAPI_MODELS, else
    ../shared/amazon/sp-api/models beside the repository when it exists."""
    given = getattr(config, "spapi_models", None)
    if given is not None:
        return None if str(given) in ("", "none") else Path(given)
    env = os.environ.get("AMAZON_SPAPI_MODELS")
    if env:
        return None if env == "none" else Path(env)
    return DEFAULT_MODELS_DIR if DEFAULT_MODELS_DIR.is_dir() else None


def rate_seconds(rate: str) -> float:
    return 1.0 / float(rate)


def setup(state: SandboxState) -> None:
    """Set every route's rate and burst (models or defaults) and give them throttle buckets."""
    directory = models_dir(state.config)
    plans = read_usage_plans(directory) if directory and directory.is_dir() else {}
    limits = {}
    for r in ROUTES:
        plan = plans.get(f"{r.model}#{r.operation}")
        r.rate, r.burst, r.source = (
            (plan[0], plan[1], "model") if plan else (r.default_rate, r.default_burst, "default")
        )
        limits[r.operation] = Limit(r.burst, rate_seconds(r.rate), None, "SP-API")
    state.throttle.limits = {**state.throttle.limits, **limits}
    state.extra["spapi_models"] = str(directory) if plans else None
    state.extra["spapi_limits"] = {
        r.operation: {"rate": r.rate, "burst": r.burst, "source": r.source} for r in ROUTES
    }


# ---- the request path ---------------------------------------------------------------------


def _json(status: int, data: dict, headers: dict[str, str]) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status, "application/json", dict(headers))


def parse_query(raw: str) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise invalid_input("The query string is not valid UTF-8 once decoded.") from None
    for key, value in pairs:
        query.setdefault(key, []).append(value)
    return query


def handle(
    state: SandboxState, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
) -> Response:
    """One SP-API (or LWA token) call, from raw HTTP parts to the Response (never raises)."""
    request_id = str(uuid.uuid4())
    if path == lwa.TOKEN_PATH:
        try:
            return lwa.handle_token(state, method, body, headers, request_id)
        except Exception:
            log.error("LWA request %s failed:\n%s", request_id, traceback.format_exc())
            return _json(
                500,
                {"error": "server_error", "error_description": "Internal error"},
                {"x-amzn-RequestId": request_id},
            )
    if path.startswith(DOCUMENTS_PREFIX):
        from . import spapi_documents

        return spapi_documents.handle_url(state, method, path, query, body, headers, request_id)
    if path.startswith(SCHEMAS_PREFIX):
        from . import api_spapi_definitions

        return api_spapi_definitions.handle_schema_url(state, method, path, query, request_id)
    out_headers = {"x-amzn-RequestId": request_id}
    try:
        return _dispatch(state, method, path, query, body, headers, request_id, out_headers)
    except SpError as exc:
        return _json(exc.status, exc.body(), out_headers)
    except Exception:
        log.error("SP-API request %s failed:\n%s", request_id, traceback.format_exc())
        return _json(500, SpError(500, "InternalFailure", INTERNAL_MESSAGE).body(), out_headers)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in ROUTES:
        match = r.pattern.match(path)
        if match and r.method == method:
            return r, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def _dispatch(state, method, path, query, body, headers, request_id, out_headers) -> Response:
    from . import sellers
    from .server import run_ticks

    found = find_route(method, path)
    if found is None:
        raise SpError(404, "NotFound", "Resource not found.", f"{method} {path}")
    r, path_params = found
    out_headers["x-amzn-RateLimit-Limit"] = r.rate
    with state.store.tx() as db:
        run_ticks(state, db)
        seller_id, why, resources = lwa.seller_of_token(
            db, headers.get("x-amz-access-token"), state.clock.timestamp()
        )
        seller = sellers.get_seller(db, seller_id) if seller_id else None
    if seller is None:
        raise SpError(403, "Unauthorized", UNAUTHORIZED, why or lwa.INVALID)
    rdt_path = None
    if resources is not None:  # a Restricted Data Token: only for its resources
        rdt_path = lwa.matching_resource(resources, method, path)
        if rdt_path is None:
            raise SpError(403, "Unauthorized", UNAUTHORIZED, lwa.INVALID)
    parsed = parse_query(query)
    paged = bool(parsed.get("paginationToken") or parsed.get("nextToken"))
    sandbox_ts = state.clock.timestamp()
    fired = state.faults.take(seller.seller_id, r.operation, BEFORE, sandbox_ts, paged=paged)
    for fault in fired:
        if fault.kind == "delay":
            time.sleep(fault.seconds)
    for fault in fired:
        if fault.kind == "throttle_storm":
            state.throttle.count_rejected(seller.seller_id, r.operation, "RequestThrottled")
            raise SpError(429, "QuotaExceeded", QUOTA_MESSAGE)
        if fault.kind == "throttled":
            raise SpError(429, "QuotaExceeded", QUOTA_MESSAGE)
        if fault.kind == "internal_error":
            raise SpError(500, "InternalFailure", INTERNAL_MESSAGE)
        if fault.kind == "unavailable":
            raise SpError(503, "ServiceUnavailable", "Service is unavailable. Try again later.")
        if fault.kind == "next_token_corrupted":
            name = "nextToken" if parsed.get("nextToken") else "paginationToken"
            raise invalid_input(f"Invalid {name}.", "The pagination token is corrupted.")
    decision = state.throttle.check(seller.seller_id, r.operation, sandbox_ts, r.operation)
    if not decision.allowed:
        raise SpError(429, "QuotaExceeded", QUOTA_MESSAGE)
    req = SpRequest(
        operation=r.operation,
        seller=seller,
        now=state.clock.now(),
        query=parsed,
        path_params=path_params,
        headers=dict(headers),
        body=body,
        request_id=request_id,
        state=state,
        rdt_path=rdt_path,
    )
    with state.store.tx():
        data = r.handler(req)
    status = 200
    if isinstance(data, tuple):
        status, data = data
    if data is None:
        response = Response(b"", status, "application/json", dict(out_headers))
    else:
        response = _json(status, data, out_headers)
    for fault in state.faults.take(seller.seller_id, r.operation, AFTER, sandbox_ts, paged=paged):
        if fault.kind == "slow_answer":
            time.sleep(fault.seconds)
        elif fault.kind == "malformed":
            cut = max(1, len(response.body) // 2)
            response = Response(response.body[:cut] + b"\x00<<<", 200, "application/json")
            response.headers.update(out_headers)
        elif fault.kind == "error_200":
            response = _json(200, SpError(500, "InternalFailure", INTERNAL_MESSAGE).body(), {})
            response.headers.update(out_headers)
    return response
