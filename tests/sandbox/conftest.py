"""Fixtures that run the Amazon MWS sandbox as a real subprocess on loopback.

`sandbox` (session): one shared server; tests isolate themselves with `sandbox.new_seller()`
(throttle buckets, catalog, feeds and faults are per seller).
`xsd_sandbox` (session): the same with --xsd-dir pointing at Amazon's XSDs.
`start_sandbox` (function): start a private server with options; stopped after the test.
`spapi_models` (session): Amazon's SP-API models directory (skips the test when absent).
`spapi_check` (session): `spapi_check(response, "model.json", "operationId")` validates an
SP-API JSON answer against the model's response schema for its status (with the jsonschema
library); without the models it only checks that the body is JSON. A status the model gives
no schema (cancelFeed's and cancelReport's 200) must come with an empty body (checked → None).
`feed_schema` (session): `feed_schema("listings-feed-processing-report-schema-v2.json")` is a
validator of Amazon's JSON feed schema (skips the test when absent).
`listing_attributes(...)`: a complete PRODUCT listing for putListingsItem / JSON feeds.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from amazon_sandbox.testing import ROOT, Creds, Sandbox

#: the keys of an Orders v2026-01-01 `Order` without includedData
ORDER_V2026_BASE_KEYS = frozenset(
    {
        "orderId",
        "orderAliases",
        "createdTime",
        "lastUpdatedTime",
        "programs",
        "salesChannel",
        "orderItems",
    }
)


class SpClient:
    """One seller's SP-API calls, each answer validated against the class's `model` file."""

    model = ""

    def __init__(self, box, creds, check):
        self.box, self.creds, self.check = box, creds, check
        self.token = box.access_token(creds)

    def call(self, operation, path, *, method="GET", params=None, json=None, status=200):
        resp = self.box.spapi(self.creds, path, params, method=method, token=self.token, json=json)
        body = self.check(resp, self.model, operation)
        assert resp.status_code == status, resp.text
        return body


def spapi_models_dir() -> Path:
    """Amazon's SP-API models: $AMAZON_SPAPI_MODELS, else ../shared/amazon/sp-api/models beside
    the repository (like the XSDs)."""
    env = os.environ.get("AMAZON_SPAPI_MODELS")
    return Path(env) if env else ROOT.parent / "shared" / "amazon" / "sp-api" / "models"


def _strict(node):
    """The Swagger schema with additionalProperties: false on every object that does not say
    otherwise, so that a misspelt or invented key fails validation."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if (out.get("type") == "object" or "properties" in out) and (
            "additionalProperties" not in out
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _operation(model: dict, operation_id: str) -> dict:
    for item in model["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise KeyError(operation_id)


def spapi_validator(models: Path, model_file: str, operation_id: str, status: int):
    """A jsonschema validator of the operation's response body for that HTTP status: the
    response schema, with the model's definitions (``#/definitions/...`` refs resolve inside
    the same document) made strict, and date-time values checked."""
    model = json.loads((models / model_file).read_text(encoding="utf-8"))
    response = _operation(model, operation_id)["responses"][str(status)]
    if "schema" not in response:
        return None  # the model defines no body for that status
    return _validator(model, response["schema"])


def spapi_definition_validator(models: Path, model_file: str, name: str):
    """The same for one definition of the model (e.g. ``Order``)."""
    model = json.loads((models / model_file).read_text(encoding="utf-8"))
    return _validator(model, {"$ref": f"#/definitions/{name}"})


def _validator(model: dict, schema: dict):
    import jsonschema

    schema = {**schema, "definitions": _strict(copy.deepcopy(model["definitions"]))}
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value):
        if not isinstance(value, str):
            return True
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.tzinfo is not None

    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=checker)


@pytest.fixture(scope="session")
def feed_schema():
    """feed_schema(file name) -> a Draft 7 validator of Amazon's JSON feed schema (skips the
    test when Amazon's schemas are not beside the models)."""
    import jsonschema

    directory = spapi_models_dir().parent / "schemas" / "feeds"

    def load(name: str):
        path = directory / name
        if not path.exists():
            pytest.skip(f"Amazon's feed schema {path} not found")
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        return jsonschema.Draft7Validator(schema)

    return load


US = "ATVPDKIKX0DER"


def listing_attributes(
    title: str = "Desk lamp",
    *,
    quantity: int = 7,
    price: float = 19.99,
    upc: str = "012345678905",
    image: str | None = "https://images.example.com/lamp.jpg",
    marketplace: str = US,
    **extra,
) -> dict:
    """A complete PRODUCT listing (LISTING requirements): title, brand, barcode, bullet points,
    description, condition, offer, stock and (unless image=None) a main image; `extra`
    attributes are added or replace these."""

    def text(value: str) -> list[dict]:
        return [{"value": value, "language_tag": "en_US", "marketplace_id": marketplace}]

    attributes = {
        "item_name": text(title),
        "brand": text("Acme"),
        "externally_assigned_product_identifier": [
            {"type": "upc", "value": upc, "marketplace_id": marketplace}
        ],
        "bullet_point": text("Warm light") + text("Steel base"),
        "product_description": text(f"{title}, made to last."),
        "condition_type": [{"value": "new_new", "marketplace_id": marketplace}],
        "purchasable_offer": [
            {
                "currency": "USD",
                "marketplace_id": marketplace,
                "our_price": [{"schedule": [{"value_with_tax": price}]}],
            }
        ],
        "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
    }
    if image:
        attributes["main_product_image_locator"] = [
            {"media_location": image, "marketplace_id": marketplace}
        ]
    attributes.update(extra)
    return attributes


@pytest.fixture(scope="session")
def spapi_models() -> Path:
    path = spapi_models_dir()
    if not (path / "orders_2026-01-01.json").exists():
        pytest.skip(f"Amazon's SP-API models not found at {path} (set AMAZON_SPAPI_MODELS)")
    return path


@pytest.fixture(scope="session")
def spapi_check():
    """check(response, model_file, operation_id) -> the JSON body, validated when the models
    are available."""
    models = spapi_models_dir()
    available = (models / "orders_2026-01-01.json").exists()
    cache = {}

    def check(response, model_file: str, operation_id: str):
        assert response.headers["Content-Type"].startswith("application/json"), response.text
        assert response.headers.get("x-amzn-RequestId")
        key = (model_file, operation_id, response.status_code)
        if available and key not in cache:
            cache[key] = spapi_validator(models, *key)
        if (available and cache[key] is None) or (not available and not response.content):
            assert response.content == b"", response.text
            return None
        body = response.json()
        if available:
            errors = sorted(cache[key].iter_errors(body), key=lambda e: list(e.absolute_path))
            assert not errors, "\n".join(
                f"{list(e.absolute_path)}: {e.message}" for e in errors[:10]
            )
        return body

    check.validates = available
    return check


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
