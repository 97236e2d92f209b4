"""Benchmark P5: stock latency, from a stock change in Odoo to the sandbox's stock of the SKU.

    python bench/bench_p5_stock_latency.py [--api mws|spapi] [--scale 60] [--sandbox-hours 2]
        [--products 300] [--changes-per-minute 2] [--order-feed-minutes 5]
        [--interval-clock sandbox|real] [--template DB] [--keep-db]

``--api spapi`` (issue 14; goal p99 <= 1 sandbox minute, zero 429s): the account is on the
Selling Partner API, its catalog goes out as JSON listings (the products get a barcode and a
sales description: the PRODUCT type requires them), stock changes go through
patchListingsItem or a JSON_LISTINGS_FEED. The capture triggers the sync cron five seconds
after a change (``ir.cron._trigger``); the harness plays Odoo's cron runner: it looks every
``min(1, 60 / SCALE)`` real seconds for a due trigger of the sync cron (and deletes it, as
the runner does) and runs ``_cron_sync`` then, besides the regular run every 60 sandbox
seconds. Use a low scale (``--scale 2``): the trigger's five seconds are real seconds.

Goal: at most 5 sandbox minutes from the commit of a stock change to the moment the
sandbox's catalog shows that quantity for the SKU, at DEFAULT settings (account interval
60 s, POLL_DELAY, ORDER_FEED_RESERVE), while stock keeps changing and orders keep shipping,
with zero throttled calls. For comparison: seed 001's integration sends stock hourly, common
multichannel tools every 15 minutes.

Set-up. One database (``bench_p5_<pid>``) gets integrator_base + amazon_integration: copied from
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
inside Odoo (``--driver``); the set-up around the measure is bench/_harness.py's.
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys
import time

import _harness

GOAL_MINUTES = {"mws": 5.0, "spapi": 1.0}
ORDERS_PER_BATCH = 2

# ------------------------------------------------------------------------------------ driver
# Runs in the Odoo virtualenv (``--driver``): everything importing odoo stays in here.


def _percentile(values, fraction):
    """Nearest-rank percentile (no interpolation: every figure is a measured change)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class StockLatency(_harness.SandboxRun):
    tag = "p5"
    quota_models = ("amazon_catalog",)

    def __init__(self, args, registry):
        super().__init__(args, registry)
        self._anchor()
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
        self._next_regular = 0.0
        self.triggered_runs = 0

    # ---- clocks ------------------------------------------------------------------------
    def _anchor(self):
        before = time.time()
        clock = self.box.admin("GET", "/admin/clock")
        after = time.time()
        self._real0 = (before + after) / 2
        self._sbx0 = _harness.parse_iso(clock["now"])

    def now(self, real=None):
        """Sandbox time (epoch seconds) at real time ``real`` (now by default), reckoned
        from the scale (``clock()`` asks the sandbox)."""
        real = time.time() if real is None else real
        return self._sbx0 + (real - self._real0) * self.scale

    # ---- Odoo --------------------------------------------------------------------------
    def setup(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            account = self.create_account(env, api=self.args.api)
            categ = env["product.category"].create({"name": "P5 benchmark"})
            extra = {"description_sale": "P5 benchmark product."} if self.spapi else {}
            products, listings = self.list_products(
                env, account, lambda: self.rng.randint(5, 200), categ_id=categ.id, **extra
            )
            if self.spapi:  # PRODUCT requires an identifier: EAN-13s of the GS1 "200" range
                for n, product in enumerate(products):
                    product.barcode = _ean13(f"200{n:09d}")
                cr.commit()
            self.listings = {lst.seller_sku: lst.id for lst in listings}
            self.products = {lst.seller_sku: lst.product_id.id for lst in listings}
            expected = _harness.amazon_quantities(listings)
        for sku, quantity in expected.items():
            self.history[sku] = {quantity}
        self.expected = dict(expected)
        return expected

    @property
    def spapi(self):
        return self.args.api == "spapi"

    def sleep_rest(self, started):
        """MWS: a tick is 60 sandbox seconds; SP-API: the cron runner looks for due
        triggers every ``min(1, 60 / SCALE)`` real seconds."""
        tick = min(1.0, 60.0 / self.scale) if self.spapi else 60.0 / self.scale
        time.sleep(max(0.0, tick - (time.monotonic() - started)))

    def cron_tick(self):
        """The sync cron as Odoo's runner starts it: every 60 sandbox seconds, and (SP-API)
        when a trigger the capture added is due."""
        if not self.spapi:
            self.cron()
            return
        regular = time.monotonic() >= self._next_regular
        if regular:
            self._next_regular = time.monotonic() + 60.0 / self.scale
        if self.triggered() or regular:
            self.triggered_runs += not regular
            self.cron()

    def triggered(self):
        """Whether a trigger of the sync cron is due; the due ones are consumed."""
        with self.registry.cursor() as cr:
            cr.execute(
                """DELETE FROM ir_cron_trigger t USING ir_model_data d
                    WHERE d.model = 'ir.cron' AND d.module = 'amazon_integration'
                      AND d.name = 'ir_cron_amazon_sync' AND t.cron_id = d.res_id
                      AND t.call_at <= (now() AT TIME ZONE 'UTC') RETURNING t.id"""
            )
            due = bool(cr.fetchall())
            cr.commit()
        return due

    def cron(self):
        """What the cron runs, in its own cursor; notes when the account ran."""
        started = self.now()
        if not super().cron():
            return
        self.runs.append(started)
        if self.args.interval_clock == "sandbox":
            with self.registry.cursor() as cr:
                env = _harness.odoo_env(cr, admin=False)
                account = env["amazon.account"].browse(self.account_id)
                shift = account.sync_interval * (1 - 1 / self.scale)
                cr.execute(
                    "UPDATE amazon_account SET last_sync_at = last_sync_at - "
                    "make_interval(secs => %s) WHERE id = %s",
                    (shift, self.account_id),
                )
                cr.commit()
        self.track_orders(started)

    # ---- sandbox -----------------------------------------------------------------------
    def sku_row(self, sku):
        return self.box.admin("GET", f"/admin/sellers/{self.seller}/catalog/{sku}", expect=None)

    def check_visible(self, rows):
        for sku, change in list(self.open.items()):
            row = rows.get(sku)
            if row and row.get("quantity") == change["expected"]:
                self._visible(change, row)

    def _visible(self, change, row):
        updated = _harness.parse_iso(row["updated"])
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
            committed_at = self.clock()
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
        started = self.now()
        with self.registry.cursor() as cr:
            env = self.env(cr)
            pickings = self.ready_deliveries(env)
            for picking in pickings:
                for move in picking.move_ids:
                    move.quantity = move.product_uom_qty
                    move.picked = True
                picking.with_context(skip_backorder=True, skip_sms=True)._action_done()
            cr.commit()
        self.order_feeds["pickings_done"] += len(pickings)
        self.order_feeds["batches"] += 1
        self.track_orders(started)
        self.place_orders(ORDERS_PER_BATCH)
        self.order_feeds["created"] += ORDERS_PER_BATCH

    def quantities(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            listings = env["amazon.listing"].browse(list(self.listings.values()))
            return _harness.amazon_quantities(listings)

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
    def measure(self):
        args = self.args
        self.order_feeds = {"batches": 0, "created": 0, "pickings_done": 0}
        self.measuring = True
        self.next_order_at = self.now()
        start = self.now()
        end = start + args.sandbox_hours * 3600
        drain_end = end + args.drain_minutes * 60
        due_changes = 0.0
        last = start
        ticks = 0
        slow_ticks = 0
        while True:
            started = time.monotonic()
            now = self.now()
            if now >= end and (not self.open or now >= drain_end):
                break
            if now < end:
                due_changes += (now - last) / 60 * args.changes_per_minute
                last = now
                while due_changes >= 1:
                    self.change_stock()
                    due_changes -= 1
                self.orders_tick(self.now())
            else:
                self.measuring = False  # drain: later changes only supersede open ones
            self.cron_tick()
            self.check_visible(self.catalog())
            ticks += 1
            if time.monotonic() - started > 60.0 / self.scale:
                slow_ticks += 1
            log_every = 10 if self.spapi else max(1, int(10 * self.scale / 60))
            if ticks % log_every == 0:
                done = sum(1 for c in self.changes if "latency" in c)
                self.log(
                    f"sandbox +{(self.now() - start) / 60:.0f} min: {len(self.changes)} "
                    f"changes, {done} visible, {len(self.open)} open"
                )
            self.sleep_rest(started)
        return start, end, self.now(), ticks, slow_ticks

    def feeds_report(self, start, stop):
        """The seller's feeds from the sandbox, and which inventory feed carried each SKU."""
        feeds = self.feeds()
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
            buckets = [
                {"bucket": b, "calls": calls, "throttled": throttled}
                for b, calls, throttled in _harness.quota_buckets(cr, self.account_id)
            ]
        inventory = []
        by_type = {}
        for feed in feeds:
            submitted = _harness.parse_iso(feed["submitted"])
            if start <= submitted < stop:
                by_type[feed["feed_type"]] = by_type.get(feed["feed_type"], 0) + 1
            if feed["feed_type"] == "_POST_INVENTORY_AVAILABILITY_DATA_" and feed["completed"]:
                inventory.append(
                    {
                        "submitted": submitted,
                        "completed": _harness.parse_iso(feed["completed"]),
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


def _measure(args, registry):
    with StockLatency(args, registry) as run:
        expected = run.setup()
        run.log(f"{len(expected)} products listed; sandbox {run.box.url}, seller {run.seller}")
        warmup_minutes = run.warm_up(expected)
        mine_before = run.throttle()
        waits_before = dict(run.waits.counts)
        runs_before = len(run.runs)
        start, end, stop, ticks, slow_ticks = run.measure()
        clock_drift = run.clock() - run.now()
        by_type, inventory, buckets = run.feeds_report(start, end)
        run.decompose(inventory)
        mine = run.throttle()
    runs = [r for r in run.runs[runs_before:] if start <= r < end]
    return {
        "warmup_minutes": warmup_minutes,
        "window": [start, end, stop],
        "ticks": ticks,
        "slow_ticks": slow_ticks,
        "clock_drift": clock_drift,
        "changes": run.changes,
        "runs": runs,
        "feeds_by_type": by_type,
        "inventory_feeds": [
            {k: v for k, v in f.items() if k != "skus"}
            for f in inventory
            if start <= f["submitted"] < end
        ],
        "order_feeds": run.order_feeds,
        "quota_waits": {
            k: v - waits_before.get(k, 0)
            for k, v in run.waits.counts.items()
            if v - waits_before.get(k, 0)
        },
        "quota_waits_total": run.waits.counts,
        "buckets": buckets,
        "throttle": mine,
        "throttle_warmup": mine_before,
        "throttled_total": sum(r["throttled"] + r["quota_exceeded"] for r in mine),
        "cron_errors": run.cron_errors,
        "triggered_runs": run.triggered_runs,
    }


def driver(argv):
    return _harness.driver_main(argv, _harness.parser(__doc__, _options, driver=True), _measure)


# ------------------------------------------------------------------------------------ parent


def _minutes(seconds):
    return "-" if seconds is None else f"{seconds / 60:.2f}"


def _ean13(first_twelve):
    digits = [int(c) for c in first_twelve]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return first_twelve + str((10 - total % 10) % 10)


def _print_results(result, args):
    goal = GOAL_MINUTES[args.api]
    start, end, stop = result["window"]
    hours = (end - start) / 3600
    changes = result["changes"]
    visible = [c for c in changes if "latency" in c]
    lost = [c for c in changes if "latency" not in c and not c.get("superseded")]
    latencies = [c["latency"] for c in visible]
    print(
        f"\nP5: stock latency, API {args.api}, scale {args.scale:g} (sandbox s per real s), "
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
            over = sum(1 for value in seen if value > goal * 60)
            print(
                f"  latency (sandbox min): p50 {_minutes(_percentile(seen, 0.5))} "
                f"p90 {_minutes(_percentile(seen, 0.9))} "
                f"p99 {_minutes(_percentile(seen, 0.99))} max {_minutes(max(seen))} "
                f"mean {_minutes(statistics.mean(seen))}; over {goal:g} min: {over}"
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
    if args.api == "spapi":
        print(f"cron runs started by a trigger (besides the minute's): {result['triggered_runs']}")
    print(
        f"throttled_total {result['throttled_total']}; cron errors {result['cron_errors']}; "
        f"sandbox clock vs harness estimate {result['clock_drift']:+.1f} s"
    )
    p99 = _percentile(latencies, 0.99) if latencies else None
    # MWS: every change within the goal; SP-API (issue 14): p99 within the minute
    worst = p99 if args.api == "spapi" else max(latencies, default=None)
    met = worst is not None and worst <= goal * 60 and result["throttled_total"] == 0 and not lost
    _harness.print_verdict(
        "P5",
        met,
        f"{'p99' if args.api == 'spapi' else 'max'} latency {_minutes(worst)} sandbox min vs "
        f"goal <= {goal:g}, throttled {result['throttled_total']}",
    )


def _options(parser):
    _harness.sandbox_options(
        parser,
        scale=60.0,
        sandbox_hours=2.0,
        products=300,
        changes_per_minute=2.0,
        drain_minutes=60.0,
        warmup_timeout=300.0,
        seed=5,
    )
    parser.add_argument("--order-feed-minutes", type=float, default=5.0)
    parser.add_argument("--api", choices=("mws", "spapi"), default="mws")
    parser.add_argument(
        "--interval-clock",
        choices=("sandbox", "real"),
        default="real",
        help="leave the account's interval to the addon (real: it scales the interval by "
        "the account's sandbox_time_scale itself, default) or let the harness move "
        "last_sync_at back after each run (sandbox: for addon versions that did not)",
    )


def main(argv=None):
    parser = _harness.parser(__doc__, _options, database=True)
    args = parser.parse_args(argv)
    _harness.require_positive(parser, args, "scale", "sandbox_hours", "products")
    return _harness.run_odoo_bench("P5", __file__, parser, args, _print_results)


if __name__ == "__main__":
    sys.exit(_harness.entry(main, driver))
