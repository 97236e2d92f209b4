"""Benchmark of the Amazon MWS sandbox (run: python bench/bench_sandbox.py).

1. ListOrders pages per second with --no-throttle, after ~2,000 orders were created through
   the admin interface.
2. SubmitFeed + processing (until _DONE_ and the result fetched) of a 10,000-message inventory
   feed for 10,000 catalog SKUs (created by a product feed first), without and with --xsd-dir.
Feeds are processed lazily on the next call after their due sandbox time, so the clock is
advanced through the admin interface: the time measured is the sandbox's own work. The
sandboxes run in temporary data directories (bench/_harness.py), removed at the end.
"""

from __future__ import annotations

import sys
import time

import _harness
import mws
import requests

XSD_DIR = _harness.XSD_DIR
SELLER, KEY, SECRET = "A2DEMOSELLER01", "DEMOACCESSKEY", "DEMOSECRETKEY"
ORDERS, SKUS = 2000, 10_000


def envelope(message_type: str, messages) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd"><Header><DocumentVersion>1.01'
        f"</DocumentVersion><MerchantIdentifier>{SELLER}</MerchantIdentifier></Header>"
        f"<MessageType>{message_type}</MessageType>"
    ]
    for i, body in enumerate(messages, 1):
        parts.append(f"<Message><MessageID>{i}</MessageID>{body}</Message>")
    parts.append("</AmazonEnvelope>")
    return "".join(parts).encode()


def product_feed() -> bytes:
    return envelope(
        "Product",
        (
            f"<OperationType>Update</OperationType><Product><SKU>BENCH-{n:05d}</SKU>"
            f"<StandardProductID><Type>UPC</Type><Value>{700000000000 + n:012d}</Value>"
            f"</StandardProductID><DescriptionData><Title>Bench item {n}</Title><Brand>Bench"
            "</Brand></DescriptionData></Product>"
            for n in range(SKUS)
        ),
    )


def inventory_feed() -> bytes:
    return envelope(
        "Inventory",
        (
            f"<OperationType>Update</OperationType><Inventory><SKU>BENCH-{n:05d}</SKU>"
            f"<Quantity>{n % 50}</Quantity><FulfillmentLatency>2</FulfillmentLatency></Inventory>"
            for n in range(SKUS)
        ),
    )


def run_feed(url: str, feeds: mws.Feeds, body: bytes, feed_type: str) -> tuple[float, str]:
    """Seconds from SubmitFeed to the fetched result, and the result's summary."""
    started = time.perf_counter()
    feed_id = feeds.submit_feed(body, feed_type).parsed["FeedSubmissionInfo"]["FeedSubmissionId"]
    requests.post(url + "/admin/clock/advance", json={"seconds": 600}, timeout=600)
    result = feeds.get_feed_submission_result(feed_id)
    elapsed = time.perf_counter() - started
    summary = result.parsed["ProcessingReport"]["ProcessingSummary"]
    return elapsed, f"{summary['MessagesSuccessful']}/{summary['MessagesProcessed']} ok"


def bench_pages(url: str) -> tuple[str, float, str]:
    made = requests.post(
        f"{url}/admin/sellers/{SELLER}/orders", json={"count": ORDERS, "seed": 1}, timeout=600
    ).json()
    requests.post(url + "/admin/clock/advance", json={"seconds": 600}, timeout=60)
    client = mws.Orders(KEY, SECRET, SELLER, domain=url)
    pages, started = 0, time.perf_counter()
    for _ in range(3):
        resp = client.list_orders(
            marketplaceids=["ATVPDKIKX0DER"],
            created_after="2000-01-01T00:00:00Z",
            max_results="100",
        )
        pages += 1
        token = resp.parsed.get("NextToken")
        while token:
            resp = client.list_orders(next_token=token)
            pages += 1
            token = resp.parsed.get("NextToken")
    elapsed = time.perf_counter() - started
    return (
        "ListOrders pages/s (100 orders/page)",
        pages / elapsed,
        f"{made['created']} orders, {pages} pages",
    )


def bench_feeds(xsd: bool) -> list[tuple[str, float, str]]:
    args = ["--no-throttle"] + (["--xsd-dir", str(XSD_DIR)] if xsd else [])
    with _harness.sandbox(*args) as box:
        url = box.url
        feeds = mws.Feeds(KEY, SECRET, SELLER, domain=url)
        label = "with --xsd-dir" if xsd else "no XSD"
        product_s, product_note = run_feed(url, feeds, product_feed(), "_POST_PRODUCT_DATA_")
        inv_s, inv_note = run_feed(
            url, feeds, inventory_feed(), "_POST_INVENTORY_AVAILABILITY_DATA_"
        )
        return [
            (f"10,000-message product feed, s ({label})", product_s, product_note),
            (f"10,000-message inventory feed, s ({label})", inv_s, inv_note),
        ]


def main(argv=None) -> int:
    _harness.parser(__doc__).parse_args(argv)  # no options: --help
    rows = []
    with _harness.sandbox("--no-throttle", seed=1) as box:
        rows.append(bench_pages(box.url))
        throttled = box.admin("GET", "/admin/throttle")["throttled_total"]
        rows.append(("throttled answers during the run", throttled, "must be 0"))
    rows += bench_feeds(xsd=False)
    if (XSD_DIR / "amzn-envelope.xsd").exists():
        rows += bench_feeds(xsd=True)
    else:
        rows.append(("feeds with --xsd-dir", float("nan"), f"no XSDs at {XSD_DIR}"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':>9}  note")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:9.2f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
