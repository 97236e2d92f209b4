"""Benchmark P4 / R2: the order import, against the sandbox with an accelerated clock.

    python bench/bench_p4_orders.py [--orders 3000] [--time-scale 30] [--mode auto]
                                    [--api mws|spapi] [--speed-orders 1000] [--template DB]
                                    [--keep-db]

One database with integrator_base and amazon_integration (installed, or copied from
``--template``, a database that already has the dependencies), one sandbox subprocess
(``amazon_sandbox.testing.Sandbox``) started with ``--time-scale`` so a sandbox hour passes in
``3600 / time-scale`` real seconds. Three measures:

* **P4 throughput** — a fresh seller receives ``--orders`` orders spread over one sandbox hour
  (12 batches, one every 5 sandbox minutes; the generator's mix: 30 % AFN, promotions, gift
  wrap, 10 % buyer cancellations, every 50th order with 30 lines). The account runs
  ``_orders_step(auto_commit=True)`` once per sync interval (60 sandbox seconds), as the cron
  does, in ``--mode`` (auto by default: the API until it cannot keep up, then order reports).
  The run goes on until every importable order is in Odoo (or a sandbox deadline). Reported:
  orders imported in the first sandbox hour and in total, the sandbox time it took, every
  call per operation, and the throttled answers (the sandbox's own count: goal 0). Goal:
  ≥ 10,000 orders per sandbox hour on MWS (the ListOrders + ListOrderItems path alone is
  capped near 1,830 in the first hour by ListOrderItems' quota), ≥ 20,000 on SP-API
  (``--api spapi``: searchOrders alone gives 20 pages of 100 then one every 3 minutes; the
  account has the Direct-to-Consumer Shipping role, so the order reports carry the volume).
* **Odoo-side speed** — ``--speed-orders`` sandbox orders of another seller, read as order
  dicts, imported by ``_import_orders`` in batches of 200 with a commit after each: orders per
  second (goal ≥ 20).
* **R2 duplicates** — the same orders served again and again: the listing rewound by two
  hours twice, the order report requested again for the whole range (the sandbox's clock
  moved on a minute per step at once: duplicates, not time, are measured), and the same
  dicts imported again; reported: orders created by those re-runs and (account, Amazon order id)
  pairs present more than once in the database (goal 0).

Odoo 18 comes from ``$ODOO_PYTHON`` and PostgreSQL from ``PG*`` or a throwaway cluster
(tools/devenv.py), as for bench_p1_capture.py. Without an Odoo 18 the benchmark is skipped
(exit 0). The database (``bench_p4_<pid>``) is dropped at the end. The same file is the driver
run inside Odoo (``--driver``); the set-up around the measure is bench/_harness.py's.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import _harness

#: orders per sandbox hour: MWS (the first goal), SP-API (issue 13)
GOAL_PER_HOUR = {"mws": 10_000, "spapi": 20_000}
GOAL_PER_SECOND = 20
IMPORTABLE = ("Unshipped", "PartiallyShipped", "Shipped")
SKUS = [f"DEMO-SKU-{n:03d}" for n in range(1, 41)]


# ------------------------------------------------------------------------------------ driver


_log = _harness.progress("p4")


def _env(cr):
    return _harness.odoo_env(cr, admin=False)


def _setup(registry, sandbox, creds, name, scale, mode, api="mws"):
    with registry.cursor() as cr:
        env = _env(cr)
        Product = env["product.product"].with_context(integrator_no_capture=True)
        products = Product.search([("default_code", "in", SKUS)])
        if not products:
            products = Product.create(
                [
                    {
                        "name": f"Bench {sku}",
                        "default_code": sku,
                        "type": "consu",
                        "is_storable": True,
                        "list_price": 10.0,
                    }
                    for sku in SKUS
                ]
            )
            stock = env["stock.warehouse"].search([], limit=1).lot_stock_id
            for product in products:
                env["stock.quant"].with_context(
                    integrator_no_capture=True
                )._update_available_quantity(product, stock, 1_000_000)
        account = _harness.create_account(
            env,
            sandbox,
            creds,
            name,
            scale,
            api=api,
            sync_interval=60,
            order_import_mode=mode,
            # the sandbox's payment hold is 30 minutes (Amazon's: up to about 90)
            order_report_lag_minutes=45,
            order_report_interval_minutes=10,
        )
        account.write(
            {"clock_server_ref": _harness.sandbox_clock(sandbox), "clock_local_ref": time.time()}
        )
        cr.commit()
        return account.id


def _count(registry, account_id):
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM sale_order WHERE amazon_account_id = %s", (account_id,))
        return cr.fetchone()[0]


def _duplicates(registry):
    with registry.cursor() as cr:
        cr.execute(
            """SELECT count(*) FROM (SELECT 1 FROM sale_order WHERE amazon_order_id IS NOT NULL
               GROUP BY amazon_account_id, amazon_order_id HAVING count(*) > 1) d"""
        )
        return cr.fetchone()[0]


def _step(registry, account_id):
    with registry.cursor() as cr:
        env = _env(cr)
        account = env["amazon.account"].browse(account_id)
        errors = account._orders_step(auto_commit=True)
        state = (account.order_auto_path, bool(account._report_request("orders")))
        cr.commit()
        return errors, state


def _remote_importable(sandbox, creds):
    orders = sandbox.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    return {o["amazon_order_id"] for o in orders if o["status"] in IMPORTABLE}, orders


def new_report_orders(sandbox, creds, count, seed):
    """``count`` new orders of the seller, paid, as the order report path reads them: the
    importable ones of the seller as order dicts (P6, R1)."""
    from odoo.addons.amazon_integration.models.amazon_order_import import from_json

    sandbox.admin(
        "POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": count, "seed": seed}
    )
    sandbox.advance(3600)  # the payment hold over
    importable, orders = _remote_importable(sandbox, creds)
    dicts = []
    for order in orders:
        if order["amazon_order_id"] in importable:
            order = from_json(order)
            order.update(items_complete=True, order_total_source="amazon", source="report")
            dicts.append(order)
    return dicts


def _throughput(registry, sandbox, args):
    creds = sandbox.new_seller()
    account_id = _setup(registry, sandbox, creds, "P4 throughput", args.scale, args.mode, args.api)
    with _harness.import_lanes(registry, args.lanes, "p4"):
        return _throughput_run(registry, sandbox, args, creds, account_id)


def _throughput_run(registry, sandbox, args, creds, account_id):
    start = _harness.sandbox_clock(sandbox)
    batches = 12
    per_batch = [
        args.orders // batches + (1 if n < args.orders % batches else 0) for n in range(12)
    ]
    generated = 0
    interval_real = 60 / args.scale
    deadline = start + 3600 + args.drain_minutes * 60
    in_first_hour = None
    step_seconds = 0.0
    steps = 0
    errors = []
    paths = set()
    finished_at = None
    while True:
        tick = time.monotonic()
        now = _harness.sandbox_clock(sandbox)
        while generated < batches and now >= start + generated * 300:
            sandbox.admin(
                "POST",
                f"/admin/sellers/{creds.seller_id}/orders",
                {"count": per_batch[generated], "seed": 4000 + generated},
            )
            generated += 1
        before = time.monotonic()
        step_errors, (path, _reporting) = _step(registry, account_id)
        step_seconds += time.monotonic() - before
        steps += 1
        paths.add(path)
        errors += step_errors
        now = _harness.sandbox_clock(sandbox)
        if in_first_hour is None and now >= start + 3600:
            in_first_hour = _count(registry, account_id)
            _log(f"first sandbox hour: {in_first_hour} orders imported")
        if generated == batches and now >= start + 3600:
            importable, remote = _remote_importable(sandbox, creds)
            pending = [o for o in remote if o["status"] in ("Pending", "PendingAvailability")]
            done = _count(registry, account_id)
            if not pending and done >= len(importable):
                finished_at = now
                break
        if now >= deadline:
            break
        if steps % 10 == 0:
            _log(
                f"sandbox +{(now - start) / 60:.0f} min: {_count(registry, account_id)} imported,"
                f" path {path}"
            )
        time.sleep(max(0.0, interval_real - (time.monotonic() - tick)))
    importable, orders = _remote_importable(sandbox, creds)
    imported = _count(registry, account_id)
    if in_first_hour is None:
        in_first_hour = imported
    with registry.cursor() as cr:
        cr.execute(
            "SELECT extract(epoch FROM create_date) FROM sale_order "
            "WHERE amazon_account_id = %s ORDER BY 1",
            (account_id,),
        )
        created = [float(r[0]) for r in cr.fetchall()]
    with registry.cursor() as cr:
        calls = {
            bucket: [count, throttled]
            for bucket, count, throttled in _harness.quota_buckets(cr, account_id)
        }
    rows = _harness.seller_throttle(sandbox, creds.seller_id)
    return {
        "generated": len(orders),
        "importable": len(importable),
        "imported": imported,
        "in_first_hour": in_first_hour,
        # the most sale orders created in any 60 sandbox minutes (orders arrive over one
        # sandbox hour and are paid --payment-hold-minutes later: the first hour sees less)
        "best_hour": _harness.best_window([(t, 1) for t in created], 3600 / args.scale),
        "sandbox_minutes": ((finished_at or _harness.sandbox_clock(sandbox)) - start) / 60,
        "finished": finished_at is not None,
        "throttled": sum(r["throttled"] + r["quota_exceeded"] for r in rows),
        "sandbox_calls": {r["operation"]: r["allowed"] for r in rows},
        "calls": calls,
        "steps": steps,
        "step_seconds": step_seconds,
        "paths": sorted(paths),
        "errors": errors[:10],
        "account_id": account_id,
        "seller": creds.seller_id,
    }


def _speed(registry, sandbox, args):
    from odoo.addons.amazon_integration.models.amazon_order_import import from_json

    creds = sandbox.new_seller()
    account_id = _setup(registry, sandbox, creds, "P4 speed", args.scale, "api", args.api)
    sandbox.admin(
        "POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": args.speed_orders, "seed": 9}
    )
    sandbox.advance(3600)
    _importable, orders = _remote_importable(sandbox, creds)
    dicts = []
    for order in orders:
        order = from_json(order)
        order.update(items_complete=True, order_total_source="amazon", source="ListOrders")
        dicts.append(order)
    created = 0
    started = time.perf_counter()
    for start in range(0, len(dicts), 200):
        with registry.cursor() as cr:
            env = _env(cr)
            result = (
                env["amazon.account"].browse(account_id)._import_orders(dicts[start : start + 200])
            )
            cr.commit()
        created += result["created"] + result["exceptions"]
    elapsed = time.perf_counter() - started
    baseline = _bare_odoo(registry, account_id)
    # R2 on these dicts: the same orders again
    with registry.cursor() as cr:
        env = _env(cr)
        again = env["amazon.account"].browse(account_id)._import_orders(dicts)
        cr.commit()
    return {
        "orders": len(dicts),
        "created": created,
        "seconds": elapsed,
        "per_second": created / elapsed if elapsed else 0.0,
        "baseline": baseline,
        "again_created": again["created"] + again["exceptions"],
        "again_errors": again["errors"][:5],
    }


def _bare_odoo(registry, account_id):
    """What Odoo itself takes for the same orders without the connector: the imported
    orders copied by plain ORM calls (a customer and a delivery contact, the order with the
    same lines, confirmation in batches of 200 with a commit after each): the floor under
    the connector's Odoo-side speed on this machine."""
    from odoo import Command

    with registry.cursor() as cr:
        env = _env(cr)
        orders = env["sale.order"].search(
            [("amazon_account_id", "=", account_id), ("state", "=", "sale")]
        )
        specs = [
            {
                "buyer": {"name": so.partner_id.name, "email": so.partner_id.email},
                "delivery": {
                    k: so.partner_shipping_id[k]
                    for k in ("name", "street", "street2", "city", "zip")
                }
                | {"country_id": so.partner_shipping_id.country_id.id, "type": "delivery"},
                "warehouse_id": so.warehouse_id.id,
                "pricelist_id": so.pricelist_id.id,
                "lines": [
                    {
                        "product_id": line.product_id.id,
                        "name": line.name,
                        "product_uom_qty": line.product_uom_qty,
                        "price_unit": line.price_unit,
                        "tax_id": [Command.clear()],
                    }
                    for line in so.order_line
                ],
            }
            for so in orders
        ]
    started = time.perf_counter()
    for start in range(0, len(specs), 200):
        with registry.cursor() as cr:
            env = _harness.odoo_env(cr, admin=False, tracking_disable=True)
            created = env["sale.order"]
            for spec in specs[start : start + 200]:
                buyer = env["res.partner"].create(spec["buyer"])
                delivery = env["res.partner"].create(dict(spec["delivery"], parent_id=buyer.id))
                created |= env["sale.order"].create(
                    {
                        "partner_id": buyer.id,
                        "partner_shipping_id": delivery.id,
                        "warehouse_id": spec["warehouse_id"],
                        "pricelist_id": spec["pricelist_id"],
                        "order_line": [Command.create(line) for line in spec["lines"]],
                    }
                )
            created.action_confirm()
            cr.commit()
    elapsed = time.perf_counter() - started
    return {
        "orders": len(specs),
        "seconds": elapsed,
        "per_second": len(specs) / elapsed if elapsed else 0.0,
    }


