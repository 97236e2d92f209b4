"""Benchmark P5: stock latency, from a stock change in Odoo to the sandbox's stock of the SKU.

    python bench/bench_p5_stock_latency.py [--scale 60] [--sandbox-hours 2] [--products 300]
        [--changes-per-minute 2] [--order-feed-minutes 5] [--interval-clock sandbox|real]
        [--template DB] [--keep-db]

Goal: at most 5 sandbox minutes from the commit of a stock change to the moment the
sandbox's catalog shows that quantity for the SKU, at DEFAULT settings (account interval
60 s, POLL_DELAY, ORDER_FEED_RESERVE), while stock keeps changing and orders keep shipping,
with zero throttled calls. For comparison: seed 001's integration sends stock hourly, common
multichannel tools every 15 minutes.

Set-up. One database (``b5p5_<pid>``) gets integrator_base + amazon_integration: copied from
``--template`` (a database with the dependencies installed, e.g. ``tmpl_deps``) when given,
else the dependencies are installed with the addons. The sandbox runs as a subprocess
(``amazon_sandbox.testing.Sandbox``) with ``--time-scale SCALE`` and ``--payment-hold-minutes
1``; a fresh seller gets an account with ``sandbox_time_scale = SCALE``, ``auto_sync`` and
every other setting at its default, and ``--products`` storable products (``amazon_sell``:
listings are created by the addon) with stock in the account's warehouse. The catalog then
goes out through the cron (product, inventory and price feeds) until the sandbox shows every
SKU with its quantity: only then does the measurement start.

Measurement, for ``--sandbox-hours`` of sandbox time. A driver loop ticks every
``60 / SCALE`` real seconds (the cron's 60 s interval on the sandbox clock: one real second
at scale 60). Each tick:

* stock changes: ``--changes-per-minute`` per sandbox minute (accumulated, so a slow tick
  does not lower the rate), each on a random product, each through
  ``stock.quant._update_available_quantity`` in its own committed transaction (so the capture
  writes its row). The new quantity is random and never one the SKU had before (no A-B-A
  ambiguity). Recorded: the sandbox time right after the commit and the expected quantity
  (``listing._amazon_quantities()`` read after the commit);
* orders keep shipping, through the connector itself (its cron imports orders, confirms
  them, acknowledges them and confirms shipments, all order feeds with ``reserve=0``): every
  ``--order-feed-minutes`` sandbox minutes the harness validates in Odoo every ready
  delivery of an imported Amazon order (``_action_done``: integrator_base captures the
  shipment and the connector sends the OrderFulfillment feed) and lets buyers place two new
  orders in the sandbox (admin API; the seller's SKUs, MFN; ``--payment-hold-minutes 1``).
  So SubmitFeed is shared as in production: acknowledgements and shipments against
  inventory feeds. An order's reservation changes the quantity Amazon must show: after
  every run of the account the harness reads every listing's quantity, and each one that
  moved without a stock change of ours is measured as a change too (source "order",
  committed at the start of that run: a slight overestimate);
* what the cron runs: ``env["amazon.account"]._cron_sync()`` in a fresh cursor (it commits
  itself outside tests). The account's ``sync_interval`` is respected; the addon scales it
  by the account's ``sandbox_time_scale`` (like POLL_DELAY and the quotas), so the default
  60 s is 60 sandbox seconds. ``--interval-clock real`` (default) leaves that to the addon;
  ``--interval-clock sandbox`` makes the harness move ``last_sync_at`` back by
  ``sync_interval x (1 - 1/SCALE)`` seconds after each run (SQL on its own account), for
  addon versions that did not scale the interval themselves;
* the sandbox's admin catalog is read once; a change is visible when the SKU's quantity
  equals the expected one, at the row's ``updated`` time (the sandbox stamps it with the
  feed's _DONE_ time, so the one-tick polling does not blur the figure). A later change of
  the same SKU supersedes an earlier one still invisible at its commit (the SKU is read once
  more just before): superseded changes are counted, not measured.

After the window, stock changes stop and the loop goes on (orders too) until every open
change is visible, or ``--drain-minutes`` sandbox minutes. Reported: number of changes,
latency p50/p90/p99/max in sandbox minutes, its parts (commit → account run, run →
SubmitFeed, SubmitFeed → _DONE_), account runs and their spacing, SubmitFeed calls per
sandbox hour by feed type (from the sandbox's feed list), the connector's quota waits, and
the sandbox's throttle counters for the seller (``GET /admin/throttle``): throttled must be 0.

Odoo 18 comes from ``$ODOO_PYTHON`` and PostgreSQL from ``PG*`` or a throwaway cluster
(tools/devenv.py). Without an Odoo 18 the benchmark is skipped (exit 0). The database and the
sandbox (data directory included) are removed at the end. The same file is the driver run
inside Odoo (``--driver``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import devenv  # noqa: E402

_run_odoo = devenv.run_odoo
_sql = devenv.sql

GOAL_MINUTES = 5.0
ADDONS = ("integrator_base", "amazon_integration")
SKU_PREFIX = "P5-"
ORDERS_PER_BATCH = 2

# ------------------------------------------------------------------------------------ driver
# Runs in the Odoo virtualenv (``--driver``): everything importing odoo stays in here.


def _log(message):
    print(f"[p5] {message}", file=sys.stderr, flush=True)


def _parse_iso(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _percentile(values, fraction):
    """Nearest-rank percentile (no interpolation: every figure is a measured change)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class QuotaWaits(logging.Handler):
    """Counts the connector's 'quota exhausted' notices (AmazonQuotaWait) by operation."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.counts = {}

    def emit(self, record):
        text = record.getMessage()
        if "quota exhausted" in text:
            operation = text.split(": ", 1)[-1].split(":", 1)[0].strip()
            self.counts[operation] = self.counts.get(operation, 0) + 1


class Harness:
    def __init__(self, args, registry):
        from amazon_sandbox.testing import Sandbox

        self.args = args
        self.registry = registry
        self.scale = args.scale
        self.rng = random.Random(args.seed)
        self._sandbox_dir = tempfile.TemporaryDirectory(prefix="p5-sandbox-")
        sandbox_args = ["--time-scale", str(args.scale), "--seed", str(args.seed)]
        sandbox_args += ["--payment-hold-minutes", "1"]
        self.box = Sandbox(Path(self._sandbox_dir.name), sandbox_args)
        self.creds = self.box.new_seller()
        self.seller = self.creds.seller_id
        self._anchor()
        self.account_id = None
        self.location_id = None
        self.products = {}  # sku -> product id
        self.listings = {}  # sku -> listing id
        self.history = {}  # sku -> quantities the SKU was ever expected to have
        self.open = {}  # sku -> the change being measured
        self.changes = []
        self.runs = []  # sandbox times of the account's runs
        self.expected = {}  # sku -> the quantity Amazon should show now
        self.measuring = False
        self.order_feeds = {"batches": 0, "created": 0, "pickings_done": 0}
        self.next_order_at = None
        self.cron_errors = 0
        self.waits = QuotaWaits()
        catalog_logger = logging.getLogger("odoo.addons.amazon_integration.models.amazon_catalog")
        catalog_logger.setLevel(logging.INFO)
        catalog_logger.addHandler(self.waits)

    # ---- clocks ------------------------------------------------------------------------
    def _anchor(self):
        before = time.time()
        clock = self.box.admin("GET", "/admin/clock")
        after = time.time()
        self._real0 = (before + after) / 2
        self._sbx0 = _parse_iso(clock["now"])

    def sbx(self, real=None):
        """Sandbox time (epoch seconds) at real time ``real`` (now by default)."""
        real = time.time() if real is None else real
        return self._sbx0 + (real - self._real0) * self.scale

    def sbx_clock(self):
        return _parse_iso(self.box.admin("GET", "/admin/clock")["now"])

    def stop(self):
        self.box.stop()
        self._sandbox_dir.cleanup()

    # ---- Odoo --------------------------------------------------------------------------
    def env(self, cr, user="admin"):
        from odoo import SUPERUSER_ID, api

        env = api.Environment(cr, SUPERUSER_ID, {"lang": "en_US", "tz": "UTC"})
        if user == "admin":
            env = api.Environment(cr, env.ref("base.user_admin").id, env.context)
        return env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))

    def setup(self):
        args = self.args
        with self.registry.cursor() as cr:
            env = self.env(cr)
            env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
            warehouse = env["stock.warehouse"].search([], limit=1)
            account = env["amazon.account"].create(
                {
                    "name": f"P5 {self.seller}",
                    "environment": "sandbox",
                    "sandbox_url": self.box.url,
                    "marketplace_id": env.ref("amazon_integration.marketplace_us").id,
                    "merchant_id": self.seller,
                    "access_key": self.creds.access_key,
                    "secret_key": self.creds.secret_key,
                    "warehouse_ids": [(6, 0, warehouse.ids)],
                    "sandbox_time_scale": self.scale,
                    "auto_sync": True,
                }
            )
            self.account_id = account.id
            self.location_id = warehouse.lot_stock_id.id
            categ = env["product.category"].create({"name": "P5 benchmark"})
            templates = env["product.template"].create(
                [
                    {
                        "name": f"P5 product {n:04d}",
                        "default_code": f"{SKU_PREFIX}{n:04d}",
                        "type": "consu",
                        "is_storable": True,
                        "list_price": 10.0 + n % 50,
                        "categ_id": categ.id,
                        "amazon_sell": True,
                    }
                    for n in range(args.products)
                ]
            )
            Quant = env["stock.quant"].sudo()
            location = warehouse.lot_stock_id
            for product in templates.product_variant_ids:
                Quant._update_available_quantity(product, location, self.rng.randint(5, 200))
            cr.commit()
            listings = env["amazon.listing"].search([("account_id", "=", account.id)])
            self.listings = {lst.seller_sku: lst.id for lst in listings}
            self.products = {lst.seller_sku: lst.product_id.id for lst in listings}
            quantities = listings._amazon_quantities()
            expected = {lst.seller_sku: int(quantities[lst.id]) for lst in listings}
        for sku, quantity in expected.items():
            self.history[sku] = {quantity}
        self.expected = dict(expected)
        if len(self.listings) != args.products:
            raise SystemExit(f"{len(self.listings)} listings instead of {args.products}")
        return expected

    def last_sync(self, cr):
        cr.execute("SELECT last_sync_at FROM amazon_account WHERE id = %s", (self.account_id,))
        return cr.fetchone()[0]

    def cron(self):
        """What the cron runs, in its own cursor; notes whether the account ran."""
        from odoo import SUPERUSER_ID, api

        started = self.sbx()
        with self.registry.cursor() as cr:
            before = self.last_sync(cr)
            try:
                api.Environment(cr, SUPERUSER_ID, {})["amazon.account"]._cron_sync()
                cr.commit()
            except Exception:
                cr.rollback()
                self.cron_errors += 1
                logging.getLogger(__name__).exception("cron failed")
                return
            after = self.last_sync(cr)
            ran = after and after != before
            if ran:
                self.runs.append(started)
                if self.args.interval_clock == "sandbox":
                    interval = api.Environment(cr, SUPERUSER_ID, {})["amazon.account"].browse(
                        self.account_id
                    )
                    shift = interval.sync_interval * (1 - 1 / self.scale)
                    cr.execute(
                        "UPDATE amazon_account SET last_sync_at = last_sync_at - "
                        "make_interval(secs => %s) WHERE id = %s",
                        (shift, self.account_id),
                    )
                    cr.commit()
        if ran:
            self.track_orders(started)

    # ---- sandbox -----------------------------------------------------------------------
    def catalog(self):
        rows = self.box.admin("GET", f"/admin/sellers/{self.seller}/catalog")
        return {row["sku"]: row for row in rows}

    def sku_row(self, sku):
        return self.box.admin("GET", f"/admin/sellers/{self.seller}/catalog/{sku}", expect=None)

    def check_visible(self, rows):
        for sku, change in list(self.open.items()):
            row = rows.get(sku)
            if row and row.get("quantity") == change["expected"]:
                self._visible(change, row)

    def _visible(self, change, row):
        updated = _parse_iso(row["updated"])
        change["visible_at"] = max(updated, change["committed_at"])
        change["stale_stamp"] = updated < change["committed_at"]
        change["latency"] = change["visible_at"] - change["committed_at"]
        self.open.pop(change["sku"], None)

    # ---- stock changes -----------------------------------------------------------------
    def change_stock(self):
        """A random product gets a new on-hand quantity (never one the SKU had)."""
        sku = self.rng.choice(sorted(self.products))
        while True:
            target = self.rng.randint(0, 400)
            if target not in self.history[sku]:
                break
        with self.registry.cursor() as cr:
            env = self.env(cr)
            product = env["product.product"].browse(self.products[sku])
            location = env["stock.location"].browse(self.location_id)
            listing = env["amazon.listing"].browse(self.listings[sku])
            current = int(listing._amazon_quantities()[listing.id])
            env["stock.quant"].sudo()._update_available_quantity(
                product, location, target - current
            )
            cr.commit()
            committed_at = self.sbx_clock()
            listing.invalidate_recordset()
            env["stock.quant"].invalidate_model()
            expected = int(listing._amazon_quantities()[listing.id])
        self.register(sku, expected, committed_at, "stock")

    # ---- orders ------------------------------------------------------------------------
    def orders_tick(self, now):
        """Every --order-feed-minutes: ship in Odoo the Amazon orders the connector imported
        (delivery validated: the connector then sends the shipment feed), and let buyers
        order again in the sandbox (the connector imports and acknowledges them)."""
        if self.next_order_at is None or now < self.next_order_at:
            return
        self.next_order_at = now + self.args.order_feed_minutes * 60
        started = self.sbx()
        with self.registry.cursor() as cr:
            env = self.env(cr)
            pickings = env["stock.picking"].search(
                [
                    ("sale_id.amazon_account_id", "=", self.account_id),
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "=", "assigned"),
                ]
            )
            for picking in pickings:
                for move in picking.move_ids:
                    move.quantity = move.product_uom_qty
                    move.picked = True
                picking.with_context(skip_backorder=True, skip_sms=True)._action_done()
            cr.commit()
        self.order_feeds["pickings_done"] += len(pickings)
        self.order_feeds["batches"] += 1
        self.track_orders(started)
        self.box.admin(
            "POST",
            f"/admin/sellers/{self.seller}/orders",
            {"count": ORDERS_PER_BATCH, "seed": self.rng.randint(1, 10**9)},
        )
        self.order_feeds["created"] += ORDERS_PER_BATCH

    def quantities(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            listings = env["amazon.listing"].browse(list(self.listings.values()))
            quantities = listings._amazon_quantities()
            return {lst.seller_sku: int(quantities[lst.id]) for lst in listings}

    def track_orders(self, committed_at):
        """Quantities that changed without a stock change of ours: orders (reservations,
        deliveries) moved them. Each is a change too, committed at ``committed_at`` at the
        latest (the start of the cron run or of the deliveries that made it)."""
        for sku, quantity in self.quantities().items():
            if quantity != self.expected[sku]:
                self.register(sku, quantity, committed_at, "order")

    def register(self, sku, expected, committed_at, source):
        previous = self.open.get(sku)
        if previous:
            row = self.sku_row(sku)
            if isinstance(row, dict) and row.get("quantity") == previous["expected"]:
                self._visible(previous, row)
            else:
                previous["superseded"] = True
                self.open.pop(sku)
        self.history[sku].add(expected)
        self.expected[sku] = expected
        if not self.measuring:
            return
        change = {
            "sku": sku,
            "committed_at": committed_at,
            "expected": expected,
            "source": source,
        }
        self.changes.append(change)
        self.open[sku] = change

    # ---- phases ------------------------------------------------------------------------
    def tick_sleep(self, started):
        period = 60.0 / self.scale
        time.sleep(max(0.0, period - (time.monotonic() - started)))

    def warm_up(self, expected):
        """Run the cron until the sandbox shows every SKU with its quantity."""
        deadline = time.monotonic() + self.args.warmup_timeout
        started_at = self.sbx()
        while time.monotonic() < deadline:
            started = time.monotonic()
            self.cron()
            rows = self.catalog()
            done = sum(
                1
                for sku, qty in expected.items()
                if sku in rows and rows[sku]["quantity"] == qty and rows[sku]["price"]
            )
            if done == len(expected):
                minutes = (self.sbx() - started_at) / 60
                _log(f"catalog out: {done} SKUs in the sandbox after {minutes:.1f} sandbox min")
                return minutes
            self.tick_sleep(started)
        raise SystemExit(f"the catalog did not go out within {self.args.warmup_timeout} s")

    def measure(self):
        args = self.args
        self.order_feeds = {"batches": 0, "created": 0, "pickings_done": 0}
        self.measuring = True
        self.next_order_at = self.sbx()
        start = self.sbx()
        end = start + args.sandbox_hours * 3600
        drain_end = end + args.drain_minutes * 60
        due_changes = 0.0
        last = start
        ticks = 0
        slow_ticks = 0
        while True:
            started = time.monotonic()
            now = self.sbx()
            if now >= end and (not self.open or now >= drain_end):
                break
            if now < end:
                due_changes += (now - last) / 60 * args.changes_per_minute
                last = now
                while due_changes >= 1:
                    self.change_stock()
                    due_changes -= 1
                self.orders_tick(self.sbx())
            else:
                self.measuring = False  # drain: later changes only supersede open ones
            self.cron()
            self.check_visible(self.catalog())
            ticks += 1
            if time.monotonic() - started > 60.0 / self.scale:
                slow_ticks += 1
            if ticks % max(1, int(10 * self.scale / 60)) == 0:
                done = sum(1 for c in self.changes if "latency" in c)
                _log(
                    f"sandbox +{(self.sbx() - start) / 60:.0f} min: {len(self.changes)} "
                    f"changes, {done} visible, {len(self.open)} open"
                )
            self.tick_sleep(started)
        return start, end, self.sbx(), ticks, slow_ticks

    def feeds_report(self, start, stop):
        """The seller's feeds from the sandbox, and which inventory feed carried each SKU."""
        feeds = self.box.admin("GET", f"/admin/sellers/{self.seller}/feeds")
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT f.submission_id, m.seller_sku FROM amazon_feed_message m
                     JOIN amazon_feed f ON f.id = m.feed_id
                    WHERE f.account_id = %s AND f.kind = 'inventory'""",
                (self.account_id,),
            )
            skus_by_feed = {}
            for submission_id, sku in cr.fetchall():
                skus_by_feed.setdefault(str(submission_id), set()).add(sku)
            cr.execute(
                "SELECT bucket, calls_count, throttled_count FROM amazon_quota_bucket "
                "WHERE account_id = %s ORDER BY bucket",
                (self.account_id,),
            )
            buckets = [
                {"bucket": b, "calls": calls, "throttled": throttled}
                for b, calls, throttled in cr.fetchall()
            ]
        inventory = []
        by_type = {}
        for feed in feeds:
            submitted = _parse_iso(feed["submitted"])
            if start <= submitted < stop:
                by_type[feed["feed_type"]] = by_type.get(feed["feed_type"], 0) + 1
            if feed["feed_type"] == "_POST_INVENTORY_AVAILABILITY_DATA_" and feed["completed"]:
                inventory.append(
                    {
                        "submitted": submitted,
                        "completed": _parse_iso(feed["completed"]),
                        "messages": feed["message_count"],
                        "skus": skus_by_feed.get(str(feed["feed_id"]), set()),
                    }
                )
        inventory.sort(key=lambda f: f["submitted"])
        return by_type, inventory, buckets

    def decompose(self, inventory):
        """For each visible change: commit → next account run → SubmitFeed → _DONE_."""
        runs = sorted(self.runs)
        for change in self.changes:
            if "latency" not in change:
                continue
            feed = next(
                (
                    f
                    for f in inventory
                    if change["sku"] in f["skus"]
                    and f["submitted"] >= change["committed_at"] - 1
                    and abs(f["completed"] - change["visible_at"]) <= 1
                ),
                None,
            )
            run = next((r for r in runs if r >= change["committed_at"]), None)
            if not feed or run is None:
                continue
            change["to_run"] = max(0.0, min(run, feed["submitted"]) - change["committed_at"])
            change["run_to_submit"] = max(
                0.0, feed["submitted"] - change["committed_at"] - change["to_run"]
            )
            change["processing"] = feed["completed"] - feed["submitted"]


def driver(argv):
    parser = argparse.ArgumentParser(prog="bench_p5_stock_latency.py --driver")
    parser.add_argument("--out", required=True)
    parser.add_argument("--logfile", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--scale", type=float, default=60.0)
    parser.add_argument("--sandbox-hours", type=float, default=2.0)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--changes-per-minute", type=float, default=2.0)
    parser.add_argument("--order-feed-minutes", type=float, default=5.0)
    parser.add_argument("--interval-clock", choices=("sandbox", "real"), default="real")
    parser.add_argument("--drain-minutes", type=float, default=60.0)
    parser.add_argument("--warmup-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=5)
    args, odoo_args = parser.parse_known_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import odoo

    odoo.tools.config.parse_config(
        [*odoo_args, "--logfile", args.logfile, "--log-level", "warn"], setup_logging=True
    )
    from odoo.modules.registry import Registry

    harness = Harness(args, Registry(args.database))
    try:
        expected = harness.setup()
        _log(f"{len(expected)} products listed; sandbox {harness.box.url}, seller {harness.seller}")
        warmup_minutes = harness.warm_up(expected)
        throttle_before = harness.box.admin("GET", "/admin/throttle")
        waits_before = dict(harness.waits.counts)
        runs_before = len(harness.runs)
        start, end, stop, ticks, slow_ticks = harness.measure()
        clock_drift = harness.sbx_clock() - harness.sbx()
        by_type, inventory, buckets = harness.feeds_report(start, end)
        harness.decompose(inventory)
        throttle = harness.box.admin("GET", "/admin/throttle")
    finally:
        harness.stop()
    mine = [r for r in throttle["counters"] if r["seller_id"] == harness.seller]
    mine_before = [r for r in throttle_before["counters"] if r["seller_id"] == harness.seller]
    runs = [r for r in harness.runs[runs_before:] if start <= r < end]
    result = {
        "warmup_minutes": warmup_minutes,
        "window": [start, end, stop],
        "ticks": ticks,
        "slow_ticks": slow_ticks,
        "clock_drift": clock_drift,
        "changes": harness.changes,
        "runs": runs,
        "feeds_by_type": by_type,
        "inventory_feeds": [
            {k: v for k, v in f.items() if k != "skus"}
            for f in inventory
            if start <= f["submitted"] < end
        ],
        "order_feeds": harness.order_feeds,
        "quota_waits": {
            k: v - waits_before.get(k, 0)
            for k, v in harness.waits.counts.items()
            if v - waits_before.get(k, 0)
        },
        "quota_waits_total": harness.waits.counts,
        "buckets": buckets,
        "throttle": mine,
        "throttle_warmup": mine_before,
        "throttled_total": sum(r["throttled"] + r["quota_exceeded"] for r in mine),
        "cron_errors": harness.cron_errors,
    }
    Path(args.out).write_text(json.dumps(result, default=sorted))
    return 0


# ------------------------------------------------------------------------------------ parent


def _minutes(seconds):
    return "-" if seconds is None else f"{seconds / 60:.2f}"


def _print_results(result, args):
    start, end, stop = result["window"]
    hours = (end - start) / 3600
    changes = result["changes"]
    visible = [c for c in changes if "latency" in c]
    lost = [c for c in changes if "latency" not in c and not c.get("superseded")]
    latencies = [c["latency"] for c in visible]
    print(
        f"\nP5: stock latency, scale {args.scale:g} (sandbox s per real s), "
        f"{args.products} products, {hours:.2f} sandbox hours measured "
        f"(+{(stop - end) / 60:.0f} min drain), account interval on the "
        f"{args.interval_clock} clock, catalog out in {result['warmup_minutes']:.1f} sandbox min"
    )
    for source, label in (("stock", "stock changes"), ("order", "order reservations"), ("", "all")):
        mine = [c for c in changes if not source or c["source"] == source]
        seen = [c["latency"] for c in mine if "latency" in c]
        print(
            f"{label}: {len(mine)}, visible {len(seen)}, superseded "
            f"{sum(1 for c in mine if c.get('superseded'))}, never visible "
            f"{sum(1 for c in mine if 'latency' not in c and not c.get('superseded'))}"
        )
        if seen:
            over = sum(1 for value in seen if value > GOAL_MINUTES * 60)
            print(
                f"  latency (sandbox min): p50 {_minutes(_percentile(seen, 0.5))} "
                f"p90 {_minutes(_percentile(seen, 0.9))} "
                f"p99 {_minutes(_percentile(seen, 0.99))} max {_minutes(max(seen))} "
                f"mean {_minutes(statistics.mean(seen))}; over {GOAL_MINUTES:g} min: {over}"
            )
    print(f"(stock changes: {args.changes_per_minute:g} per sandbox minute)")
    parts = [c for c in visible if "processing" in c]
    if parts:
        print(f"latency parts, mean / p90 / max in sandbox minutes ({len(parts)} changes):")
        for key, label in (
            ("to_run", "commit -> next account run (interval)"),
            ("run_to_submit", "account run -> SubmitFeed (budget, queue)"),
            ("processing", "SubmitFeed -> _DONE_ (sandbox processing)"),
        ):
            values = [c[key] for c in parts]
            print(
                f"  {label:44s} {_minutes(statistics.mean(values))} / "
                f"{_minutes(_percentile(values, 0.9))} / {_minutes(max(values))}"
            )
    runs = result["runs"]
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    if gaps:
        print(
            f"account runs: {len(runs)} in the window, every {statistics.mean(gaps):.0f} "
            f"sandbox s on average (max {max(gaps):.0f}); {result['ticks']} ticks, "
            f"{result['slow_ticks']} longer than {60 / args.scale:.2f} real s"
        )
    print("SubmitFeed calls per sandbox hour, by feed type (sandbox's feed list):")
    total = 0
    for feed_type, count in sorted(result["feeds_by_type"].items()):
        total += count
        print(f"  {feed_type:40s} {count:4d}  = {count / hours:5.1f}/h")
    print(f"  {'total':40s} {total:4d}  = {total / hours:5.1f}/h (Amazon: 30/h, burst 15)")
    inv = result["inventory_feeds"]
    if inv:
        sizes = [f["messages"] for f in inv]
        print(
            f"inventory feeds: {len(inv)}, {statistics.mean(sizes):.1f} messages on average "
            f"(max {max(sizes)})"
        )
    orders = result["order_feeds"]
    print(
        f"orders: {orders['created']} created in the sandbox in {orders['batches']} batches, "
        f"{orders['pickings_done']} deliveries validated in Odoo (the connector imports, "
        "acknowledges and confirms the shipments)"
    )
    print(f"connector quota waits in the window: {result['quota_waits'] or 'none'}")
    print("connector quota buckets (calls / throttled):")
    for bucket in result["buckets"]:
        print(f"  {bucket['bucket']:32s} {bucket['calls']:5d} / {bucket['throttled']}")
    print("sandbox throttle counters for the seller (allowed / throttled / quota exceeded):")
    for row in result["throttle"]:
        print(
            f"  {row['operation']:32s} {row['allowed']:5d} / {row['throttled']} / "
            f"{row['quota_exceeded']}"
        )
    print(
        f"throttled_total {result['throttled_total']}; cron errors {result['cron_errors']}; "
        f"sandbox clock vs harness estimate {result['clock_drift']:+.1f} s"
    )
    p99 = _percentile(latencies, 0.99) if latencies else None
    met = (
        p99 is not None
        and p99 <= GOAL_MINUTES * 60
        and max(latencies) <= GOAL_MINUTES * 60
        and result["throttled_total"] == 0
        and not lost
    )
    print(
        f"\nP5 verdict: max latency {_minutes(max(latencies) if latencies else None)} sandbox "
        f"min vs goal <= {GOAL_MINUTES:g}, throttled {result['throttled_total']}: "
        f"{'MET' if met else 'NOT MET'}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=60.0, help="sandbox --time-scale")
    parser.add_argument("--sandbox-hours", type=float, default=2.0)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--changes-per-minute", type=float, default=2.0)
    parser.add_argument("--order-feed-minutes", type=float, default=5.0)
    parser.add_argument(
        "--interval-clock",
        choices=("sandbox", "real"),
        default="real",
        help="leave the account's interval to the addon (real: it scales the interval by "
        "the account's sandbox_time_scale itself, default) or let the harness move "
        "last_sync_at back after each run (sandbox: for addon versions that did not)",
    )
    parser.add_argument("--drain-minutes", type=float, default=60.0)
    parser.add_argument("--warmup-timeout", type=float, default=300.0, help="real seconds")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--template", help="a database with the dependencies installed (e.g. tmpl_deps)"
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.sandbox_hours <= 0 or args.products < 1:
        parser.error("--scale, --sandbox-hours and --products must be positive")

    odoo, reason = devenv.find_odoo()
    if not odoo:
        print(f"P5 skipped: {reason}")
        return 0
    pg, reason = devenv.postgres()
    if not pg:
        print(f"P5 skipped: {reason}")
        return 0
    python = devenv.ensure_odoo_venv(odoo)
    devenv.CACHE.mkdir(exist_ok=True)
    logdir = devenv.CACHE
    for name in ("install", "driver"):
        (logdir / f"bench-p5-{name}.log").unlink(missing_ok=True)
    database = f"b5p5_{os.getpid()}"
    devenv.log(f"Odoo {odoo.version}, {pg.description}; database {database}")
    started = time.monotonic()
    result = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            if args.template:
                _sql(
                    python,
                    pg,
                    [f'CREATE DATABASE "{database}" TEMPLATE "{args.template}"'],
                    attempts=10,
                )
            cmd = [
                *devenv.odoo_command(python, odoo, pg, database),
                "-i",
                ",".join(ADDONS),
                "--without-demo=all",
                "--stop-after-init",
            ]
            _run_odoo(cmd, logdir / "bench-p5-install.log", f"install {', '.join(ADDONS)}")
            cmd = [
                python,
                Path(__file__).resolve(),
                "--driver",
                "--out",
                tmp / "out.json",
                "--database",
                database,
                "--scale",
                args.scale,
                "--sandbox-hours",
                args.sandbox_hours,
                "--products",
                args.products,
                "--changes-per-minute",
                args.changes_per_minute,
                "--order-feed-minutes",
                args.order_feed_minutes,
                "--interval-clock",
                args.interval_clock,
                "--drain-minutes",
                args.drain_minutes,
                "--warmup-timeout",
                args.warmup_timeout,
                "--seed",
                args.seed,
                *pg.odoo_args(),
                "--addons-path",
                odoo.addons_path,
            ]
            _run_odoo(cmd, logdir / "bench-p5-driver.log", "measure")
            result = json.loads((tmp / "out.json").read_text())
    finally:
        if args.keep_db:
            devenv.log(f"kept the database {database}")
        else:
            _sql(python, pg, [f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'])
    _print_results(result, args)
    devenv.log(f"total {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--driver"]:
        sys.exit(driver(sys.argv[2:]))
    sys.exit(main())
