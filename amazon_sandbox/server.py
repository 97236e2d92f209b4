"""The HTTP server: routing, authentication, throttling, faults and error rendering around the
operation handlers registered in `registry`."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import random
import time
import traceback
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from . import registry, sellers, spapi
from .auth import authenticate, parse_query
from .clock import Clock
from .errors import ERROR_NAMESPACE, ApiError, error_xml
from .faults import AFTER, BEFORE, Faults
from .registry import Config, Request, Response, SandboxState
from .store import Store
from .throttle import Throttle

log = logging.getLogger("amazon_sandbox")

MAX_BODY = 50 * 1024 * 1024
# The modules whose @operation / on_startup / on_tick decorators register handlers and hooks,
# in import order (which is also the order of their tick hooks: orders move before reports).
HANDLER_MODULES = (
    "amazon_sandbox.feeds",
    "amazon_sandbox.api_spapi_feeds",  # SP-API feeds tick right after MWS feeds, before orders
    "amazon_sandbox.sellers",
    "amazon_sandbox.api_orders",
    "amazon_sandbox.api_reports",
    "amazon_sandbox.api_spapi",
    "amazon_sandbox.api_spapi_reports",
    "amazon_sandbox.api_spapi_tokens",
    "amazon_sandbox.api_spapi_definitions",
    "amazon_sandbox.api_spapi_listings",
)
# Used later (by the HTTP handler, by feed processing): imported at start-up too.
SUPPORT_MODULES = ("amazon_sandbox.feed_orders", "amazon_sandbox.admin", "amazon_sandbox.web")


def load_modules() -> dict[str, object]:
    """Import every module the server runs; return the handler modules by name.

    All are required: one that fails to import stops the start with its traceback (a
    sandbox missing an API would only mislead its clients and skip their tests)."""
    loaded = {name: importlib.import_module(name) for name in HANDLER_MODULES}
    for name in SUPPORT_MODULES:
        importlib.import_module(name)
    return loaded


def build_state(config: Config, seed_sellers: list[registry.Seller]) -> SandboxState:
    """Open the store, create schemas, restore the clock, make sure sellers exist."""
    modules = load_modules()
    store = Store(config.data_dir)
    store.ensure_schema(sellers.SELLERS_SCHEMA)
    with store.tx() as db:
        offset = store.get_meta(db, "clock_offset", 0.0)
    clock = Clock(config.time_scale, offset)
    rng = random.Random(config.seed)
    state = SandboxState(
        store=store,
        clock=clock,
        config=config,
        rng=rng,
        throttle=Throttle(enabled=not config.no_throttle),
        faults=Faults(random.Random(config.seed)),
    )
    state.extra["modules"] = sorted(modules)
    with store.tx() as db:
        for seller in seed_sellers:
            sellers.save_seller(db, seller)
        if not sellers.load_sellers(db):
            sellers.save_seller(db, sellers.DEMO_SELLER)
    for hook in registry.STARTUP_HOOKS:
        hook(state)
    if config.demo_orders:
        create_demo_orders(state)
    return state


#: What the demo seller already sells on Amazon (the same SKUs as the Odoo demo data).
DEMO_SELLER_CATALOG = Path(__file__).with_name("demo_seller_catalog.json")


def seed_demo_seller_catalog(db, seller_id: str, now: datetime) -> int:
    """The demo seller's listings on Amazon, when its catalog is empty: its demo orders are
    then for SKUs a shop's demo data knows. Returns the number of SKUs added."""
    from .catalog import catalog_rows
    from .ordergen import demo_asin

    if catalog_rows(db, seller_id):
        return 0
    items = json.loads(DEMO_SELLER_CATALOG.read_text())["items"]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for item in items:
        db.execute(
            "INSERT INTO catalog (seller_id, sku, asin, title, standard_product_id, price, "
            "currency, quantity, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                seller_id,
                item["sku"],
                demo_asin(item["sku"]),
                item["title"],
                item["barcode"],
                item["price"],
                "USD",
                100,
                stamp,
                stamp,
            ),
        )
    return len(items)


