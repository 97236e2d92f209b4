"""The Product Type Definitions API 2020-09-01 on the SP-API face: searchDefinitionsProductTypes
and getDefinitionsProductType, over the product types of `product_types` (PRODUCT,
HOME_BED_AND_BATH, SHIRT).

getDefinitionsProductType answers links, not the schema: the product type schema (the variant
for the requirements and their enforcement, at the current version) and Amazon's meta-schema
are served by the sandbox itself at `/sp-schemas/…` without an access token, like Amazon's
pre-signed schema links (those live seven days; the sandbox's live as long as the version: a
link to a version the admin replaced answers 404 NoSuchKey). The checksum is the Base64 MD5 of
the bytes served. Display names are English whatever the locale.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, quote

from . import product_types as pt
from .registry import Response
from .sellers import MARKETPLACES
from .spapi import SCHEMAS_PREFIX, SpError, SpRequest, invalid_input, route
from .spapi_documents import _s3_error, method_not_allowed
from .spapi_params import list_param, seller_markets

MODEL = "definitionsProductTypes_2020-09-01.json"
PRODUCT_TYPES = "/definitions/2020-09-01/productTypes"
META_SCHEMA_PATH = f"{SCHEMAS_PREFIX}meta-schema/v1"
SCHEMA_PATH = f"{SCHEMAS_PREFIX}product-types/"
#: the model's locale enum
LOCALES = (
    "DEFAULT",
    "ar",
    "ar_AE",
    "de",
    "de_DE",
    "en",
    "en_AE",
    "en_AU",
    "en_CA",
    "en_GB",
    "en_IN",
    "en_SG",
    "en_US",
    "es",
    "es_ES",
    "es_MX",
    "es_US",
    "fr",
    "fr_CA",
    "fr_FR",
    "it",
    "it_IT",
    "ja",
    "ja_JP",
    "nl",
    "nl_NL",
    "pl",
    "pl_PL",
    "pt",
    "pt_BR",
    "pt_PT",
    "sv",
    "sv_SE",
    "tr",
    "tr_TR",
    "zh",
    "zh_CN",
    "zh_TW",
)


def _markets(req: SpRequest, maximum: int) -> list[str]:
    markets = list_param(req, "marketplaceIds", required="marketplaceIds is required.")
    return seller_markets(req, markets, maximum)


def _choice(req: SpRequest, name: str, allowed, default: str) -> str:
    value = req.one(name) or default
    if value not in allowed:
        raise invalid_input(f"Invalid {name}: {value}.", f"Valid values: {', '.join(allowed)}.")
    return value


@route(
    "GET",
    PRODUCT_TYPES,
    operation="searchDefinitionsProductTypes",
    model=MODEL,
    rate="5",
    burst=10,
)
def search_definitions_product_types(req: SpRequest) -> dict:
    markets = _markets(req, 50)
    keywords, item_name = req.many("keywords"), req.one("itemName")
    if keywords and item_name:
        raise invalid_input("keywords and itemName cannot be used together.")
    with req.state.store.tx() as db:
        version = pt.list_version(db)
    return {
        "productTypes": [
            {"name": name, "displayName": pt.display_name(name), "marketplaceIds": markets}
            for name in pt.search(keywords, item_name)
        ],
        "productTypeVersion": version,
    }


@route(
    "GET",
    f"{PRODUCT_TYPES}/{{productType}}",
    operation="getDefinitionsProductType",
    model=MODEL,
    rate="5",
    burst=10,
)
def get_definitions_product_type(req: SpRequest) -> dict:
    name = req.path_params["productType"]
    markets = _markets(req, 1)
    requirements = _choice(req, "requirements", pt.REQUIREMENTS, "LISTING")
    enforced = _choice(req, "requirementsEnforced", pt.ENFORCEMENTS, "ENFORCED")
    locale = _choice(req, "locale", LOCALES, "DEFAULT")
    _choice(req, "parentageLevel", ("NONE", "CHILD", "PARENT"), "NONE")  # not simplified
    if not pt.known(name):
        raise SpError(404, "NotFound", f"The product type {name} was not found.")
    with req.state.store.tx() as db:
        version = pt.version(db, name)
    asked = req.one("productTypeVersion") or "LATEST"
    if asked not in ("LATEST", "RELEASE_CANDIDATE", version):
        raise invalid_input(
            f"Invalid productTypeVersion: {asked}.",
            f"Use LATEST, RELEASE_CANDIDATE (none is published: LATEST is given) or {version}.",
        )
    schema, data = pt.served(name, version, requirements, enforced)
    base = req.base_url()
    link = (
        f"{base}{SCHEMA_PATH}{name}?version={quote(version, safe='')}"
        f"&requirements={requirements}&requirementsEnforced={enforced}"
    )
    return {
        "metaSchema": {
            "link": {"resource": f"{base}{META_SCHEMA_PATH}", "verb": "GET"},
            "checksum": pt.checksum(pt.meta_schema_bytes()),
        },
        "schema": {"link": {"resource": link, "verb": "GET"}, "checksum": pt.checksum(data)},
        "requirements": requirements,
        "requirementsEnforced": enforced,
        "propertyGroups": pt.property_groups(schema),
        "locale": MARKETPLACES.get(markets[0], ("", "", "", "en_US"))[3]
        if locale == "DEFAULT"
        else locale,
        "marketplaceIds": markets,
        "productType": name,
        "displayName": pt.display_name(name),
        "productTypeVersion": {"version": version, "latest": True, "releaseCandidate": False},
    }


def handle_schema_url(state, method: str, path: str, query: str, request_id: str) -> Response:
    """GET (or HEAD) of a schema link: the meta-schema, or a product type schema at its current
    version; anything else answers like S3 (404 NoSuchKey, 405)."""
    if method not in ("GET", "HEAD"):
        return method_not_allowed(method, request_id)
    data = None
    if path == META_SCHEMA_PATH:
        data = pt.meta_schema_bytes()
    elif path.startswith(SCHEMA_PATH):
        name = path[len(SCHEMA_PATH) :]
        params = dict(parse_qsl(query))
        requirements = params.get("requirements", "LISTING")
        enforced = params.get("requirementsEnforced", "ENFORCED")
        if pt.known(name) and requirements in pt.REQUIREMENTS and enforced in pt.ENFORCEMENTS:
            with state.store.tx() as db:
                current = pt.version(db, name)
            if params.get("version") == current:
                data = pt.served(name, current, requirements, enforced)[1]
    if data is None:
        return _s3_error(
            404, "NoSuchKey", "The specified key does not exist.", request_id, Key=path[1:]
        )
    return Response(data, 200, "application/json", {"ETag": f'"{hashlib.md5(data).hexdigest()}"'})