def _replay(registry, sandbox, throughput, args):
    """R2: serve the same orders again: listing rewound twice, the report re-requested."""
    account_id = throughput["account_id"]
    before = _count(registry, account_id)
    for mode in ("api", "api", "report"):
        with registry.cursor() as cr:
            account = _env(cr)["amazon.account"].browse(account_id)
            values = {
                "order_import_mode": mode,
                "order_listing_state": False,
                "order_checkpoint": account.order_checkpoint
                and account.order_checkpoint - timedelta(hours=2),
            }
            if mode == "report":
                values.update(order_report_checkpoint=False, order_update_checkpoint=False)
                for lane in ("orders", "updates"):
                    account._report_request(lane)._close()
            account.write(values)
            cr.commit()
        for _n in range(40):
            _step(registry, account_id)
            with registry.cursor() as cr:
                account = _env(cr)["amazon.account"].browse(account_id)
                busy = (
                    account.order_listing_state
                    or account._report_request("orders")
                    or account._report_request("updates")
                )
            if not busy:
                break
            _next_minute(registry, sandbox, account_id)
    # what the reports staged again is imported (or found known) before counting, by the
    # step's own share (the lanes stopped with the throughput measure)
    for _n in range(300):
        with registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM amazon_order_stage WHERE account_id = %s", [account_id]
            )
            if not cr.fetchone()[0]:
                break
        _step(registry, account_id)
    return {"created_by_replays": _count(registry, account_id) - before}


