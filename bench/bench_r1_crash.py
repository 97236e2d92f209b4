"""R1: kill -9 of Odoo's cron worker at random moments, then count what it cost.

    python bench/bench_r1_crash.py [--kills 20] [--orders-per-kill 40] [--products 200]
                                   [--phases import,catalog] [--template DB] [--seed 1]
                                   [--keep-db]

One database with our addons (or copied from ``--template``), a real Odoo server in workers
mode (two cron workers, the configuration README.md documents) and the sandbox. A killed
worker is replaced by Odoo's master, as after any crash.

Phase **order import** (the staged import, ``amazon.order.stage``): ``--kills`` times, a new
batch of ``--orders-per-kill`` sandbox orders is staged as the report path stages them, the
lanes are woken, and after a random 0.5–6 s the cron worker busy in a transaction on the
database (``pg_stat_activity``, Odoo names its connections ``odoo-<pid>``; else any cron
worker) gets SIGKILL. Then the run waits until nothing is staged. Counted (goal: all 0):

* orders lost: staged Amazon orders with neither a sale order nor a staged row;
* sale orders duplicated: (account, Amazon order id) pairs with more than one sale order;
* half-written orders: sale orders of the run neither confirmed nor kept in exception;
* rows stuck: staged rows left (or failed) after the drain.

Phases **feed building**, **feed submission** and **feed polling** (the MWS catalog feeds of
the sync cron, ``--products`` listed products, the sandbox ``--scale`` times faster than
real time): round after round, every product gets a new price (a price feed of
``--products`` messages per round) and the sync cron is woken; the worker that logs the
phase's first step (DEBUG lines of the catalog: "building a … feed", "submitting feed",
"polling … feeds") is killed a random moment later, within the phase's usual length (a
submission's answer comes 1.5 s late: the sandbox's ``slow_answer`` fault, so that kills land
while Amazon has the feed and Odoo does not know it yet). A kill counts for its phase when
the worker had not logged the phase's end ("submitting", "submitted as", "feeds polled"),
until each phase has ``--kills`` of them. Then no more changes, and the cron runs until
nothing is queued or in flight. Counted (goal: all 0):

* feed messages sent twice: the same message (type, SKU and content; every round's prices
  are new) in two feeds the sandbox received;
* prices lost: SKUs whose price on Amazon is not the product's last price;
* rows stuck: the products' integration rows still Submitted or Pending, queue entries or
  feeds not finished, after the drain (``--drain-seconds``; it reports the cycles it took).

Phases **settlement download** and **settlement reconciliation** (the account's settlement
step, in a cron of the benchmark's own that runs nothing else): round after round, nine
sandbox orders are bought, paid and shipped, and a day later settled (``/admin/.../settle``);
in Odoo a third of them are confirmed and invoiced, a third confirmed only (the
reconciliation invoices them), a third unknown (suspense). The cron is woken and the worker
killed a random moment after "downloading settlement report" (until "report … stored") or
"reconciling" (until "… reconciled"), until each phase has ``--kills``. Then the cron runs
until every settlement is reconciled. Counted (goal: all 0): settlements missing, left
unreconciled, booked twice (entries in the settlement journal that are no settlement's),
whose lines do not add up to the settlement's total, orders invoiced twice, orders of the
settlements not paid.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sys
import time
from datetime import datetime, timezone

import _harness
import bench_p4_orders as p4

_log = _harness.progress("r1")
#: the catalog phases: their first step's DEBUG line, the lines that end them, and their
#: usual length (s): a kill comes a random moment within it after the first line
CATALOG_PHASES = {
    "feed building": (r"building a price feed \(\d+\)$", r"submitting feed", 0.25),
    "feed submission": (r"submitting feed \d+$", r"submitted as", 1.6),
    "feed polling": (r"polling \d+ feeds$", r"feeds polled$", 0.2),
}
SLOW_ANSWER = 1.5
SETTLEMENT_PHASES = {
    "settlement download": (r"downloading settlement report \S+$", r"report \S+ stored$", 0.06),
    "settlement reconciliation": (r"reconciling .*$", r" reconciled$", 0.6),
}


def _busy_worker(registry, server_pid, cron_pids):
    """The pid of a cron worker now inside a transaction on the database (else any cron
    worker still alive)."""
    with registry.cursor() as cr:
        cr.execute(
            """SELECT application_name FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND xact_start IS NOT NULL AND application_name LIKE 'odoo-%%'""",
        )
        busy = [int(name.split("-", 1)[1]) for (name,) in cr.fetchall()]
    busy = [pid for pid in busy if pid in cron_pids and _alive(pid)]
    if busy:
        return random.choice(busy), True
    alive = [pid for pid in cron_pids if _alive(pid)]
    return (random.choice(alive), False) if alive else (None, False)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _cron_pids(logfile):
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    return {int(pid) for pid in re.findall(r"Worker WorkerCron \((\d+)\) alive", text)}


def _import_phase(registry, args):
    rng = random.Random(args.seed)
    random.seed(args.seed)
    logfile = _harness.devenv.CACHE / "bench-r1-server.log"
    kills = []
    staged_ids = set()
    with _harness.sandbox(seed=args.seed, time_scale=1.0, prefix="r1-sandbox-") as box:
        creds = box.new_seller()
        account_id = p4._setup(registry, box, creds, "R1 crash", 1.0, "report")
        _harness.only_lanes(registry, 2)
        with _harness.cron_server(registry.db_name, 2, logfile) as server:
            for n in range(args.kills):
                dicts = p4.new_report_orders(box, creds, args.orders_per_kill, 1000 + n)
                dicts = [o for o in dicts if o["amazon_order_id"] not in staged_ids]
                with registry.cursor() as cr:
                    env = p4._env(cr)
                    Stage = env["amazon.order.stage"]
                    Stage._stage(env["amazon.account"].browse(account_id), dicts)
                    Stage._trigger_lanes()
                    cr.commit()
                staged_ids |= {o["amazon_order_id"] for o in dicts}
                time.sleep(rng.uniform(0.5, 6.0))
                pid, busy = _busy_worker(registry, server.pid, _cron_pids(logfile))
                if pid:
                    os.kill(pid, signal.SIGKILL)
                    kills.append({"pid": pid, "busy": busy})
                _log(f"kill {n + 1}: {len(dicts)} orders staged, worker {pid} (busy: {busy})")
                # the master notices and starts a new worker
                _harness.devenv.wait_for(lambda pid=pid: pid is None or not _alive(pid), 10)
            deadline = time.monotonic() + args.drain_seconds
            while time.monotonic() < deadline:
                with registry.cursor() as cr:
                    cr.execute(
                        "SELECT count(*) FILTER (WHERE error IS NULL) FROM amazon_order_stage"
                    )
                    if not cr.fetchone()[0]:
                        break
                time.sleep(3)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT amazon_order_id, state, amazon_exception FROM sale_order"
            " WHERE amazon_account_id = %s",
            (account_id,),
        )
        sale_orders = cr.fetchall()
        cr.execute("SELECT amazon_order_id, error FROM amazon_order_stage")
        stuck = cr.fetchall()
    imported = {oid for oid, _state, _exc in sale_orders}
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    return {
        "phase": "order import",
        "kills": len(kills),
        "busy_kills": sum(1 for k in kills if k["busy"]),
        "staged": len(staged_ids),
        "sale_orders": len(sale_orders),
        "lost": len(staged_ids - imported - {oid for oid, _e in stuck}),
        "duplicated": len(sale_orders) - len(imported),
        "half_written": sum(1 for _o, state, exc in sale_orders if state != "sale" and not exc),
        "exceptions": sum(1 for _o, _s, exc in sale_orders if exc),
        "stuck": len(stuck),
        "undone_batches": text.count("batch undone"),
        "log_errors": text.count(" ERROR "),
        "log": str(logfile),
    }


class _ServerLog:
    """The DEBUG lines of the server's log, read as it grows: (pid, text) after the
    account's name."""

    LINE = re.compile(r"^\S+ \S+ (\d+) DEBUG \S+ \S+: Amazon account [^:]*: (.*)$")

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def skip(self):
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def read(self):
        if not self.path.exists():
            return []
        with open(self.path, errors="replace") as file:
            file.seek(self.offset)
            text = file.read()
        cut = text.rfind("\n") + 1  # a line still being written waits for the next read
        self.offset += len(text[:cut].encode())
        found = []
        for line in text[:cut].splitlines():
            match = self.LINE.match(line)
            if match:
                found.append((int(match.group(1)), match.group(2).rstrip()))
        return found