def create_demo_orders(state: SandboxState) -> None:
    """--demo-orders N: N orders for every seller that has none yet (the demo seller's
    catalog seeded first: see DEMO_SELLER_CATALOG)."""
    from . import api_orders

    with state.store.tx() as db:
        run_ticks(state, db)
        for seller in sellers.load_sellers(db):
            if api_orders.list_orders_admin(db, seller.seller_id):
                continue
            if seller.seller_id == sellers.DEMO_SELLER.seller_id:
                seed_demo_seller_catalog(db, seller.seller_id, state.clock.now())
            api_orders.create_orders(
                state,
                db,
                seller,
                state.config.demo_orders,
                seed=state.config.seed,
                now=state.clock.now(),
            )


def run_ticks(state: SandboxState, db) -> None:
    """Run every on_tick hook (each in a savepoint, so one failing hook cannot undo the
    others) and persist the clock offset."""
    now = state.clock.now()
    for hook in registry.TICK_HOOKS:
        db.execute("SAVEPOINT tick")
        try:
            hook(state, db, now)
        except Exception:
            db.execute("ROLLBACK TO tick")
            log.exception("tick hook %s failed", getattr(hook, "__name__", hook))
        db.execute("RELEASE tick")
    state.store.set_meta(db, "clock_offset", state.clock.offset())


def tick(state: SandboxState) -> None:
    with state.store.tx() as db:
        run_ticks(state, db)