def _next_minute(registry, sandbox, account_id):
    """The sandbox one minute on at once, and the account's clock with it: R2 counts
    duplicates, not time, and SP-API's searchOrders (a page every 3 minutes) would take
    hours of real time to list two hours of orders again."""
    sandbox.advance(60)
    with registry.cursor() as cr:
        account = _env(cr)["amazon.account"].browse(account_id)
        account.write(
            {"clock_server_ref": _harness.sandbox_clock(sandbox), "clock_local_ref": time.time()}
        )
        cr.commit()


def _measure(args, registry):
    with _harness.sandbox(
        seed=4,
        time_scale=args.scale,
        payment_hold_minutes=args.payment_hold_minutes,
        prefix="p4-sandbox-",
    ) as sandbox:
        _log(f"sandbox at {sandbox.url}, time scale {args.scale}")
        speed = _speed(registry, sandbox, args)
        _log(f"speed: {speed['per_second']:.1f} orders/s")
        throughput = _throughput(registry, sandbox, args)
        _log(f"throughput: {throughput['imported']} imported")
        replay = _replay(registry, sandbox, throughput, args)
    return {
        "speed": speed,
        "throughput": throughput,
        "replay": replay,
        "duplicates": _duplicates(registry),
    }


def driver(argv):
    parser = _harness.parser(__doc__, _options, driver=True)
    return _harness.driver_main(argv, parser, _measure, log_level="info")