class CatalogCrash(_harness.SandboxRun):
    """The catalog phases: products listed and sent (in this process), then a real server
    whose cron workers are killed while they build, submit or poll feeds."""

    tag = "r1"
    quota_models = ("amazon_catalog",)

    def setup(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            env["amazon.account"].search([]).write({"auto_sync": False})  # earlier phases
            account = self.create_account(env, sync_interval=60)
            products, listings = self.list_products(env, account, lambda: 50)
            self.template_ids = products.product_tmpl_id.ids
            self.product_ids = products.ids
            self.skus = products.mapped("default_code")
            expected = _harness.amazon_quantities(listings)
            sync = env.ref("amazon_integration.ir_cron_amazon_sync")
            self.sync_cron_id = sync.id
        return expected

    def new_prices(self, round_no):
        """Every product a price it never had; returns it."""
        price = round(20 + round_no / 100, 2)
        with self.registry.cursor() as cr:
            self.env(cr)["product.template"].browse(self.template_ids).write({"list_price": price})
            cr.commit()
        return price

    def wake(self):
        with self.registry.cursor() as cr:
            _harness.odoo_env(cr)["ir.cron"].browse(self.sync_cron_id)._trigger()
            cr.commit()

    def slow_submission(self):
        self.box.admin(
            "POST",
            f"/admin/sellers/{self.seller}/faults",
            {"kind": "slow_answer", "count": 1, "operation": "SubmitFeed", "seconds": SLOW_ANSWER},
        )

    def clear_faults(self):
        self.box.admin("DELETE", f"/admin/sellers/{self.seller}/faults")

    def unsettled(self):
        """(rows Submitted or Pending, queue entries, feeds not finished) of the account."""
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT count(*) FROM product_integration
                    WHERE amazon_status IN ('submitted', 'pending')
                      AND ((res_model = 'product.product' AND res_id = ANY(%s))
                           OR (res_model = 'product.template' AND res_id = ANY(%s)))""",
                (self.product_ids, self.template_ids),
            )
            rows = cr.fetchone()[0]
            cr.execute(
                "SELECT count(*) FROM amazon_sync_queue WHERE account_id = %s", (self.account_id,)
            )
            queued = cr.fetchone()[0]
            cr.execute(
                "SELECT count(*) FROM amazon_feed WHERE account_id = %s"
                " AND state IN ('draft', 'submitted', 'in_progress')",
                (self.account_id,),
            )
            feeds = cr.fetchone()[0]
        return rows, queued, feeds

    def messages_sent_twice(self):
        """Messages (type, SKU, content but the MessageID) in more than one feed the sandbox
        received: the copies beyond the first; and the number of feeds."""
        from lxml import etree

        seen = {}
        feeds = self.box.admin("GET", f"/admin/sellers/{self.seller}/feeds")
        for feed in feeds:
            xml = self.box.admin("GET", f"/admin/sellers/{self.seller}/feeds/{feed['feed_id']}/xml")
            root = etree.fromstring(xml)
            message_type = root.findtext("MessageType")
            for message in root.iter("Message"):
                for child in message.findall("MessageID"):
                    message.remove(child)
                key = (message_type, etree.tostring(message, method="c14n"))
                seen[key] = seen.get(key, 0) + 1
        return sum(count - 1 for count in seen.values()), len(feeds)


def _catalog_phases(registry, args):
    logfile = _harness.devenv.CACHE / "bench-r1-catalog-server.log"
    with CatalogCrash(args, registry) as run:
        expected = run.setup()
        run.log(f"{len(expected)} products listed; sandbox {run.box.url}, seller {run.seller}")
        run.warm_up(expected)
        _harness.only_crons(registry, [run.sync_cron_id])
        log = _ServerLog(logfile)
        debug = ("amazon_catalog", "amazon_feed_exchange")
        prices = []

        def prepare(round_no, phase):
            prices.append(run.new_prices(round_no))
            if phase == "feed submission":
                run.slow_submission()

        with _harness.cron_server(registry.db_name, 2, logfile, debug=debug):
            kills, outside, round_no = _kill_rounds(
                run, args, log, CATALOG_PHASES, prepare, after=run.clear_faults
            )
            drain = _drain_catalog(run, args)
        twice, feeds = run.messages_sent_twice()
        catalog = run.catalog()
    lost = sum(
        1
        for sku in run.skus
        if sku not in catalog or float(catalog[sku]["price"] or 0) != prices[-1]
    )
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    rows, queued, in_flight = drain["left"]
    return {
        "phase": "catalog",
        "kills": {phase: len(done) for phase, done in kills.items()},
        "kills_after_the_phase": len(outside),
        "rounds": round_no,
        "feeds": feeds,
        "sent_twice": twice,
        "prices_lost": lost,
        "rows_stuck": rows,
        "queued_left": queued,
        "feeds_unfinished": in_flight,
        "drain": drain,
        "log_errors": text.count(" ERROR "),
        "log": str(logfile),
    }


class SettlementCrash(_harness.SandboxRun):
    """Settlement reconciliation: a settlement per round (orders shipped on Amazon, some of
    them invoiced in Odoo, some to invoice, the rest unknown), read and reconciled by the
    account's settlement step in a cron of its own, whose worker is killed."""

    tag = "r1s"

    def setup(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            env["amazon.account"].search([]).write({"auto_sync": False})
            account = self.create_account(env, settlement_auto_reconcile=True)
            account.auto_sync = False  # only the settlement cron below
            self.product_id = (
                env["product.product"]
                .create({"name": "R1 settled item", "type": "service", "invoice_policy": "order"})
                .id
            )
            cron = env["ir.cron"].create(
                {
                    "name": "R1: settlements",
                    "model_id": env.ref("amazon_integration.model_amazon_account").id,
                    "state": "code",
                    "code": f"model.browse({account.id})._settlements_locked(auto_commit=True)",
                    "interval_number": 1,
                    "interval_type": "days",
                }
            )
            self.cron_id = cron.id
            cr.commit()

    def new_settlement(self, round_no):
        """Orders bought, paid and shipped on Amazon, a day later settled; in Odoo a third of
        them invoiced, a third to invoice, a third unknown. Returns the sandbox report id."""
        from odoo import Command
        from odoo.addons.amazon_integration.lib.feeds import build_feed

        box, seller = self.box, self.seller
        box.admin("POST", f"/admin/sellers/{seller}/orders", {"count": 9, "seed": round_no})
        box.advance(3600)
        orders = [
            o
            for o in box.admin("GET", f"/admin/sellers/{seller}/orders")
            if o["status"] == "Unshipped" and o["fulfillment_channel"] == "MFN"
        ]
        now = _harness.sandbox_clock(box)
        if orders:
            feed = build_feed(
                "OrderFulfillment",
                seller,
                [
                    {
                        "key": o["amazon_order_id"],
                        "fulfillment_date": datetime.fromtimestamp(now, timezone.utc),
                        "amazon_order_id": o["amazon_order_id"],
                        "carrier": "UPS",
                        "shipping_method": "Ground",
                        "tracking_number": f"1Z{round_no:04d}{n:06d}",
                    }
                    for n, o in enumerate(orders)
                ],
            )
            box.process(self.creds, feed.xml, feed.feed_type)
        with self.registry.cursor() as cr:
            env = self.env(cr)
            for n, remote in enumerate(orders):
                if n % 3 == 2:
                    continue  # not in Odoo: suspense
                partner = env["res.partner"].create({"name": f"R1 buyer {round_no}-{n}"})
                order = env["sale.order"].create(
                    {
                        "partner_id": partner.id,
                        "amazon_account_id": self.account_id,
                        "amazon_order_id": remote["amazon_order_id"],
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": self.product_id,
                                    "price_unit": float(remote["order_total"]),
                                    "tax_id": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
                order.action_confirm()
                if n % 3 == 0:
                    order._create_invoices().action_post()
            cr.commit()
        # settled once Odoo has its orders (a settlement read before would leave them in
        # suspense: Amazon settles orders weeks after Odoo imported them)
        box.advance(5 * 3600)
        report_id = box.admin("POST", f"/admin/sellers/{seller}/settle")["report_id"]
        self.wake()
        return report_id

    def wake(self):
        """The settlement list due now, the cron triggered; again after a serialisation
        failure (the worker may be writing the account)."""
        from psycopg2.errors import SerializationFailure

        for _attempt in range(10):
            with self.registry.cursor() as cr:
                try:
                    cr.execute(
                        "UPDATE amazon_account SET settlement_next_check = NULL WHERE id = %s",
                        (self.account_id,),
                    )
                    _harness.odoo_env(cr)["ir.cron"].browse(self.cron_id)._trigger()
                    cr.commit()
                    return
                except SerializationFailure:
                    cr.rollback()
            time.sleep(0.2)

    def check(self, reports):
        """What the settlements owe: each report once, each booked once, nothing left."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            settlements = env["amazon.settlement"].search([("account_id", "=", self.account_id)])
            journal = settlements.journal_id
            moves = env["account.move"].search([("journal_id", "in", journal.ids)])
            orders = env["sale.order"].search([("amazon_account_id", "=", self.account_id)])
            return {
                "reports": len(reports),
                "settlements": len(settlements),
                "settlements_missing": len(set(reports) - set(settlements.mapped("report_id"))),
                "left_unreconciled": len(
                    settlements.filtered(lambda s: s.state not in ("reconciled", "partial"))
                ),
                "states": sorted(set(settlements.mapped("state"))),
                "booked_twice": len(moves - settlements.move_id),
                "unbalanced": len(
                    settlements.filtered(
                        lambda s: round(sum(s.line_ids.mapped("amount")) - s.total_amount, 2)
                    )
                ),
                "orders": len(orders),
                "invoiced_twice": len(
                    orders.filtered(
                        lambda o: len(o.invoice_ids.filtered(lambda m: m.state == "posted")) > 1
                    )
                ),
                "orders_not_paid": len(
                    orders.filtered(
                        lambda o: (
                            not o.invoice_ids
                            or any(
                                m.payment_state not in ("paid", "in_payment") for m in o.invoice_ids
                            )
                        )
                    )
                ),
            }


def _settlement_phase(registry, args):
    logfile = _harness.devenv.CACHE / "bench-r1-settlement-server.log"
    with SettlementCrash(args, registry) as run:
        run.setup()
        _harness.only_crons(registry, [run.cron_id])
        log = _ServerLog(logfile)
        reports = []
        with _harness.cron_server(
            registry.db_name, 2, logfile, debug=("amazon_settlement_account",)
        ):
            kills, outside, round_no = _kill_rounds(
                run,
                args,
                log,
                SETTLEMENT_PHASES,
                lambda round_no, _phase: reports.append(run.new_settlement(round_no)),
            )
            deadline = time.monotonic() + args.drain_seconds
            while time.monotonic() < deadline:
                check = run.check(reports)
                if not check["settlements_missing"] and not check["left_unreconciled"]:
                    break
                run.wake()
                time.sleep(3)
        check = run.check(reports)
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    return {
        "phase": "settlement",
        "kills": {phase: len(done) for phase, done in kills.items()},
        "kills_after_the_phase": len(outside),
        "rounds": round_no,
        **check,
        "log_errors": text.count(" ERROR "),
        "log": str(logfile),
    }


def _kill_rounds(run, args, log, phases, prepare, after=None):
    """Rounds until each of ``phases`` ({name: (first line, end lines, length)}) had
    ``--kills`` kills inside it: ``prepare(round_no, phase)`` makes the round's work, a
    worker is killed in the phase the fewest kills had, then ``after()``. Returns (the kills
    by phase, the kills that came after their phase had ended, the rounds)."""
    kills = {phase: [] for phase in phases}
    outside = []
    round_no = 0
    while round_no < args.max_rounds and min(map(len, kills.values())) < args.kills:
        round_no += 1
        phase = min(kills, key=lambda p: len(kills[p]))
        start, end, length = phases[phase]
        log.read()  # what came before this round
        prepare(round_no, phase)
        kill = _kill_in_phase(run, log, start, end, length)
        if after:
            after()
        if kill:
            (kills[phase] if kill["in_phase"] else outside).append(kill)
            where = "in" if kill["in_phase"] else "after"
            run.log(
                f"round {round_no}: {phase}, worker {kill['pid']} killed "
                f"{kill['after']:.2f} s in ({where} the phase)"
            )
        else:
            run.log(f"round {round_no}: {phase}: the phase did not start")
    return kills, outside, round_no


def _kill_in_phase(run, log, start, end, length):
    """Wake the sync cron until a worker logs ``start``; kill it a random moment within
    ``length`` later. Returns {pid, after, in_phase} (None: the phase never started)."""
    started_at = pid = None
    deadline = time.monotonic() + 20
    next_wake = 0.0
    while pid is None and time.monotonic() < deadline:
        if time.monotonic() >= next_wake:
            run.wake()
            next_wake = time.monotonic() + 2.0
        for line_pid, text in log.read():
            if re.search(start, text):
                pid, started_at = line_pid, time.monotonic()
                break
        else:
            time.sleep(0.01)
    if pid is None:
        return None
    time.sleep(run.rng.uniform(0.0, length))
    after = time.monotonic() - started_at
    if not _alive(pid):
        return None
    os.kill(pid, signal.SIGKILL)
    _harness.devenv.wait_for(lambda: not _alive(pid), 10)
    time.sleep(0.05)  # the last lines it wrote
    ended = any(line_pid == pid and re.search(end, text) for line_pid, text in log.read())
    return {"pid": pid, "after": after, "in_phase": not ended}


def _drain_catalog(run, args):
    """The sync cron until nothing is queued or in flight (and Amazon has every feed's
    answer), at most ``--drain-seconds``: {"cycles", "seconds", "left": (rows, queued,
    feeds)}."""
    started = time.monotonic()
    before = None
    cycles = 0
    left = run.unsettled()
    while time.monotonic() - started < args.drain_seconds:
        with run.registry.cursor() as cr:
            now = run.last_sync(cr)
        if now != before:
            cycles += before is not None
            before = now
            left = run.unsettled()
            if not any(left):
                break
        run.wake()
        time.sleep(1.0)
    return {"cycles": cycles, "seconds": round(time.monotonic() - started, 1), "left": left}


def _measure(args, registry):
    phases = []
    wanted = {name.strip() for name in args.phases.split(",")}
    if "import" in wanted:
        phases.append(_import_phase(registry, args))
    if "catalog" in wanted:
        phases.append(_catalog_phases(registry, args))
    if "settlement" in wanted:
        phases.append(_settlement_phase(registry, args))
    return {"phases": phases, "duplicates": p4._duplicates(registry)}


def driver(argv):
    parser = _harness.parser(__doc__, _options, driver=True)
    return _harness.driver_main(argv, parser, _measure, log_level="info")


# ------------------------------------------------------------------------------------ parent


def _print(result, args):
    print("\nR1: kill -9 of the cron worker at random moments")
    ok = not result["duplicates"]
    measured = []
    for phase in result["phases"]:
        if phase["phase"] == "catalog":
            ok = _print_catalog(phase) and ok
            measured += list(phase["kills"])
            continue
        if phase["phase"] == "settlement":
            ok = _print_settlement(phase) and ok
            measured += list(phase["kills"])
            continue
        measured.append(phase["phase"])
        print(
            f"  {phase['phase']}: {phase['kills']} kills ({phase['busy_kills']} inside a "
            f"transaction), {phase['staged']} Amazon orders staged, {phase['sale_orders']} sale "
            f"orders ({phase['exceptions']} kept in exception)"
        )
        print(
            f"    orders lost {phase['lost']}, sale orders duplicated {phase['duplicated']}, "
            f"half-written {phase['half_written']}, rows stuck {phase['stuck']} (goal: all 0); "
            f"batches undone by a deadlock {phase['undone_batches']}; ERROR lines in the "
            f"server log {phase['log_errors']} ({phase['log']})"
        )
        ok = ok and not any(phase[k] for k in ("lost", "duplicated", "half_written", "stuck"))
    _harness.print_verdict("R1", ok, ", ".join(measured))


def _print_catalog(phase):
    kills = ", ".join(f"{name} {count}" for name, count in phase["kills"].items())
    drain = phase["drain"]
    print(
        f"  catalog feeds: {phase['rounds']} rounds, kills inside the phase: {kills} "
        f"(and {phase['kills_after_the_phase']} just after it); {phase['feeds']} feeds received"
    )
    print(
        f"    feed messages sent twice {phase['sent_twice']}, prices lost "
        f"{phase['prices_lost']}, rows stuck in Submitted/Pending {phase['rows_stuck']}, "
        f"queue entries left {phase['queued_left']}, feeds unfinished "
        f"{phase['feeds_unfinished']} (goal: all 0) after a drain of {drain['cycles']} "
        f"cycles ({drain['seconds']} s); ERROR lines in the server log {phase['log_errors']} "
        f"({phase['log']})"
    )
    keys = ("sent_twice", "prices_lost", "rows_stuck", "queued_left", "feeds_unfinished")
    return not any(phase[k] for k in keys)


def _print_settlement(phase):
    kills = ", ".join(f"{name} {count}" for name, count in phase["kills"].items())
    print(
        f"  settlements: {phase['rounds']} rounds, kills inside the phase: {kills} (and "
        f"{phase['kills_after_the_phase']} just after it); {phase['reports']} reports, "
        f"{phase['settlements']} settlements ({', '.join(phase['states'])}), "
        f"{phase['orders']} Odoo orders in them"
    )
    print(
        f"    settlements missing {phase['settlements_missing']}, left unreconciled "
        f"{phase['left_unreconciled']}, booked twice {phase['booked_twice']}, lines not "
        f"adding up {phase['unbalanced']}, orders invoiced twice {phase['invoiced_twice']}, "
        f"orders not paid {phase['orders_not_paid']} (goal: all 0); ERROR lines in the server "
        f"log {phase['log_errors']} ({phase['log']})"
    )
    keys = (
        "settlements_missing",
        "left_unreconciled",
        "booked_twice",
        "unbalanced",
        "invoiced_twice",
        "orders_not_paid",
    )
    return not any(phase[k] for k in keys)


def _options(parser):
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--orders-per-kill", type=int, default=40)
    parser.add_argument("--drain-seconds", type=float, default=900)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--phases", default="import,catalog,settlement", help="any of import, catalog, settlement"
    )
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--scale", type=float, default=240.0, help="sandbox time scale")
    parser.add_argument("--max-rounds", type=int, default=200)
    parser.add_argument("--warmup-timeout", type=float, default=600)


def main(argv=None):
    parser = _harness.parser(__doc__, _options, database=True)
    args = parser.parse_args(argv)
    return _harness.run_odoo_bench("R1", __file__, parser, args, _print)


if __name__ == "__main__":
    sys.exit(_harness.entry(main, driver))
