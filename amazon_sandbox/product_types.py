"""Amazon's product type definitions as the sandbox knows them, and the validation of listing
attributes against them (the Listings Items API and JSON_LISTINGS_FEED use it).

- `product_types/<NAME>.json`: a product type's schema, written after Amazon's meta-schema
  (JSON Schema draft 2019-09 plus Amazon's vocabulary: `selectors`, `maxUniqueItems`,
  `minUniqueItems`, `maxUtf8ByteLength`, `editable`, `hidden`, `enumNames`);
  `product_types/meta-schema.json`: that meta-schema; `product_types/index.json`: display
  names, search keywords and property groups.
- The served schema is a *variant* of the file for a requirements set (LISTING, or without the
  sales terms for LISTING_PRODUCT_ONLY, or only them and the product identifiers for
  LISTING_OFFER_ONLY) and `requirementsEnforced` (NOT_ENFORCED: no `required` at the top nor in
  the conditional rules). Its `$comment` names the version, so a new version has a new checksum.
- Versions live in the store (`product_type_versions`); the default one is derived from the
  file's bytes; the admin sets another (`set_version`) to simulate Amazon publishing a new one.
- Validation: `jsonschema`'s Draft 2019-09 validator extended with the keywords Amazon's own
  example validator implements (`maxUniqueItems` counted per combination of `selectors`
  values, `maxUtf8ByteLength`, `minUtf8ByteLength`); the informational keywords are ignored.
  `date-time` and `date` formats are checked. Errors become Amazon issues (`issues_of`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import sqlite3
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import jsonschema
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from . import registry
from .clock import iso, parse_iso

DIR = Path(__file__).with_name("product_types")
REQUIREMENTS = ("LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY")
ENFORCEMENTS = ("ENFORCED", "NOT_ENFORCED")
#: Amazon's issue codes the sandbox uses (README.md, "Listings Items API")
MISSING, INVALID_VALUE, NOT_IN_TYPE, UNKNOWN_TYPE = "90220", "4000001", "4000002", "4000003"

SCHEMA = """
CREATE TABLE IF NOT EXISTS product_type_versions (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    changed TEXT NOT NULL             -- sandbox time of the change
);
"""


@registry.on_startup
def _startup(state) -> None:
    state.store.ensure_schema(SCHEMA)


# ---- the files ----------------------------------------------------------------------------


@functools.cache
def index() -> dict:
    return json.loads((DIR / "index.json").read_text(encoding="utf-8"))


@functools.cache
def file_bytes(name: str) -> bytes:
    return (DIR / f"{name}.json").read_bytes()


def names() -> list[str]:
    return list(index()["product_types"])


def known(name) -> bool:
    return isinstance(name, str) and name in index()["product_types"]


def display_name(name: str) -> str:
    return index()["product_types"][name]["displayName"]


def offer_attributes() -> set[str]:
    """The sales terms (the property groups named in `offer_groups`)."""
    groups = index()["property_groups"]
    return {n for g in index()["offer_groups"] for n in groups[g]["propertyNames"]}


def search(keywords: list[str], item_name: str | None) -> list[str]:
    """Product type names for searchDefinitionsProductTypes: every one without a filter; with
    keywords, those whose name, display name or keywords contain one of them; with an item
    name, those with a keyword among its words, most matches first."""
    types = index()["product_types"]
    if item_name:
        words = {w.strip(".,;:!?()\"'").lower() for w in item_name.split()}
        hits = {n: len(words & set(t["keywords"])) for n, t in types.items()}
        return sorted((n for n, h in hits.items() if h), key=lambda n: (-hits[n], n))
    if not keywords:
        return list(types)
    wanted = [k.lower() for k in keywords]
    return [
        n
        for n, t in types.items()
        if any(
            k in n.lower() or k in t["displayName"].lower() or k in t["keywords"] for k in wanted
        )
    ]


# ---- versions -----------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    """A version identifier like Amazon's ("UHqSqmb4FNUk="): U + base64 of 8 digest bytes
    (URL-safe alphabet, as it travels in the schema link's query)."""
    return "U" + base64.urlsafe_b64encode(hashlib.md5(data).digest()[:8]).decode()


def version(db: sqlite3.Connection, name: str) -> str:
    row = db.execute("SELECT version FROM product_type_versions WHERE name = ?", (name,)).fetchone()
    return row[0] if row else _digest(file_bytes(name))


def versions(db: sqlite3.Connection) -> list[dict]:
    """Admin view: every product type with its version and when the admin last changed it."""
    rows = {r["name"]: r for r in db.execute("SELECT * FROM product_type_versions")}
    return [
        {
            "productType": n,
            "displayName": display_name(n),
            "version": version(db, n),
            "changed": rows[n]["changed"] if n in rows else None,
        }
        for n in names()
    ]


def set_version(db: sqlite3.Connection, name: str, new: str | None, now: datetime) -> dict:
    """Amazon publishes a new version of the product type: `new`, or one derived from the
    current version."""
    previous = version(db, name)
    new = new or _digest(previous.encode())
    if not new.replace("-", "").replace("_", "").replace("=", "").isalnum():
        raise ValueError("version must be letters, digits, '-', '_' or '='")
    db.execute(
        "INSERT INTO product_type_versions (name, version, changed) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET version = excluded.version, changed = excluded.changed",
        (name, new, iso(now)),
    )
    return {"productType": name, "version": new, "previous": previous}


def list_version(db: sqlite3.Connection) -> str:
    """searchDefinitionsProductTypes' productTypeVersion: changes with any product type's."""
    return _digest(" ".join(version(db, n) for n in names()).encode())


# ---- served schemas -----------------------------------------------------------------------


def _variant(name: str, version_: str, requirements: str, enforced: str) -> dict:
    schema = json.loads(file_bytes(name))
    offer = offer_attributes()
    props = schema["properties"]
    rules = schema.pop("allOf", [])
    otherwise = [n for rule in rules for n in rule.get("else", {}).get("required", [])]
    if requirements == "LISTING_OFFER_ONLY":
        keep = offer | set(index()["identity_attributes"])
        required = [n for n in schema["required"] + otherwise if n in offer]
        rules = []  # the variation rules are about product facts
    else:
        keep = set(props) - (offer if requirements == "LISTING_PRODUCT_ONLY" else set())
        required = [n for n in schema["required"] if n in keep]
        for rule in rules:
            for branch in ("then", "else"):
                if branch in rule:
                    rule[branch]["required"] = [n for n in rule[branch]["required"] if n in keep]
    schema["properties"] = {n: v for n, v in props.items() if n in keep}
    schema["required"] = list(dict.fromkeys(required))
    if enforced == "NOT_ENFORCED":
        del schema["required"]
        rules = []  # the rules only require attributes
    if rules:
        schema["allOf"] = rules
    schema["$comment"] = (
        f"Amazon product type definition for {name} product type (version {version_}; "
        f"requirements {requirements}, {enforced})"
    )
    return schema


@functools.lru_cache(maxsize=64)
def served(name: str, version_: str, requirements: str, enforced: str) -> tuple[dict, bytes]:
    """(the schema, the exact bytes the sandbox serves for it)."""
    schema = _variant(name, version_, requirements, enforced)
    return schema, (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode()


def meta_schema_bytes() -> bytes:
    return file_bytes("meta-schema")


def checksum(data: bytes) -> str:
    """Base64 MD5, as the model's SchemaLink.checksum."""
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def property_groups(schema: dict) -> dict:
    """The property groups, each with only the attributes the schema has (empty ones left out)."""
    out = {}
    for key, group in index()["property_groups"].items():
        present = [n for n in group["propertyNames"] if n in schema["properties"]]
        if present:
            out[key] = {**group, "propertyNames": present}
    return out


# ---- validation ---------------------------------------------------------------------------


def _max_unique_items(validator, limit, instance, schema):
    """Each combination of the `selectors` values (all properties without selectors) may
    occur at most `limit` times (Amazon's MaxUniqueItemsKeyword)."""
    if not validator.is_type(instance, "array"):
        return
    selectors = schema.get("selectors") or []
    counts = Counter(
        json.dumps(
            {k: v for k, v in item.items() if not selectors or k in selectors}, sort_keys=True
        )
        for item in instance
        if isinstance(item, dict)
    )
    for combination, count in counts.items():
        if count > limit:
            yield ValidationError(
                f"each combination of selector values may only occur {limit} time(s); "
                f"{combination} occurs {count} times"
            )


def _utf8_length(compare, word):
    def check(validator, limit, instance, schema):
        if validator.is_type(instance, "string") and compare(len(instance.encode()), limit):
            yield ValidationError(f"{instance!r} is {word} {limit} bytes in UTF-8")

    return check


AmazonValidator = jsonschema.validators.extend(
    Draft201909Validator,
    {
        "maxUniqueItems": _max_unique_items,
        "maxUtf8ByteLength": _utf8_length(lambda n, limit: n > limit, "longer than"),
        "minUtf8ByteLength": _utf8_length(lambda n, limit: n < limit, "shorter than"),
    },
)
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if isinstance(value, str):
        if "T" not in value.upper():
            raise ValueError("a date-time needs a time")
        parse_iso(value)
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(value) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


@functools.lru_cache(maxsize=64)
def validator(name: str, version_: str, requirements: str, enforced: str):
    return AmazonValidator(
        served(name, version_, requirements, enforced)[0], format_checker=FORMATS
    )


def issue(code, message, severity="ERROR", attribute=None, category=None) -> dict:
    """One issue as the Listings Items API gives it."""
    out = {"code": code, "message": message, "severity": severity}
    if attribute:
        out["attributeNames"] = [attribute]
    out["categories"] = [category] if category else []
    return out


def unknown_type_issue(name) -> dict:
    return issue(
        UNKNOWN_TYPE,
        f"The product type '{name}' is not valid or not supported. The sandbox knows "
        f"{', '.join(names())}.",
        category="INVALID_ATTRIBUTE",
    )


def issues_of(errors) -> list[dict]:
    """jsonschema errors as Amazon issues: 90220 for a missing required attribute (or a
    missing part of one), 4000001 for an invalid value; attributeNames = the top attribute."""
    out: list[dict] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        path = [p for p in error.absolute_path if isinstance(p, str)]
        if error.validator == "required":
            present = error.instance if isinstance(error.instance, dict) else {}
            for name in error.validator_value:
                if name not in present:
                    dotted = ".".join([*path, name])
                    out.append(
                        issue(
                            MISSING,
                            f"'{dotted}' is required but not supplied.",
                            attribute=path[0] if path else name,
                            category="MISSING_ATTRIBUTE",
                        )
                    )
        else:
            dotted = ".".join(path) or "attributes"
            out.append(
                issue(
                    INVALID_VALUE,
                    f"The provided value for '{dotted}' is invalid: {error.message}.",
                    attribute=path[0] if path else None,
                    category="INVALID_ATTRIBUTE",
                )
            )
    unique = {json.dumps(i, sort_keys=True): i for i in out}
    return list(unique.values())


def validate(
    db: sqlite3.Connection, name: str, requirements: str, enforced: str, attributes: dict
) -> list[dict]:
    """The issues of `attributes` against the product type's current version."""
    checker = validator(name, version(db, name), requirements, enforced)
    return issues_of(checker.iter_errors(attributes))