# ------------------------------------------------------------------------------------ parent


def _print(result, args):
    speed, tp, replay = result["speed"], result["throughput"], result["replay"]
    hours = max(tp["sandbox_minutes"], 1) / 60
    goal = GOAL_PER_HOUR[args.api]
    print(
        f"\nP4: order import, sandbox time scale {args.scale:g}, mode {args.mode}, API {args.api}"
    )
    print(
        f"  generated {tp['generated']} orders over one sandbox hour, {tp['importable']} "
        f"importable (the rest canceled by buyers)"
    )
    print(
        f"  imported {tp['imported']} ({tp['in_first_hour']} by the end of the first hour), "
        f"all in {tp['sandbox_minutes']:.0f} sandbox minutes"
        + ("" if tp["finished"] else " (deadline reached: NOT all imported)")
    )
    print(f"  paths used: {', '.join(tp['paths'])}; {tp['steps']} steps")
    print(f"  calls per quota bucket (Odoo's count): {tp['calls']}")
    print(f"  throttled answers (sandbox's count): {tp['throttled']}")
    print(
        f"  Odoo time in the steps: {tp['step_seconds']:.0f} s real "
        f"({tp['imported'] / tp['step_seconds']:.1f} orders/s including the HTTP calls)"
        if tp["step_seconds"]
        else ""
    )
    if tp["errors"]:
        print(f"  errors: {tp['errors']}")
    print(
        f"  Odoo-side speed: {speed['created']} orders in {speed['seconds']:.1f} s = "
        f"{speed['per_second']:.1f} orders/s (goal >= {GOAL_PER_SECOND})"
    )
    base = speed.get("baseline") or {}
    if base.get("per_second"):
        print(
            f"  bare Odoo, same orders without the connector (2 contacts, order, lines, "
            f"confirmation): {base['orders']} in {base['seconds']:.1f} s = "
            f"{base['per_second']:.1f} orders/s; the connector runs at "
            f"{speed['per_second'] / base['per_second']:.0%} of that"
        )
    if tp.get("best_hour") is not None:
        print(
            f"  best sandbox hour: {tp['best_hour']} orders imported in 60 sandbox minutes "
            f"(goal >= {goal})"
        )
    rate = tp["imported"] / hours
    print(
        f"  rate observed: {rate:.0f} orders per sandbox hour over the run; the report path's "
        f"ceiling is Odoo's speed: {speed['per_second'] * 3600:.0f} orders per real hour "
        f"(goal >= {goal} per hour)"
    )
    print(
        f"R2: orders created by replays {replay['created_by_replays']}, by re-importing the "
        f"same dicts {speed['again_created']}, duplicate (account, order id) pairs "
        f"{result['duplicates']} (goal 0)"
    )
    ok = (
        tp["throttled"] == 0
        and tp["finished"]
        and (tp.get("best_hour") or 0) >= goal
        and speed["per_second"] >= GOAL_PER_SECOND
        and not (replay["created_by_replays"] or speed["again_created"] or result["duplicates"])
    )
    _harness.print_verdict("P4/R2", ok, note=" (see the figures above)")


def _options(parser):
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--speed-orders", type=int, default=1000)
    _harness.sandbox_options(parser, scale=30.0, scale_flag="--time-scale", drain_minutes=90.0)
    parser.add_argument("--mode", choices=("auto", "api", "report"), default="auto")
    parser.add_argument(
        "--payment-hold-minutes",
        type=int,
        default=30,
        help="sandbox minutes from an order to its payment (Amazon's: up to about 90); "
        "1 starts the import at once",
    )
    parser.add_argument(
        "--lanes",
        type=int,
        default=0,
        help="order import lanes run by a real Odoo server's cron workers beside the steps",
    )
    parser.add_argument(
        "--api",
        choices=("mws", "spapi"),
        default="mws",
        help="the account's API (spapi: with the Direct-to-Consumer Shipping role)",
    )


def main(argv=None):
    parser = _harness.parser(__doc__, _options, database=True)
    args = parser.parse_args(argv)
    return _harness.run_odoo_bench("P4", __file__, parser, args, _print)


if __name__ == "__main__":
    sys.exit(_harness.entry(main, driver))
