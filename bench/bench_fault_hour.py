"""The fault hour: one sandbox hour in which about half of all calls fail, then a check
that everything was synced and that no call went above a quota.

    python bench/bench_fault_hour.py [--orders 600] [--scale 60] [--sandbox-hours 1]
        [--products 100] [--timeout 1] [--api mws|spapi] [--max-real-seconds 1200]
        [--drain-minutes 240] [--template DB] [--keep-db]

The run is P3's (bench/bench_p3_shipments.py: buyers order, stock changes, Odoo validates
every ready delivery, the sync cron runs each tick; the catalog goes out first, without
faults) with the account's ``request_timeout`` at ``--timeout`` seconds. For the window,
the seller gets these sandbox faults, each drawn on every call (``rate``):

    throttled 0.15, internal_error 0.15, unavailable 0.10, malformed 0.10,
    delay 0.07 and slow_answer 0.07 (both 1.5 x --timeout: a timeout before Amazon has the
    call, and one after)

so that about 1 - 0.85^2 x 0.90^2 x 0.93^2 = 49 % of the calls fail. Then the faults are
cleared and the cron goes on until nothing is waiting (``--drain-minutes`` sandbox minutes at
most). Checked at the end (goal: all 0):

* orders lost: paid orders on Amazon (not Pending, not cancelled before payment) without a
  sale order; orders duplicated (more than one sale order);
* shipments not on Amazon: sale orders whose delivery is done while Amazon does not show the
  order Shipped;
* stock not on Amazon: listings whose quantity on Amazon differs from Odoo's;
* rows in error, feeds failed, and rows, queue entries, feeds or staged orders left waiting;
* calls above a quota: the sandbox's throttle counters (the injected ``throttled`` answers are
  not counted there; the connector's own quota accounting must have kept every call within
  Amazon's quotas even while half the answers were errors).

Reported too: the calls the sandbox answered, the faults that fired (per kind) and the share
of calls that failed.
"""

from __future__ import annotations

import sys

import _harness
import bench_p3_shipments as p3
import bench_p4_orders as p4

FAULTS = (
    ("throttled", 0.15),
    ("internal_error", 0.15),
    ("unavailable", 0.10),
    ("malformed", 0.10),
    ("delay", 0.07),
    ("slow_answer", 0.07),
)


