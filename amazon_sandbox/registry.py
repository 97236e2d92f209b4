"""The seams of the sandbox: data classes, the operation registry and the lifecycle hooks.

Handlers register with `@operation("ListOrders", section="Orders")` and receive an
authenticated, throttled `Request`; they return a `Response` or raise `ApiError`.
Modules may register `on_startup(fn(state))` and `on_tick(fn(state, db, now))` hooks: the server
runs every tick hook inside one transaction before each API request and each admin call, so that
time-driven changes happen lazily and deterministically from the sandbox clock. DESIGN.md
describes how the pieces fit.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from .errors import ApiError

__all__ = [
    "NAMESPACES",
    "OPERATIONS",
    "SECTIONS",
    "ApiError",
    "Config",
    "Operation",
    "Request",
    "Response",
    "SandboxState",
    "Seller",
    "find_operation",
    "namespace",
    "on_startup",
    "on_tick",
    "operation",
    "result_response",
    "sub",
]

# Section -> (Version, accepted paths, response namespace)
SECTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "Feeds": (
        "2009-01-01",
        ("/", "/Feeds/2009-01-01"),
        "http://mws.amazonaws.com/doc/2009-01-01/",
    ),
    "Reports": (
        "2009-01-01",
        ("/", "/Feeds/2009-01-01", "/Reports/2009-01-01"),
        "http://mws.amazonaws.com/doc/2009-01-01/",
    ),
    "Orders": (
        "2013-09-01",
        ("/Orders/2013-09-01",),
        "https://mws.amazonservices.com/Orders/2013-09-01",
    ),
    "Sellers": (
        "2011-07-01",
        ("/Sellers/2011-07-01",),
        "https://mws.amazonservices.com/Sellers/2011-07-01",
    ),
    "FulfillmentInventory": (
        "2010-10-01",
        ("/FulfillmentInventory/2010-10-01",),
        "http://mws.amazonaws.com/FulfillmentInventory/2010-10-01",
    ),
}
NAMESPACES = {name: spec[2] for name, spec in SECTIONS.items()}


def namespace(section: str) -> str:
    """Amazon's xmlns for that section's responses."""
    return NAMESPACES[section]


@dataclass
class Seller:
    seller_id: str
    access_key: str
    secret_key: str
    marketplace_ids: list[str] = field(default_factory=lambda: ["ATVPDKIKX0DER"])
    auth_token: str | None = None


@dataclass
class Config:
    """Command line options, as every module sees them."""

    data_dir: Path = Path(".")
    host: str = "127.0.0.1"
    port: int = 8765
    time_scale: float = 1.0
    no_throttle: bool = False
    xsd_dir: Path | None = None
    demo_orders: int = 0
    seed: int | None = None
    payment_hold_minutes: float = 30.0
    # SP-API models directory (usage plans); None: $AMAZON_SPAPI_MODELS or ../shared beside
    # the repository when present; "none": the built-in defaults (spapi.models_dir)
    spapi_models: Path | str | None = None


@dataclass
class SandboxState:
    """Server-wide state handed to handlers as `req.state`."""

    store: Any  # store.Store
    clock: Any  # clock.Clock
    config: Config
    rng: random.Random = field(default_factory=random.Random)
    throttle: Any = None  # throttle.Throttle
    faults: Any = None  # faults.Faults
    extra: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()


@dataclass
class Request:
    """What an operation handler receives."""

    action: str
    params: dict[str, str]
    body: bytes
    headers: dict[str, str]
    seller: Seller
    now: datetime
    request_id: str
    state: SandboxState
    section: str = ""


@dataclass
class Response:
    body: bytes
    status: int = 200
    content_type: str = "text/xml"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Operation:
    action: str
    section: str
    throttle: str
    handler: Callable[[Request], Response]


# (section, action) -> Operation; GetServiceStatus exists once per section.
OPERATIONS: dict[tuple[str, str], Operation] = {}
STARTUP_HOOKS: list[Callable[[SandboxState], None]] = []
TICK_HOOKS: list[Callable[[SandboxState, sqlite3.Connection, datetime], None]] = []


def operation(action: str, *, section: str, throttle: str | None = None):
    """Register a handler `fn(req: Request) -> Response` for Action=`action` in `section`.

    throttle: the quota bucket name (default: the action itself), e.g. ListOrdersByNextToken
    registers with throttle="ListOrders" to share ListOrders' bucket.
    """
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")

    def decorate(fn: Callable[[Request], Response]):
        OPERATIONS[(section, action)] = Operation(action, section, throttle or action, fn)
        return fn

    return decorate


def find_operation(path: str, action: str) -> Operation | None:
    """The operation for this request path and Action, or None."""
    path = path.rstrip("/") or "/"
    for section, (_version, paths, _ns) in SECTIONS.items():
        if path in paths and (section, action) in OPERATIONS:
            return OPERATIONS[(section, action)]
    return None


def path_known(path: str) -> bool:
    path = path.rstrip("/") or "/"
    return any(path in spec[1] for spec in SECTIONS.values())


def on_startup(fn: Callable[[SandboxState], None]):
    """Register fn(state), run once when the server starts (after the store, the clock and
    the sellers are set up)."""
    STARTUP_HOOKS.append(fn)
    return fn


def on_tick(fn: Callable[[SandboxState, sqlite3.Connection, datetime], None]):
    """Register fn(state, db, now), run in a transaction before every request and admin call."""
    TICK_HOOKS.append(fn)
    return fn


# ---- small helpers for building responses -------------------------------------------------


def sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    """Append a child in the parent's namespace, with text (str() of it) when not None."""
    qname = etree.QName(parent).namespace
    child = etree.SubElement(parent, f"{{{qname}}}{tag}" if qname else tag)
    if text is not None:
        child.text = text if isinstance(text, str) else str(text)
    return child


def result_response(
    req: Request, fill: Callable[[etree._Element], None] | None = None, *, section: str = ""
) -> Response:
    """`<{Action}Response><{Action}Result>…</…><ResponseMetadata><RequestId>…`.

    fill(result_element) adds the result's children (use `sub`). ByNextToken actions get
    their own element names (e.g. ListOrdersByNextTokenResult), as Amazon does.
    """
    ns = namespace(section or req.section)
    root = etree.Element(f"{{{ns}}}{req.action}Response", nsmap={None: ns})
    result = sub(root, f"{req.action}Result")
    if fill is not None:
        fill(result)
    meta = sub(root, "ResponseMetadata")
    sub(meta, "RequestId", req.request_id)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body)
