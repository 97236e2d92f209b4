"""Benchmark: a 100,000-SKU inventory feed, our builder against bare lxml (or bare json).

    python bench/bench_feeds.py [--api mws|spapi] [--skus 100000] [--repeat 5] [--no-validate]

``--api spapi``: the same stock for 100,000 SKUs as JSON_LISTINGS_FEED documents (Amazon
takes 25,000 messages a feed: four documents). Both variants start from the same rows, inside
the clock. ``builder``: as the connector builds a feed, one feed's messages at a time: each
row's ``ListingValues``, ``FeedMessage.for_patch`` (the value checks, the
``fulfillment_availability`` patch) and ``build_feed`` (SKU checks, message ids, one
marketplace); ``bare``: the least code that writes the same documents (dicts, ``json.dumps``).
The documents are checked against Amazon's listings-feed-schema-v2 (jsonschema) when
../shared/amazon/sp-api is found.

Each build runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own:

* ``builder``: ``feeds.build_feed("Inventory", ...)`` on prepared ``InventoryMessage``s
  (value checks, MessageID map, incremental ``etree.xmlfile`` writing);
* ``bare``: the least code that builds the same tree with ``etree.SubElement`` and calls
  ``etree.tostring``: no checks, whole tree in memory.

Both produce byte-identical XML (checked). The variants alternate over ``--repeat`` rounds
(a busy neighbour on a shared machine then slows both alike); times are each variant's best
wall-clock and CPU time of the build alone (inputs are prepared before the clock starts).
Memory: the process peak RSS, its growth over the RSS before building, and the tracemalloc
peak of one extra run (tracemalloc sees Python allocations only, not libxml2's). Finally
the builder's document is validated against amzn-envelope.xsd if the XSDs are found
($AMAZON_XSD_DIR or ../shared/amazon/xsd beside the repository), with schema loading,
parsing and validation timed apart. Exit status 1 if the outputs differ or are invalid.
"""

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
import tracemalloc
import types
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5
PEAK_GOAL_MB = 100