class FaultHour(p3.Shipments):
    tag = "faults"

    def setup(self):
        expected = super().setup()
        with self.registry.cursor() as cr:
            account = self.env(cr)["amazon.account"].browse(self.account_id)
            account.request_timeout = self.args.timeout
            cr.commit()
        return expected

    def break_amazon(self):
        seconds = 1.5 * self.args.timeout
        for kind, rate in FAULTS:
            self.box.admin(
                "POST",
                f"/admin/sellers/{self.seller}/faults",
                {"kind": kind, "rate": rate, "seconds": seconds if "a" in kind else 0},
            )
        self.log(f"faults on: {', '.join(f'{k} {r}' for k, r in FAULTS)}")

    def window_closed(self):
        self.fired = self.box.admin("GET", f"/admin/sellers/{self.seller}/faults")
        self.throttle_at_close = self.throttle()
        self.box.admin("DELETE", f"/admin/sellers/{self.seller}/faults")
        self.log("faults off")

    def pending(self):
        """P3's (ready deliveries, shipments unsettled) and what else waits: catalog queue
        entries, feeds not finished, staged orders."""
        ready, unsettled = super().pending()
        with self.registry.cursor() as cr:
            counts = []
            for query in (
                "SELECT count(*) FROM amazon_sync_queue WHERE account_id = %s",
                "SELECT count(*) FROM amazon_feed WHERE account_id = %s"
                " AND state IN ('draft', 'submitted', 'in_progress')",
                "SELECT count(*) FROM amazon_order_stage WHERE account_id = %s",
            ):
                cr.execute(query, (self.account_id,))
                counts.append(cr.fetchone()[0])
        return (ready, unsettled, *counts)

    def check(self):
        """What the end state owes Amazon (see the module's docstring)."""
        orders = self.orders()
        with self.registry.cursor() as cr:
            env = self.env(cr)
            sale_orders = env["sale.order"].search([("amazon_account_id", "=", self.account_id)])
            imported = {}
            for order in sale_orders:
                imported.setdefault(order.amazon_order_id, []).append(order)
            listings = env["amazon.listing"].search([("account_id", "=", self.account_id)])
            expected = _harness.amazon_quantities(listings)
            cr.execute(
                """SELECT
                     (SELECT count(*) FROM product_integration WHERE amazon_status = 'error'),
                     (SELECT count(*) FROM order_integration WHERE amazon_status = 'error'),
                     (SELECT count(*) FROM amazon_feed WHERE account_id = %s
                         AND state = 'error')""",
                (self.account_id,),
            )
            product_errors, order_errors, feeds_failed = cr.fetchone()
            cr.execute(
                """SELECT r.record_operation, left(r.amazon_status_data, 160), count(*)
                     FROM order_integration r JOIN sale_order s ON s.id = r.sale_order_id
                    WHERE s.amazon_account_id = %s AND r.amazon_status = 'error'
                    GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5""",
                (self.account_id,),
            )
            error_texts = [list(row) for row in cr.fetchall()]
            cr.execute(
                """SELECT count(*) FROM order_integration r
                     JOIN sale_order s ON s.id = r.sale_order_id
                    WHERE s.amazon_account_id = %s AND r.amazon_status = 'error'
                      AND r.amazon_status_data LIKE %s""",
                (self.account_id, "%is Canceled and cannot be shipped%"),
            )
            refused_cancelled = cr.fetchone()[0]
            cr.execute(
                "SELECT state, count(*) FROM amazon_feed WHERE account_id = %s GROUP BY 1",
                (self.account_id,),
            )
            feed_states = dict(cr.fetchall())
            shipped_here = {
                order.amazon_order_id
                for order in sale_orders
                if order.picking_ids
                and all(p.state in ("done", "cancel") for p in order.picking_ids)
                and any(p.state == "done" for p in order.picking_ids)
            }
        remote = {o["amazon_order_id"]: o for o in orders}
        paid = {
            oid
            for oid, o in remote.items()
            if o["status"] not in ("Pending", "Canceled") and o.get("payments_date")
        }
        catalog = self.catalog()
        stock_off = sorted(
            sku
            for sku, qty in expected.items()
            if int(catalog.get(sku, {}).get("quantity") or -1) != qty
        )
        return {
            "amazon_orders": len(remote),
            "paid": len(paid),
            "imported": len(imported),
            "orders_lost": len(paid - set(imported)),
            "orders_duplicated": sum(len(v) - 1 for v in imported.values()),
            "shipments_not_on_amazon": sum(
                1
                for oid in shipped_here
                if remote.get(oid, {}).get("status") not in ("Shipped", "Canceled")
            ),
            # the buyer cancelled before the shipment reached Amazon, which refuses it: the
            # right end state, an error on the row and in the chatter
            "shipped_after_buyer_cancelled": sum(
                1 for oid in shipped_here if remote.get(oid, {}).get("status") == "Canceled"
            ),
            "refused_cancelled": refused_cancelled,
            "order_error_texts": error_texts,
            "feed_states": feed_states,
            "shipped_here": len(shipped_here),
            "stock_not_on_amazon": len(stock_off),
            "stock_off_sample": stock_off[:5],
            "product_rows_in_error": product_errors,
            "order_rows_in_error": order_errors - refused_cancelled,
            "feeds_failed": feeds_failed,
            "waiting": list(self.pending()),
        }


