"""SP-API face: the Product Type Definitions API 2020-09-01 (searchDefinitionsProductTypes,
getDefinitionsProductType) over real HTTP, the schema links the sandbox serves without a token,
the admin's version change, and the product type files themselves (valid JSON Schema 2019-09,
valid against the meta-schema, with Amazon's keywords validated). Every JSON answer is
validated against Amazon's model (`spapi_check`)."""

from __future__ import annotations

import base64
import hashlib
import json

import jsonschema
import pytest
import requests
from conftest import US, SpClient, listing_attributes

from amazon_sandbox import product_types

MODEL = "definitionsProductTypes_2020-09-01.json"
TYPES = "/definitions/2020-09-01/productTypes"
NAMES = ("PRODUCT", "HOME_BED_AND_BATH", "SHIRT")
META_SCHEMA_ID = (
    "https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1"
)


@pytest.fixture(scope="module")
def box(sandbox, tmp_path_factory):
    """A private server (the version change is server-wide), without throttling."""
    server = type(sandbox)(tmp_path_factory.mktemp("definitions"), ["--no-throttle"])
    yield server
    server.stop()


class Client(SpClient):
    model = MODEL

    def search(self, status=200, **params):
        params = {"marketplaceIds": US, **params}
        return self.call("searchDefinitionsProductTypes", TYPES, params=params, status=status)

    def definition(self, name, status=200, **params):
        params = {"marketplaceIds": US, **params}
        return self.call(
            "getDefinitionsProductType", f"{TYPES}/{name}", params=params, status=status
        )