def _import_feeds():
    """Import the pure lib without Odoo, as tests/conftest.py does."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if "amazon_integration" not in sys.modules:
        package = types.ModuleType("amazon_integration")
        package.__path__ = [str(ROOT / "amazon_integration")]
        sys.modules["amazon_integration"] = package
    from amazon_integration.lib import feeds

    return feeds


def _rows(count):
    """(sku, quantity, latency) rows: some negative stock, every latency 1..30."""
    return [(f"SKU-{n:06d}", (n * 7919) % 250 - 5, 1 + n % 30) for n in range(count)]


def _build_bare(rows, merchant):
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(
        "AmazonEnvelope",
        {f"{{{xsi}}}noNamespaceSchemaLocation": "amzn-envelope.xsd"},
        nsmap={"xsi": xsi},
    )
    sub = etree.SubElement
    header = sub(root, "Header")
    sub(header, "DocumentVersion").text = "1.01"
    sub(header, "MerchantIdentifier").text = merchant
    sub(root, "MessageType").text = "Inventory"
    for message_id, (sku, quantity, latency) in enumerate(rows, 1):
        message = sub(root, "Message")
        sub(message, "MessageID").text = str(message_id)
        sub(message, "OperationType").text = "Update"
        inventory = sub(message, "Inventory")
        sub(inventory, "SKU").text = sku
        sub(inventory, "Quantity").text = str(max(quantity, 0))
        sub(inventory, "FulfillmentLatency").text = str(latency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


MARKETPLACE = "ATVPDKIKX0DER"


def _bare_json(rows, seller, size):
    documents = []
    for start in range(0, len(rows), size):
        messages = [
            {
                "messageId": n,
                "sku": sku,
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [
                            {
                                "fulfillment_channel_code": "DEFAULT",
                                "quantity": max(quantity, 0),
                                "lead_time_to_ship_max_days": latency,
                            }
                        ],
                    }
                ],
            }
            for n, (sku, quantity, latency) in enumerate(rows[start : start + size], 1)
        ]
        document = {
            "header": {"sellerId": seller, "version": "2.0", "issueLocale": "en_US"},
            "messages": messages,
        }
        documents.append(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
    return documents


def _prepare_json(variant, count):
    rows = _rows(count)
    _import_feeds()
    from amazon_integration.lib import listings_json

    size = listings_json.MAX_MESSAGES
    if variant == "bare":
        return lambda: _bare_json(rows, "MERCHANT123", size)
    values_of, message_of = listings_json.ListingValues, listings_json.FeedMessage.for_patch

    def build():
        # as the connector builds a feed: one feed's messages at a time, from the values
        documents = []
        for start in range(0, len(rows), size):
            messages = [
                message_of(
                    values_of(
                        sku, "PRODUCT", MARKETPLACE, "en_US", quantity=quantity, lead_time_days=days
                    ),
                    "stock",
                )
                for sku, quantity, days in rows[start : start + size]
            ]
            documents.append(
                listings_json.build_feed("MERCHANT123", messages, marketplace_id=MARKETPLACE)
            )
        assert len(documents) == -(-count // size)
        return documents

    return build


def _prepare(variant, count, api="mws"):
    if api == "spapi":
        return _prepare_json(variant, count)
    rows = _rows(count)
    if variant == "bare":
        return lambda: _build_bare(rows, "MERCHANT123")
    feeds = _import_feeds()
    messages = [
        feeds.InventoryMessage(n, sku, quantity, fulfillment_latency=latency)
        for n, (sku, quantity, latency) in enumerate(rows)
    ]

    def build():
        document = feeds.build_feed("Inventory", "MERCHANT123", messages)
        assert len(document.message_map) == count
        return document.xml

    return build


def _rss_kib():
    """Current resident set size (Linux), in KiB; falls back to the peak elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(variant, count, trace, api="mws"):
    """Build once with one variant; print its measures as JSON."""
    build = _prepare(variant, count, api)
    rss_before = _rss_kib()
    if trace:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    output = build()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    # one XML document (MWS), or one JSON document per 25,000 messages (SP-API)
    documents = output if isinstance(output, list) else [output]
    digest = hashlib.sha256()
    for document in documents:
        digest.update(document)
    print(
        json.dumps(
            {
                "variant": variant,
                "wall": wall,
                "cpu": cpu,
                "bytes": sum(len(document) for document in documents),
                "sha256": digest.hexdigest(),
                "rss_before_kib": rss_before,
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "traced_peak": traced_peak,
            }
        )
    )


def _run_child(variant, count, trace=False, api="mws"):
    command = [sys.executable, __file__, "--child", variant, "--skus", str(count), "--api", api]
    if trace:
        command.append("--trace")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _measure(count, rounds, api="mws"):
    """Alternate the variants over ``rounds`` fresh processes each, so that a busy
    neighbour on a shared machine hits both alike; keep each variant's best times."""
    runs = {"bare": [], "builder": []}
    for round_number in range(rounds):
        order = ("bare", "builder") if round_number % 2 == 0 else ("builder", "bare")
        for variant in order:
            runs[variant].append(_run_child(variant, count, api=api))
    results = {}
    for variant, measures in runs.items():
        traced = _run_child(variant, count, trace=True, api=api)
        results[variant] = {
            "wall": min(m["wall"] for m in measures),
            "cpu": min(m["cpu"] for m in measures),
            "bytes": measures[0]["bytes"],
            "sha256": {m["sha256"] for m in measures},
            "rss_growth_kib": max(m["peak_rss_kib"] - m["rss_before_kib"] for m in measures),
            "peak_rss_kib": max(m["peak_rss_kib"] for m in measures),
            "traced_peak": traced["traced_peak"],
        }
    return results


def _validate(count, xsd_dir):
    path = xsd_dir / "amzn-envelope.xsd"
    if not path.exists():
        return None
    build = _prepare("builder", count)
    xml = build()
    started = time.perf_counter()
    schema = etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))
    loaded = time.perf_counter()
    document = etree.fromstring(xml, etree.XMLParser(huge_tree=True))
    parsed = time.perf_counter()
    valid = schema.validate(document)
    validated = time.perf_counter()
    return {
        "schema_load": loaded - started,
        "parse": parsed - loaded,
        "validate": validated - parsed,
        "valid": valid,
        "error": None if valid else str(schema.error_log.last_error),
    }