def _measure(args, registry):
    with FaultHour(args, registry) as run:
        expected = run.setup()
        run.log(f"{len(expected)} products; sandbox {run.box.url}, seller {run.seller}")
        run.warm_up(expected)
        if args.api == "spapi":
            run.to_spapi()
        before = run.throttle()
        run.break_amazon()
        window = run.measure()
        result = run.report(window)
        result["check"] = run.check()
        result["fired"] = run.fired
        result["throttle_before"] = before
        result["throttle_at_close"] = run.throttle_at_close
    result["duplicates"] = p4._duplicates(registry)
    return result


def driver(argv):
    parser = _harness.parser(__doc__, _options, driver=True)
    return _harness.driver_main(argv, parser, _measure, log_level="warn")


def _print_results(result, args):
    fired = {f["kind"]: f["fired"] for f in result["fired"]}
    # the window's calls: what the throttle counters saw between its start and its end,
    # and the calls a fault answered before they reached them
    answered = sum(r["allowed"] for r in result["throttle_at_close"]) - sum(
        r["allowed"] for r in result["throttle_before"]
    )
    refused = result["throttled_total"]
    before_call = sum(n for kind, n in fired.items() if kind not in ("malformed", "slow_answer"))
    calls = answered + before_call
    failed = sum(fired.values())
    check = result["check"]
    window = result["window"]
    print(f"\nThe fault hour ({args.api}, {args.orders} orders an hour)")
    print(
        f"  window {(window['end'] - window['start']) / 60:.0f} sandbox min"
        f"{' (cut short)' if window['cut_short'] else ''}, then a drain to "
        f"{(window['stop'] - window['start']) / 60:.0f} min; {window['real_seconds']:.0f} s real"
    )
    print(
        f"  calls {calls}: failed by a fault {failed} ({failed / max(calls, 1):.0%}): "
        + ", ".join(f"{k} {v}" for k, v in fired.items())
    )
    print(
        f"  orders: {check['amazon_orders']} on Amazon, {check['paid']} paid, "
        f"{check['imported']} imported; lost {check['orders_lost']}, duplicated "
        f"{check['orders_duplicated']}; {check['shipped_here']} shipped in Odoo, not Shipped "
        f"on Amazon {check['shipments_not_on_amazon']}"
    )
    print(
        f"  stock not on Amazon {check['stock_not_on_amazon']} {check['stock_off_sample'] or ''}; "
        f"rows in error: product {check['product_rows_in_error']}, order "
        f"{check['order_rows_in_error']}; feeds failed {check['feeds_failed']}; waiting "
        f"(ready deliveries, shipments unsettled, queue, feeds, staged) {check['waiting']}"
    )
    print(
        f"  shipped in Odoo after the buyer cancelled: {check['shipped_after_buyer_cancelled']} "
        f"(Amazon refused {check['refused_cancelled']}: an error on the row, as it should be); "
        f"feeds by state {check['feed_states']}"
    )
    for operation, text, count in check["order_error_texts"]:
        print(f"    order rows in error: {count} x {operation}: {text}")
    print(f"  calls above a quota (sandbox throttle counters): {refused}")
    keys = (
        "orders_lost",
        "orders_duplicated",
        "shipments_not_on_amazon",
        "stock_not_on_amazon",
        "product_rows_in_error",
        "order_rows_in_error",
        "feeds_failed",
    )
    met = not refused and not any(check[k] for k in keys) and not any(check["waiting"])
    met = met and not result["duplicates"]
    _harness.print_verdict(
        "Fault hour", met, f"{failed / max(calls, 1):.0%} of {calls} calls failed"
    )


def _options(parser):
    p3._options(parser)
    parser.set_defaults(orders=600, products=100, max_real_seconds=1200.0, drain_minutes=240.0)
    parser.add_argument("--timeout", type=float, default=1.0, help="request_timeout (s)")


def main(argv=None):
    parser = _harness.parser(__doc__, _options, database=True)
    args = parser.parse_args(argv)
    _harness.require_positive(parser, args, "scale", "sandbox_hours", "products", "orders")
    return _harness.run_odoo_bench("FAULTS", __file__, parser, args, _print_results)


if __name__ == "__main__":
    sys.exit(_harness.entry(main, driver))
