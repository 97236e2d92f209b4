"""Benchmark P6: the staged order import on Odoo's own cron runner, one worker then two.

    python bench/bench_p6_workers.py [--orders 600] [--template DB] [--keep-db]

One database with our addons (or copied from ``--template``). A sandbox seller receives
``2 x --orders + --warmup`` orders (the generator's mix: AFN, promotions, gift wrap, every
50th order with 30 lines), read as order dicts as an order report gives them. Then, twice:

* half of them staged (``amazon.order.stage._stage``, what the report path does);
* every cron deactivated but ``K`` import lanes (``Amazon: import orders``);
* a real Odoo server in workers mode, ``--workers 1 --max-cron-threads K`` (the configuration
  README.md documents: ``--limit-time-real-cron 600 --limit-time-cpu 600``), started and left
  to its cron runner until nothing is staged, then stopped;
* measured from the sale orders' own ``create_date``: orders per second from the first
  created to the last (the server's start is not counted).

``K`` = 1, then 2, after a warm-up run of ``--warmup`` orders with one worker (the first
orders of a database cost more), not measured. Then bare Odoo on the same orders in one
process (the plain ORM calls of bench_p4_orders.py: two contacts, the order, its lines,
confirmation in batches of 200).
Reported: connector ÷ bare Odoo per worker (goal ≥ 0.95), 2 workers ÷ 1 (goal ≥ 1.6), the
batches undone by a deadlock between the workers and tried again, and every Amazon order
exactly one sale order (duplicates and orders left: goal 0).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import _harness
import bench_p4_orders as p4

GOAL_PER_WORKER = 0.95
GOAL_TWO_WORKERS = 1.6
_log = _harness.progress("p6")


def _cpu(database):
    """CPU seconds so far of this database's PostgreSQL backends and of the Odoo server
    processes serving it, and of the whole machine (busy, from /proc/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    usage = {"postgres": 0.0, "odoo": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            usage["postgres"] += seconds
        elif database in cmdline and "odoo" in cmdline and "--driver" not in cmdline:
            # the server and its workers (their titles name the database too)
            usage["odoo"] += seconds
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    idle = int(cpu[3]) + int(cpu[4])
    usage["machine"] = (sum(int(v) for v in cpu[:8]) - idle) / ticks
    return usage


def _orders(registry, args):
    """A seller's orders as the report path reads them, and the account importing them."""
    with _harness.sandbox(seed=6, time_scale=1.0, prefix="p6-sandbox-") as box:
        creds = box.new_seller()
        account_id = p4._setup(registry, box, creds, "P6 workers", 1.0, "report")
        count = args.orders * 2 + args.warmup
        return account_id, p4.new_report_orders(box, creds, count, seed=6)


def _run(registry, account_id, dicts, workers, args):
    database = registry.db_name
    ids = [o["amazon_order_id"] for o in dicts]
    with registry.cursor() as cr:
        env = p4._env(cr)
        account = env["amazon.account"].browse(account_id)
        env["amazon.order.stage"]._stage(account, dicts)
        cr.commit()
    _harness.only_lanes(registry, workers)
    logfile = _harness.devenv.CACHE / f"bench-p6-server-{workers}.log"
    _log(f"{workers} worker(s): {len(dicts)} orders staged, Odoo server started")
    started = time.monotonic()
    left = len(dicts)
    with _harness.cron_server(database, workers, logfile, all_busy=True) as server:
        cpu_start = _cpu(database)
        while time.monotonic() - started < args.timeout:
            time.sleep(2)
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT count(*), count(*) FILTER (WHERE error IS NOT NULL)"
                    " FROM amazon_order_stage WHERE account_id = %s",
                    (account_id,),
                )
                left, failed = cr.fetchone()
            if left == failed:
                break
            if server.poll() is not None:
                break
        cpu_end = _cpu(database)
        wall = time.monotonic() - started
    with registry.cursor() as cr:
        cr.execute(
            """SELECT count(*), count(DISTINCT amazon_order_id),
                      extract(epoch FROM max(create_date) - min(create_date))
               FROM sale_order WHERE amazon_account_id = %s AND amazon_order_id = ANY(%s)""",
            (account_id, ids),
        )
        count, distinct, seconds = cr.fetchone()
        cr.execute(
            "SELECT count(*) FROM sale_order WHERE amazon_account_id = %s"
            " AND amazon_order_id = ANY(%s) AND amazon_exception IS NOT NULL",
            (account_id, ids),
        )
        exceptions = cr.fetchone()[0]
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    seconds = float(seconds or 0)
    result = {
        "workers": workers,
        "orders": len(dicts),
        "sale_orders": count,
        "distinct": distinct,
        "exceptions": exceptions,
        "left": left,
        "seconds": seconds,
        "per_second": count / seconds if seconds else 0.0,
        "undone": text.count("batch undone"),
        "cpu": {key: cpu_end[key] - cpu_start[key] for key in cpu_end},
        "wall": wall,
        "lock_wait": sum(float(w) for w in re.findall(r"waited ([\d.]+) s to confirm", text)),
        "confirm": sum(float(w) for w in re.findall(r"to confirm \d+ in ([\d.]+) s", text)),
        "import": sum(float(w) for w in re.findall(r"\d+ orders in ([\d.]+) s, waited", text)),
        "errors": text.count(" ERROR "),
        "warnings": text.count(" WARNING "),
        "log": str(logfile),
    }
    _log(f"{workers} worker(s): {count} sale orders in {seconds:.1f} s, {left} left")
    return result


def _measure(args, registry):
    account_id, dicts = _orders(registry, args)
    warmup, dicts = dicts[: args.warmup], dicts[args.warmup :]
    # the first orders of a database cost more (first partners, pricelist, caches): a
    # warm-up run, not measured, so that neither measured run pays for them
    _run(registry, account_id, warmup, 1, args)
    half = len(dicts) // 2
    runs = [
        _run(registry, account_id, dicts[:half], 1, args),
        _run(registry, account_id, dicts[half : 2 * half], 2, args),
    ]
    _log("bare Odoo on the same orders")
    bare = p4._bare_odoo(registry, account_id)
    return {"runs": runs, "bare": bare, "duplicates": p4._duplicates(registry)}


def driver(argv):
    parser = _harness.parser(__doc__, _options, driver=True)
    return _harness.driver_main(argv, parser, _measure, log_level="info")


# ------------------------------------------------------------------------------------ parent


def _print(result, args):
    one, two = result["runs"]
    bare = result["bare"]
    print(
        f"\nP6: staged order import on Odoo's cron runner (workers mode), {one['orders']} + "
        f"{two['orders']} orders"
    )
    for run in (one, two):
        print(
            f"  {run['workers']} worker(s): {run['sale_orders']} sale orders "
            f"({run['distinct']} distinct Amazon orders, {run['exceptions']} in exception) in "
            f"{run['seconds']:.1f} s = {run['per_second']:.2f} orders/s; {run['left']} left "
            f"staged; batches undone by a deadlock and tried again: {run['undone']}; "
            f"server log ERROR {run['errors']}, WARNING {run['warnings']} ({run['log']})"
        )
    for run in (one, two):
        cpu = run["cpu"]
        print(
            f"  {run['workers']} worker(s), CPU seconds while the lanes ran ({run['wall']:.0f} s "
            f"wall, {os.cpu_count()} CPUs): Odoo {cpu['odoo']:.0f}, PostgreSQL "
            f"{cpu['postgres']:.0f}, machine {cpu['machine']:.0f}; in the workers: import "
            f"{run['import']:.0f} s, confirmation {run['confirm']:.0f} s, waiting for the "
            f"confirmation lock {run['lock_wait']:.0f} s"
        )
    print(
        f"  bare Odoo, one process, the same orders: {bare['orders']} in {bare['seconds']:.1f} s"
        f" = {bare['per_second']:.2f} orders/s"
    )
    per_worker = one["per_second"] / bare["per_second"] if bare["per_second"] else 0.0
    scaling = two["per_second"] / one["per_second"] if one["per_second"] else 0.0
    print(f"  connector (1 worker) / bare Odoo: {per_worker:.2f} (goal >= {GOAL_PER_WORKER})")
    print(f"  2 workers / 1 worker: {scaling:.2f} (goal >= {GOAL_TWO_WORKERS})")
    exact = all(
        run["sale_orders"] == run["distinct"] == run["orders"] and not run["left"]
        for run in (one, two)
    )
    print(
        f"  every Amazon order exactly one sale order: {'yes' if exact else 'NO'}; duplicate "
        f"(account, order id) pairs: {result['duplicates']} (goal 0)"
    )
    ok = exact and not result["duplicates"]
    ok = ok and per_worker >= GOAL_PER_WORKER and scaling >= GOAL_TWO_WORKERS
    _harness.print_verdict("P6", ok, note=" (see the figures above)")


def _options(parser):
    parser.add_argument("--orders", type=int, default=600, help="orders per run (two runs)")
    parser.add_argument("--timeout", type=float, default=1800, help="real seconds per run")
    parser.add_argument("--warmup", type=int, default=100, help="orders of the warm-up run")


def main(argv=None):
    parser = _harness.parser(__doc__, _options, database=True)
    args = parser.parse_args(argv)
    return _harness.run_odoo_bench("P6", __file__, parser, args, _print)


if __name__ == "__main__":
    sys.exit(_harness.entry(main, driver))