def fetch(link: dict) -> bytes:
    """GET a schema link, without an access token."""
    assert link["link"]["verb"] == "GET"
    resp = requests.get(link["link"]["resource"], timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    assert base64.b64encode(hashlib.md5(resp.content).digest()).decode() == link["checksum"]
    return resp.content


# ---- the files ------------------------------------------------------------------------------


def test_product_type_files_are_valid_json_schema():
    meta = json.loads(product_types.meta_schema_bytes())
    jsonschema.Draft201909Validator.check_schema(meta)
    assert meta["$id"] == META_SCHEMA_ID
    against_meta = jsonschema.Draft201909Validator(meta)
    grouped = {
        n for g in product_types.index()["property_groups"].values() for n in g["propertyNames"]
    }
    assert product_types.names() == list(NAMES)
    for name in NAMES:
        schema = json.loads(product_types.file_bytes(name))
        jsonschema.Draft201909Validator.check_schema(schema)
        assert not list(against_meta.iter_errors(schema)), name
        assert schema["$schema"] == META_SCHEMA_ID
        assert schema["$id"].endswith(f"/product-types/schema/v1/{name}")
        assert set(schema["properties"]) <= grouped, name
        for attribute in schema["properties"].values():  # Amazon's shape: arrays of objects
            assert attribute["type"] == "array" and attribute["items"]["type"] == "object"
        for requirements in product_types.REQUIREMENTS:
            for enforced in product_types.ENFORCEMENTS:
                variant = product_types.served(name, "U1", requirements, enforced)[0]
                jsonschema.Draft201909Validator.check_schema(variant)
                assert not list(against_meta.iter_errors(variant))
    # the meta-schema checks Amazon's keywords, also deep inside
    broken = json.loads(product_types.file_bytes("SHIRT"))
    broken["properties"]["item_name"]["items"]["properties"]["value"]["maxUtf8ByteLength"] = "x"
    assert list(against_meta.iter_errors(broken))


def test_amazon_keywords_are_validated():
    schema = {
        "type": "object",
        "properties": {
            "item_name": {
                "type": "array",
                "maxUniqueItems": 1,
                "selectors": ["marketplace_id", "language_tag"],
                "items": {
                    "type": "object",
                    "properties": {"value": {"type": "string", "maxUtf8ByteLength": 4}},
                },
            }
        },
    }
    check = product_types.AmazonValidator(schema)
    one = {"marketplace_id": US, "language_tag": "en_US", "value": "ab"}
    assert check.is_valid({"item_name": [one, {**one, "language_tag": "es_US"}]})
    errors = list(check.iter_errors({"item_name": [one, {**one, "value": "cd"}]}))
    assert [e.validator for e in errors] == ["maxUniqueItems"]
    errors = list(check.iter_errors({"item_name": [{**one, "value": "été"}]}))  # 5 bytes
    assert [e.validator for e in errors] == ["maxUtf8ByteLength"]


# ---- searchDefinitionsProductTypes ---------------------------------------------------------


def test_search(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    everything = client.search()
    assert [t["name"] for t in everything["productTypes"]] == list(NAMES)
    assert everything["productTypes"][2] == {
        "name": "SHIRT",
        "displayName": "Shirt",
        "marketplaceIds": [US],
    }
    assert everything["productTypeVersion"].startswith("U")
    assert [t["name"] for t in client.search(keywords="towel,blanket")["productTypes"]] == [
        "HOME_BED_AND_BATH"
    ]
    assert [t["name"] for t in client.search(keywords="SHIRT")["productTypes"]] == ["SHIRT"]
    found = client.search(itemName="Men's cotton polo shirt, navy")["productTypes"]
    assert [t["name"] for t in found] == ["SHIRT"]
    assert client.search(itemName="Quantum flux capacitor")["productTypes"] == []
    for params, word in (
        ({"keywords": "shirt", "itemName": "A shirt"}, "together"),
        ({"marketplaceIds": "A1PA6795UKMFR9"}, "marketplaceId"),
        ({"marketplaceIds": ""}, "marketplaceIds"),
    ):
        error = client.search(status=400, **params)["errors"][0]
        assert error["code"] == "InvalidInput" and word in error["message"]


# ---- getDefinitionsProductType ------------------------------------------------------------


def test_definition_and_its_schema_links(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    definition = client.definition("SHIRT")
    version = definition["productTypeVersion"]["version"]
    assert definition["productTypeVersion"] == {
        "version": version,
        "latest": True,
        "releaseCandidate": False,
    }
    assert {k: definition[k] for k in ("productType", "displayName", "locale")} == {
        "productType": "SHIRT",
        "displayName": "Shirt",
        "locale": "en_US",
    }
    assert (definition["requirements"], definition["requirementsEnforced"]) == (
        "LISTING",
        "ENFORCED",
    )
    assert definition["marketplaceIds"] == [US]
    groups = definition["propertyGroups"]
    assert "swatch_product_image_locator" in groups["images"]["propertyNames"]
    assert groups["variations"]["propertyNames"] == [
        "parentage_level",
        "child_parent_sku_relationship",
        "variation_theme",
    ]
    schema = json.loads(fetch(definition["schema"]))
    meta = json.loads(fetch(definition["metaSchema"]))
    assert meta["$id"] == schema["$schema"] == META_SCHEMA_ID
    jsonschema.Draft201909Validator.check_schema(schema)
    assert version in schema["$comment"]
    assert set(schema["required"]) >= {"item_name", "brand", "bullet_point", "fabric_type"}
    assert schema["properties"]["condition_type"]["items"]["properties"]["value"]["enumNames"]
    # the served schema validates a listing as the sandbox does (a non-parent needs its offer)
    check = jsonschema.Draft201909Validator(schema)
    attributes = listing_attributes(fabric_type=[{"value": "Cotton", "language_tag": "en_US"}])
    assert check.is_valid(attributes)
    del attributes["purchasable_offer"]
    assert [e.message for e in check.iter_errors(attributes)] == [
        "'purchasable_offer' is a required property"
    ]
    # the links need no token, and another HTTP method is S3's 405
    assert requests.put(definition["schema"]["link"]["resource"], timeout=30).status_code == 405
    nope = requests.get(box.url + "/sp-schemas/product-types/LUGGAGE?version=U1", timeout=30)
    assert nope.status_code == 404 and b"NoSuchKey" in nope.content
    # the locale is echoed; the display names stay English
    assert client.definition("SHIRT", locale="fr_CA")["locale"] == "fr_CA"


@pytest.mark.parametrize(
    ("requirements", "enforced", "has", "has_not", "required"),
    [
        (
            "LISTING_OFFER_ONLY",
            "ENFORCED",
            {"purchasable_offer", "fulfillment_availability", "merchant_suggested_asin"},
            {"item_name", "bullet_point"},
            ["condition_type", "purchasable_offer"],
        ),
        (
            "LISTING_PRODUCT_ONLY",
            "ENFORCED",
            {"item_name", "externally_assigned_product_identifier"},
            {"purchasable_offer", "condition_type", "fulfillment_availability"},
            ["item_name", "brand", "externally_assigned_product_identifier", "bullet_point"],
        ),
        ("LISTING", "NOT_ENFORCED", {"item_name", "purchasable_offer"}, set(), None),
    ],
)
def test_requirement_sets(box, spapi_check, requirements, enforced, has, has_not, required):
    client = Client(box, box.new_seller(), spapi_check)
    definition = client.definition(
        "PRODUCT", requirements=requirements, requirementsEnforced=enforced
    )
    assert (definition["requirements"], definition["requirementsEnforced"]) == (
        requirements,
        enforced,
    )
    schema = json.loads(fetch(definition["schema"]))
    assert has <= set(schema["properties"]) and not has_not & set(schema["properties"])
    if required is None:
        assert "required" not in schema and "allOf" not in schema
    else:
        assert schema["required"][: len(required)] == required
    grouped = {n for g in definition["propertyGroups"].values() for n in g["propertyNames"]}
    assert grouped == set(schema["properties"])


def test_definition_refusals(box, spapi_check):
    client = Client(box, box.new_seller(marketplaces=(US, "A2EUQ1WTGCTBG2")), spapi_check)
    assert client.definition("LUGGAGE", status=404)["errors"][0]["code"] == "NotFound"
    for params, word in (
        ({"marketplaceIds": f"{US},A2EUQ1WTGCTBG2"}, "At most 1"),
        ({"requirements": "EVERYTHING"}, "requirements"),
        ({"requirementsEnforced": "SOMETIMES"}, "requirementsEnforced"),
        ({"locale": "xx_XX"}, "locale"),
        ({"productTypeVersion": "U0ld"}, "productTypeVersion"),
    ):
        error = client.definition("SHIRT", status=400, **params)["errors"][0]
        assert error["code"] == "InvalidInput" and word in error["message"], params
    # Canada's default language
    canada = client.definition("SHIRT", marketplaceIds="A2EUQ1WTGCTBG2")
    assert canada["locale"] == "en_CA" and canada["marketplaceIds"] == ["A2EUQ1WTGCTBG2"]


def test_amazon_publishes_a_new_version(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    before = client.definition("HOME_BED_AND_BATH")
    old_version = before["productTypeVersion"]["version"]
    listed = client.search()["productTypeVersion"]
    assert client.definition("HOME_BED_AND_BATH", productTypeVersion=old_version) == before
    assert client.definition("HOME_BED_AND_BATH", productTypeVersion="RELEASE_CANDIDATE") == before
    changed = box.admin("POST", "/admin/product-types/HOME_BED_AND_BATH/version", {})
    assert changed["previous"] == old_version and changed["version"] != old_version
    after = client.definition("HOME_BED_AND_BATH")
    assert after["productTypeVersion"]["version"] == changed["version"]
    assert after["schema"]["checksum"] != before["schema"]["checksum"]
    assert after["schema"]["link"] != before["schema"]["link"]
    assert changed["version"] in json.loads(fetch(after["schema"]))["$comment"]
    gone = requests.get(before["schema"]["link"]["resource"], timeout=30)
    assert gone.status_code == 404 and b"NoSuchKey" in gone.content
    assert client.search()["productTypeVersion"] != listed
    error = client.definition("HOME_BED_AND_BATH", status=400, productTypeVersion=old_version)
    assert error["errors"][0]["code"] == "InvalidInput"
    # the other product types keep theirs; the admin may name the version
    assert (
        client.definition("SHIRT")["schema"]["checksum"]
        == (client.definition("SHIRT")["schema"]["checksum"])
    )
    named = box.admin("POST", "/admin/product-types/SHIRT/version", {"version": "U2027-rc_1="})
    assert client.definition("SHIRT")["productTypeVersion"]["version"] == "U2027-rc_1="
    listing = {t["productType"]: t["version"] for t in box.admin("GET", "/admin/product-types")}
    assert listing["SHIRT"] == named["version"] == "U2027-rc_1="
    box.admin("POST", "/admin/product-types/LUGGAGE/version", {}, expect=404)
    box.admin("POST", "/admin/product-types/SHIRT/version", {"version": "a b"}, expect=400)