def _validate_json(count, spapi_dir):
    """Each document against Amazon's listings-feed-schema-v2, or None without it."""
    path = spapi_dir / "schemas" / "feeds" / "listings-feed-schema-v2.json"
    if not path.exists():
        return None
    import jsonschema

    started = time.perf_counter()
    validator = jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))
    documents = _prepare("builder", count, "spapi")()
    errors = [
        error.message
        for document in documents
        for error in validator.iter_errors(json.loads(document))
    ]
    return {
        "documents": len(documents),
        "seconds": time.perf_counter() - started,
        "valid": not errors,
        "error": errors[0] if errors else None,
    }


def child_main(argv):
    """``--child VARIANT --skus N [--trace]``: one build, in the fresh process _run_child made."""
    parser = argparse.ArgumentParser(prog="bench_feeds.py --child")
    parser.add_argument("variant", choices=("builder", "bare"))
    parser.add_argument("--skus", type=int, required=True)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--api", choices=("mws", "spapi"), default="mws")
    args = parser.parse_args(argv)
    child(args.variant, args.skus, args.trace, args.api)
    return 0


def main(argv=None):
    # here, not at the top: a child measures its own memory, so it imports only what it builds
    import _harness

    parser = _harness.parser(__doc__)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of fresh processes")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--api", choices=("mws", "spapi"), default="mws")
    args = parser.parse_args(argv)

    results = _measure(args.skus, args.repeat, args.api)
    bare, builder = results["bare"], results["builder"]
    what = "JSON_LISTINGS_FEED stock patches" if args.api == "spapi" else "Inventory feed"
    print(
        f"{what}, {args.skus:,} SKUs, best of {args.repeat} alternated runs "
        f"(Python {sys.version.split()[0]}, lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))})"
    )
    print(
        f"{'variant':<9} {'wall s':>7} {'CPU s':>7} {'MB out':>7} {'peak RSS MB':>12} "
        f"{'RSS growth MB':>14} {'tracemalloc MB':>15}"
    )
    for name in ("bare", "builder"):
        r = results[name]
        growth = r["rss_growth_kib"] / 1024
        print(
            f"{name:<9} {r['wall']:>7.3f} {r['cpu']:>7.3f} {r['bytes'] / 1e6:>7.2f} "
            f"{r['peak_rss_kib'] / 1024:>12.1f} {growth:>14.1f} "
            f"{r['traced_peak'] / 2**20:>15.1f}"
        )
    same = len(bare["sha256"] | builder["sha256"]) == 1
    print(f"identical output: {'yes' if same else 'NO'}")
    for clock in ("wall", "cpu"):
        ratio = builder[clock] / bare[clock]
        verdict = "ok" if ratio <= GOAL else "over goal"
        print(f"time ratio builder/bare ({clock}): {ratio:.2f} (goal <= {GOAL}: {verdict})")
    status = 0 if same else 1
    peak_mb = builder["peak_rss_kib"] / 1024
    print(
        f"builder peak RSS {peak_mb:.1f} MB (goal <= {PEAK_GOAL_MB} MB: "
        f"{'ok' if peak_mb <= PEAK_GOAL_MB else 'over goal'})"
    )
    if args.api == "spapi":
        if not args.no_validate:
            validation = _validate_json(args.skus, _harness.SPAPI_DIR)
            if validation is None:
                print(
                    f"schema validation skipped: no listings-feed-schema-v2 in {_harness.SPAPI_DIR}"
                )
            else:
                print(
                    f"listings-feed-schema-v2: {validation['documents']} documents checked in "
                    f"{validation['seconds']:.1f} s: "
                    f"{'valid' if validation['valid'] else 'INVALID ' + validation['error']}"
                )
                status = status or (0 if validation["valid"] else 1)
        return status
    if not args.no_validate:
        validation = _validate(args.skus, _harness.XSD_DIR)
        if validation is None:
            print(f"XSD validation skipped: no amzn-envelope.xsd in {_harness.XSD_DIR}")
        else:
            print(
                f"XSD: schema load {validation['schema_load']:.2f} s, parse "
                f"{validation['parse']:.2f} s, validate {validation['validate']:.2f} s: "
                f"{'valid' if validation['valid'] else 'INVALID ' + validation['error']}"
            )
            status = status or (0 if validation["valid"] else 1)
    return status


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child_main(sys.argv[2:]))
    sys.exit(main())