def _http_date(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def error_response(exc: ApiError, request_id: str, ns: str = ERROR_NAMESPACE) -> Response:
    body = error_xml(exc.code, exc.message, request_id, exc.type_, ns, exc.detail)
    return Response(body, exc.status)


def handle_api(
    state: SandboxState, method: str, host: str, path: str, query: str, body: bytes, headers
) -> Response:
    """One MWS call, from raw HTTP parts to the Response (never raises)."""
    request_id = str(uuid.uuid4())
    quota_headers: dict[str, str] = {}
    try:
        response = _dispatch(
            state, method, host, path, query, body, headers, request_id, quota_headers
        )
    except ApiError as exc:
        response = error_response(exc, request_id)
    except Exception:
        log.error("request %s failed:\n%s", request_id, traceback.format_exc())
        response = error_response(
            ApiError(
                "InternalError",
                "We encountered an internal error. Please try again.",
                500,
                "Receiver",
            ),
            request_id,
        )
    response.headers.setdefault("x-mws-request-id", request_id)
    # the server's time is the sandbox clock (accelerated or advanced), as quotas are
    response.headers.setdefault("x-mws-timestamp", _http_date(state.clock.timestamp()))
    for key, value in quota_headers.items():
        response.headers.setdefault(key, value)
    return response


def _dispatch(state, method, host, path, query, body, headers, request_id, quota_headers):
    if method not in ("GET", "POST"):
        raise ApiError("InvalidParameterValue", f"HTTP method {method} is not supported.", 405)
    params = parse_query(query)
    ctype = headers.get("content-type", "")
    if method == "POST" and "Action" not in params and "x-www-form-urlencoded" in ctype:
        # Amazon also accepts the parameters as a form body.
        try:
            params = parse_query(body.decode("ascii"))
        except UnicodeDecodeError as exc:
            raise ApiError("InvalidParameterValue", "The form body is not valid.") from exc
        body = b""
    if not registry.path_known(path):
        raise ApiError("InvalidAddress", f"The address {path} is not valid.", 404)
    action = params.get("Action")
    if not action:
        raise ApiError("MissingParameter", "The parameter Action is required but was not present.")
    op = registry.find_operation(path, action)
    with state.store.tx() as db:
        run_ticks(state, db)
        seller = authenticate(
            method,
            headers.get("host", ""),
            path,
            params,
            lambda key: sellers.seller_by_key(db, key),
            op,
        )
    sandbox_ts = state.clock.timestamp()
    fired = state.faults.take(seller.seller_id, action, BEFORE, sandbox_ts)
    for fault in fired:
        if fault.kind == "delay":
            time.sleep(fault.seconds)
    for fault in fired:
        if fault.kind == "throttle_storm":
            state.throttle.count_rejected(seller.seller_id, op.throttle, "RequestThrottled")
            raise ApiError("RequestThrottled", "Request is throttled", 503, "")
        if fault.kind == "throttled":
            raise ApiError("RequestThrottled", "Request is throttled", 503, "")
        if fault.kind == "internal_error":
            raise ApiError(
                "InternalError",
                "We encountered an internal error. Please try again.",
                500,
                "Receiver",
            )
        if fault.kind == "unavailable":
            raise ApiError(
                "ServiceUnavailable",
                "Service is unavailable. Please try again later.",
                503,
                "Receiver",
            )
        if fault.kind == "next_token_corrupted":
            raise ApiError(
                "NextTokenCorrupted", f"The NextToken {params.get('NextToken', '')} is corrupted."
            )
    decision = state.throttle.check(seller.seller_id, op.throttle, sandbox_ts, action)
    if decision.quota_max is not None and op.section in ("Feeds", "Reports"):
        quota_headers["x-mws-quota-max"] = f"{float(decision.quota_max):.1f}"
        quota_headers["x-mws-quota-remaining"] = f"{float(decision.quota_remaining or 0):.1f}"
        quota_headers["x-mws-quota-resetsOn"] = _http_date(decision.resets_on)
    if not decision.allowed:
        raise ApiError(decision.code, decision.message, 503, "")
    req = Request(
        action=action,
        params=params,
        body=body,
        headers=dict(headers),
        seller=seller,
        now=state.clock.now(),
        request_id=request_id,
        state=state,
        section=op.section,
    )
    with state.store.tx():
        response = op.handler(req)
    for fault in state.faults.take(seller.seller_id, action, AFTER, sandbox_ts):
        if fault.kind == "slow_answer":
            time.sleep(fault.seconds)
        elif fault.kind == "malformed":
            cut = max(1, len(response.body) // 2)
            response = Response(response.body[:cut] + b"<<<\x00", 200, "text/xml")
        elif fault.kind == "error_200":
            response = Response(
                error_xml(
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                    request_id,
                    "Receiver",
                ),
                200,
            )
    return response


class Handler(BaseHTTPRequestHandler):
    """Routes /admin/..., the web page, the SP-API face (and LWA) and the MWS API."""

    server_version = "AmazonMWSSandbox/1.0"
    protocol_version = "HTTP/1.1"
    state: SandboxState  # set on the subclass by make_server

    def log_message(self, format, *args):
        log.debug("%s - %s", self.address_string(), format % args)

    def date_time_string(self, timestamp=None):
        """The HTTP Date header on the sandbox clock: SP-API clients (which have no
        x-mws-timestamp) follow the server's time from it, as quotas are counted on it."""
        return super().date_time_string(
            self.state.clock.timestamp() if timestamp is None else timestamp
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering an error (too large, unreadable)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return self._too_large()
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(
                error_response(
                    ApiError("InvalidParameterValue", "Invalid Content-Length."), str(uuid.uuid4())
                )
            )
            return None
        if length > MAX_BODY:
            return self._too_large()
        return self.rfile.read(length) if length else b""

    def _too_large(self):
        self.close_connection = True
        self._send(
            error_response(
                ApiError(
                    "RequestEntityTooLarge",
                    f"The request body exceeds the maximum of {MAX_BODY} bytes.",
                    413,
                ),
                str(uuid.uuid4()),
            )
        )
        return None

    def _handle(self) -> None:
        try:
            body = self._read_body()
            if body is None:
                return
            parts = urlsplit(self.path)
            path, query = parts.path or "/", parts.query
            headers = {k.lower(): v for k, v in self.headers.items()}
            if path.startswith("/admin"):
                from . import admin

                response = admin.handle(self.state, self.command, path, query, body)
            elif spapi.owns(path):
                response = spapi.handle(self.state, self.command, path, query, body, headers)
            elif path in ("/", "/index.html") and self.command == "GET" and "Action" not in query:
                from . import web

                response = web.page(self.state, query)
            else:
                response = handle_api(
                    self.state, self.command, headers.get("host", ""), path, query, body, headers
                )
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.error("unhandled error:\n%s", traceback.format_exc())
            self.close_connection = True
            # The connection may be half-written already; nothing more can be done then.
            with contextlib.suppress(Exception):
                self._send(
                    error_response(
                        ApiError("InternalError", "Internal error.", 500, "Receiver"),
                        str(uuid.uuid4()),
                    )
                )

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(state: SandboxState) -> SandboxHTTPServer:
    handler = type("BoundHandler", (Handler,), {"state": state})
    return SandboxHTTPServer((state.config.host, state.config.port), handler)
