"""Fixtures that run the Amazon MWS sandbox as a real subprocess on loopback.

`sandbox` (session): one shared server; tests isolate themselves with `sandbox.new_seller()`
(throttle buckets, catalog, feeds and faults are per seller).
`xsd_sandbox` (session): the same with --xsd-dir pointing at Amazon's XSDs.
`start_sandbox` (function): start a private server with options; stopped after the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amazon_sandbox.testing import Creds, Sandbox


def _start(tmp_path_factory, *args) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("sandbox"), list(args))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    box = _start(tmp_path_factory, "--seed", "7")
    yield box
    box.stop()


@pytest.fixture(scope="session")
def xsd_sandbox(tmp_path_factory, amazon_xsd_dir):
    box = _start(tmp_path_factory, "--xsd-dir", str(amazon_xsd_dir), "--seed", "7")
    yield box
    box.stop()


@pytest.fixture
def start_sandbox(tmp_path_factory):
    """start_sandbox(*options, data_dir=None) → a private Sandbox, stopped after the test."""
    started: list[Sandbox] = []

    def start(*args, data_dir: Path | None = None) -> Sandbox:
        box = Sandbox(data_dir or tmp_path_factory.mktemp("sandbox"), list(args))
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


@pytest.fixture
def seller(sandbox) -> Creds:
    return sandbox.new_seller()


def envelope(message_type: str, messages: list[str], merchant: str = "M") -> str:
    """An AmazonEnvelope with the given <Message> bodies (MessageID added)."""
    body = "".join(
        f"<Message><MessageID>{i}</MessageID>{m}</Message>" for i, m in enumerate(messages, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">'
        f"<Header><DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>{merchant}"
        f"</MerchantIdentifier></Header><MessageType>{message_type}</MessageType>{body}"
        "</AmazonEnvelope>"
    )


def product_msg(
    sku: str,
    title: str = "Widget",
    op: str = "Update",
    upc: str | None = None,
    asin: str | None = None,
) -> str:
    spid = ""
    if upc:
        spid = f"<StandardProductID><Type>UPC</Type><Value>{upc}</Value></StandardProductID>"
    if asin:
        spid = f"<StandardProductID><Type>ASIN</Type><Value>{asin}</Value></StandardProductID>"
    desc = f"<DescriptionData><Title>{title}</Title><Brand>Acme</Brand></DescriptionData>"
    return f"<OperationType>{op}</OperationType><Product><SKU>{sku}</SKU>{spid}{desc}</Product>"
