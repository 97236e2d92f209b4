"""What every benchmark in bench/ needs around its measure: options, Odoo, PostgreSQL, the
databases, the sandbox, the driver inside Odoo, the result, the clean-up.

An Odoo benchmark is one file run twice. The *parent* (any Python 3, standard library only)
finds Odoo 18 (``$ODOO_PYTHON``) and PostgreSQL (``PG*`` or a throwaway cluster) as the tests
do (tools/devenv.py), prepares the database, runs the same file inside Odoo as the *driver*
(``--driver``) and prints what the driver measured. The driver opens the registry, starts
the sandbox, measures and hands its figures back as JSON::

    def _options(parser): ...                       # the benchmark's own options
    def _measure(args, registry): ... return result # inside Odoo
    def _print_results(result, args): ...

    def main(argv=None):
        parser = _harness.parser(__doc__, _options, database=True)
        args = parser.parse_args(argv)
        return _harness.run_odoo_bench("P5", __file__, parser, args, _print_results)

    def driver(argv):
        return _harness.driver_main(argv, _harness.parser(__doc__, _options, driver=True), _measure)

    if __name__ == "__main__":
        sys.exit(_harness.entry(main, driver))

Parent side: ``parser``, ``sandbox_options``, ``require_positive`` (options); ``OdooBench``
(skip without Odoo or PostgreSQL, ``.cache/bench-<name>-*.log``, databases ``bench_<name>_*``
created from ``--template`` or installed, dropped at the end unless ``--keep-db``, the driver
run and its result); ``run_odoo_bench`` (all of it for a one-database benchmark);
``print_verdict``.
Driver side: ``driver_main`` (Odoo configured, registry, result written); ``odoo_env``;
``sandbox`` (the MWS sandbox subprocess in a temporary data directory); ``SandboxRun`` (a
sandbox, a fresh seller, its Amazon account and listed products, the cron as Odoo runs it,
the catalog warm-up, the sandbox's counters); ``QuotaWaits``; ``best_window``; ``parse_iso``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "tools", ROOT):  # devenv; amazon_sandbox (and the pure lib) from here
    if str(_path) not in sys.path:
        sys.path.insert(1, str(_path))

import devenv  # noqa: E402

ADDONS = devenv.OUR_ADDONS  # integrator_base, amazon_integration
XSD_DIR = Path(os.environ.get("AMAZON_XSD_DIR") or ROOT.parent / "shared" / "amazon" / "xsd")
SPAPI_DIR = (
    Path(os.environ["AMAZON_SPAPI_MODELS"]).parent
    if os.environ.get("AMAZON_SPAPI_MODELS")
    else ROOT.parent / "shared" / "amazon" / "sp-api"
)
PARENT_ONLY = ("help", "template", "keep_db")  # options the driver does not get
#: the pid of the worker in an Odoo log line of a cron job starting
JOB_STARTED = re.compile(
    r"^\S+ \S+ (\d+) INFO \S+ odoo\.addons\.base\.models\.ir_cron: Job .* starting", re.M
)
TEMPLATE_HELP = "a database with the dependencies installed (e.g. tmpl_deps)"


def entry(main, driver):
    """A benchmark's ``__main__``: the driver when called with ``--driver``, else ``main``."""
    if sys.argv[1:2] == ["--driver"]:
        return driver(sys.argv[2:])
    return main()


def progress(tag):
    """A function printing ``[tag] message`` on stderr (progress, not figures)."""

    def say(message):
        print(f"[{tag}] {message}", file=sys.stderr, flush=True)

    return say


def parse_iso(text):
    """Epoch seconds of the sandbox's ISO 8601 stamps (``...Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ----------------------------------------------------------------------------------- options


def parser(doc, options=None, *, database=False, template=True, driver=False):
    """The benchmark's parser: its ``options(parser)``, then ``--template`` (unless
    ``template=False``) and ``--keep-db`` for the parent of a benchmark that makes a
    database (``database=True``), or what the driver gets besides (``driver=True``:
    ``--out``, ``--logfile``, ``--database``; the unknown arguments are Odoo's)."""
    prog = f"{Path(sys.argv[0]).name} --driver" if driver else None
    result = argparse.ArgumentParser(
        prog=prog, description=doc.splitlines()[0], allow_abbrev=not driver
    )
    if options:
        options(result)
    if database and template:
        result.add_argument("--template", help=TEMPLATE_HELP)
    if database:
        result.add_argument("--keep-db", action="store_true", help="keep the database(s)")
    if driver:
        result.add_argument("--out", required=True, help="where the driver writes its JSON")
        result.add_argument("--logfile", required=True)
        result.add_argument("--database", required=True)
    return result


def sandbox_options(parser, *, scale, scale_flag="--scale", **defaults):
    """The options of a run against the sandbox with an accelerated clock; only those with a
    default given (``sandbox_hours=2.0``, ``products=300``, ...) are added.

    ``--scale`` and ``--time-scale`` are the same option (``args.scale``), the sandbox's
    ``--time-scale``: sandbox seconds per real second; ``scale_flag`` is the spelling the
    benchmark documents."""
    other = "--time-scale" if scale_flag == "--scale" else "--scale"
    parser.add_argument(
        scale_flag, other, dest="scale", type=float, default=scale, help="sandbox --time-scale"
    )
    known = {
        "sandbox_hours": (float, "sandbox hours measured"),
        "products": (int, "storable products listed on Amazon"),
        "changes_per_minute": (float, "stock changes per sandbox minute"),
        "drain_minutes": (float, "sandbox minutes the run may go on after the window"),
        "warmup_timeout": (float, "real seconds"),
        "seed": (int, "the sandbox's and the harness's random seed"),
    }
    for name, (kind, help_text) in known.items():
        if name in defaults:
            flag = "--" + name.replace("_", "-")
            parser.add_argument(flag, type=kind, default=defaults.pop(name), help=help_text)
    if defaults:
        raise TypeError(f"unknown sandbox options: {sorted(defaults)}")


def require_positive(parser, args, *names):
    """``parser.error`` unless every option in ``names`` (dests) is positive."""
    if any(getattr(args, name) <= 0 for name in names):
        flags = ["--" + name.replace("_", "-") for name in names]
        listed = ", ".join(flags[:-1]) + " and " + flags[-1] if len(flags) > 1 else flags[0]
        parser.error(f"{listed} must be positive")


def forward(parser, args):
    """The parent's options as the driver's command line (``PARENT_ONLY`` left out)."""
    argv = []
    for action in parser._actions:
        if action.dest in PARENT_ONLY or not action.option_strings:
            continue
        value = getattr(args, action.dest)
        if action.nargs == 0:  # store_true
            argv += [action.option_strings[0]] if value else []
        elif value is not None:
            argv += [action.option_strings[0], str(value)]
    return argv


# ------------------------------------------------------------------------------------ parent


class OdooBench:
    """The parent of an Odoo benchmark: Odoo, PostgreSQL, its databases and its driver.

    ``OdooBench.find("P5")`` prints ``P5 skipped: <why>`` and returns None without an Odoo 18
    or a PostgreSQL. As a context manager it drops, on the way out, every database it made
    (``--keep-db``: keeps them and says so)."""

    def __init__(self, label, odoo, pg, keep_db=False):
        self.label = label
        self.key = label.lower()
        self.odoo = odoo
        self.pg = pg
        self.keep_db = keep_db
        self.python = devenv.ensure_odoo_venv(odoo)
        devenv.CACHE.mkdir(exist_ok=True)
        for old in devenv.CACHE.glob(f"bench-{self.key}-*.log"):
            old.unlink(missing_ok=True)
        self.databases = []
        self.started = time.monotonic()

    @classmethod
    def find(cls, label, keep_db=False):
        odoo, reason = devenv.find_odoo()
        pg = None
        if odoo:
            pg, reason = devenv.postgres()
        if not (odoo and pg):
            print(f"{label} skipped: {reason}")
            return None
        return cls(label, odoo, pg, keep_db)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        if self.keep_db:
            if self.databases:
                plural = "s" if len(self.databases) > 1 else ""
                devenv.log(f"kept the database{plural} {' and '.join(self.databases)}")
        else:
            for name in reversed(self.databases):
                self.sql([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
        return False

    def logfile(self, name):
        return devenv.CACHE / f"bench-{self.key}-{name}.log"

    def names(self, *parts):
        """Database names ``bench_<key>[_<part>]_<pid>``, announced with Odoo and PostgreSQL."""
        names = [
            "_".join(["bench", self.key, *([part] if part else []), str(os.getpid())])
            for part in parts or ("",)
        ]
        plural = "s" if len(names) > 1 else ""
        devenv.log(
            f"Odoo {self.odoo.version}, {self.pg.description}; database{plural} {', '.join(names)}"
        )
        return names

    def sql(self, statements, dbname="postgres", attempts=1):
        return devenv.sql(self.python, self.pg, statements, dbname, attempts=attempts)

    def create(self, name, modules, template=None, log="install"):
        """Database ``name`` with ``modules`` installed (no demo data), made from ``template``
        when given (else Odoo creates it); dropped at the end."""
        self.databases.append(name)
        if template:
            self.sql([f'CREATE DATABASE "{name}" TEMPLATE "{template}"'], attempts=10)
        cmd = [
            *devenv.odoo_command(self.python, self.odoo, self.pg, name),
            "-i",
            ",".join(modules),
            "--without-demo=all",
            "--stop-after-init",
        ]
        devenv.run_odoo(cmd, self.logfile(log), f"install {', '.join(modules)} in {name}")
        return name

    def addons_database(self, template=None):
        """The benchmark's database with our addons: copied from ``template`` (a database with
        their dependencies), else installed with their dependencies."""
        (name,) = self.names()
        modules = list(ADDONS) if template else [*devenv.addon_dependencies(ADDONS), *ADDONS]
        return self.create(name, modules, template)

    def driver(self, file, database, options=(), what="measure"):
        """Run ``file --driver`` inside Odoo on ``database``; what it wrote as JSON."""
        with tempfile.TemporaryDirectory(prefix=f"bench-{self.key}-") as tmp:
            out = Path(tmp) / "out.json"
            cmd = [
                self.python,
                Path(file).resolve(),
                "--driver",
                "--out",
                out,
                "--database",
                database,
                *options,
                *self.pg.odoo_args(),
                "--addons-path",
                self.odoo.addons_path,
            ]
            devenv.run_odoo(cmd, self.logfile("driver"), what)
            return json.loads(out.read_text())

    def finish(self):
        devenv.log(f"total {time.monotonic() - self.started:.0f}s")


def run_odoo_bench(label, file, parser, args, report):
    """The parent of a benchmark on one database with our addons: skipped without Odoo or
    PostgreSQL; database made (``--template``), driver run with the parent's options,
    database dropped (unless ``--keep-db``), ``report(result, args)``."""
    bench = OdooBench.find(label, keep_db=args.keep_db)
    if bench is None:
        return 0
    with bench:
        database = bench.addons_database(args.template)
        result = bench.driver(file, database, forward(parser, args))
    report(result, args)
    bench.finish()
    return 0


def print_verdict(label, met, summary="", note=""):
    """The last line of a benchmark: ``<label> verdict: <summary>: MET|NOT MET<note>``."""
    verdict = "MET" if met else "NOT MET"
    print(f"\n{label} verdict: {summary + ': ' if summary else ''}{verdict}{note}")


# ------------------------------------------------------------------------------------ driver
# Runs in the Odoo virtualenv: everything importing odoo or the sandbox stays below.


def _json_default(value):
    return sorted(value) if isinstance(value, (set, frozenset)) else str(value)


def driver_main(argv, parser, run, log_level="warn"):
    """The driver: Odoo configured from the parent's arguments (logging to ``--logfile``),
    ``run(args, registry)`` on ``--database``, its result written to ``--out``."""
    args, odoo_args = parser.parse_known_args(argv)
    import odoo

    odoo.tools.config.parse_config(
        [*odoo_args, "--logfile", args.logfile, "--log-level", log_level], setup_logging=True
    )
    result = run(args, registry(args.database))
    Path(args.out).write_text(json.dumps(result, default=_json_default))
    return 0


def registry(database):
    from odoo.modules.registry import Registry

    return Registry(database)


def odoo_env(cr, admin=True, **context):
    """An environment as the admin user (``admin=False``: the superuser), in English, UTC,
    with ``context`` added (e.g. ``tracking_disable=True``)."""
    from odoo import SUPERUSER_ID, api

    env = api.Environment(cr, SUPERUSER_ID, {"lang": "en_US", "tz": "UTC"})
    if admin:
        env = api.Environment(cr, env.ref("base.user_admin").id, env.context)
    return env(context=dict(env.context, **context)) if context else env


def import_lanes(registry, count, tag):
    """``count`` order import lanes on a real Odoo server's cron runner, beside the harness's
    own sync steps (every other cron off), as a context manager; nothing for 0. The server
    logs to ``.cache/bench-<tag>-server.log``."""
    if not count:
        return contextlib.nullcontext()
    only_lanes(registry, count)
    return cron_server(registry.db_name, count, devenv.CACHE / f"bench-{tag}-server.log")


def only_lanes(registry, count):
    """Every cron of the database off but ``count`` order import lanes, made due now (the
    harness plays the sync cron itself); returns the lanes' ids."""
    with registry.cursor() as cr:
        Stage = odoo_env(cr)["amazon.order.stage"].with_context(active_test=False)
        lanes = Stage._lanes().sorted("id")[:count]  # an earlier run may have stopped some
        cr.commit()
    return only_crons(registry, lanes.ids)


def only_crons(registry, ids):
    """Every cron of the database off but ``ids``, made due now; returns ``ids``."""
    with registry.cursor() as cr:
        cr.execute("UPDATE ir_cron SET active = (id = ANY(%s))", (list(ids),))
        cr.execute(
            "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' WHERE id = ANY(%s)",
            (list(ids),),
        )
        cr.commit()
    return ids


def odoo_arguments():
    """The driver's Odoo configuration (addons path, database server) as the command line
    of another Odoo process on the same databases."""
    from odoo.tools import config

    argv = ["--addons-path", config["addons_path"]]
    for option in ("db_host", "db_port", "db_user", "db_password"):
        if config.get(option):
            argv += [f"--{option}", str(config[option])]
    return argv


@contextlib.contextmanager
def cron_server(database, workers, logfile, debug=("amazon_order_stage",), all_busy=False):
    """A real Odoo server on ``database`` in workers mode, for its cron runner: ``workers``
    cron workers (one HTTP worker idles) under the limits README.md documents for the
    import lanes; woken once they are up (the NOTIFY of Odoo's triggers) instead of after
    their first minute of sleep; stopped (SIGTERM, then SIGKILL) on the way out. Yields
    the process. ``debug``: the amazon_integration models that log at DEBUG level.
    ``all_busy``: woken again until every worker has started a job (at least as many jobs
    as workers must be due)."""

    # odoo-bin without its websocket process (bench/_odoo_server.py)
    script = Path(__file__).resolve().parent / "_odoo_server.py"
    cmd = [sys.executable, str(script), "-d", database, *odoo_arguments()]
    cmd += [
        "--workers=1",
        f"--max-cron-threads={workers}",
        "--limit-time-real-cron=600",
        "--limit-time-cpu=600",
        "--limit-time-real=600",
        f"--http-port={devenv.free_port()}",
        f"--gevent-port={devenv.free_port()}",
        f"--logfile={logfile}",
        "--log-level=info",
        *(f"--log-handler=odoo.addons.amazon_integration.models.{m}:DEBUG" for m in debug),
    ]
    Path(logfile).unlink(missing_ok=True)
    with open(f"{logfile}.stderr", "w") as stderr:
        process = subprocess.Popen(
            cmd, env=dict(os.environ, TZ="UTC"), stderr=stderr, start_new_session=True
        )
    try:
        devenv.wait_for(
            lambda: (
                Path(logfile).exists() and Path(logfile).read_text().count("WorkerCron") >= workers
            ),
            120,
        )
        _wake_cron_workers(database, logfile, workers if all_busy else 0)
        yield process
    finally:
        stop_process(process, 60)


def _wake_cron_workers(database, logfile, busy, patience=20):
    """NOTIFY the cron workers; again every half second until ``busy`` of them have started
    a job, for ``patience`` seconds at most. Odoo's parent logs a worker as alive when it
    forks it, before the worker LISTENs: a single NOTIFY can come too early for one, which
    then sleeps its first minute (one P6 run measured its two workers as one that way)."""
    from odoo import sql_db

    deadline = time.monotonic() + patience
    while True:
        with sql_db.db_connect("postgres").cursor() as cr:
            cr.execute("SELECT pg_notify('cron_trigger', %s)", [database])
        if busy <= 0 or time.monotonic() > deadline:
            return
        time.sleep(0.5)
        text = Path(logfile).read_text(errors="replace") if Path(logfile).exists() else ""
        if len(set(JOB_STARTED.findall(text))) >= busy:
            return


def stop_process(process, timeout):
    """SIGTERM to ``process``'s group (started with ``start_new_session``), SIGKILL after
    ``timeout`` seconds; nothing if it has ended."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def sandbox(*extra, time_scale=None, seed=None, payment_hold_minutes=None, prefix="sandbox-"):
    """The MWS sandbox (``amazon_sandbox.testing.Sandbox``) in a temporary data directory,
    logging warnings only; stopped and removed on the way out."""
    from amazon_sandbox.testing import Sandbox

    args = ["--log-level", "WARNING"]
    for flag, value in (
        ("--time-scale", time_scale),
        ("--seed", seed),
        ("--payment-hold-minutes", payment_hold_minutes),
    ):
        if value is not None:
            args += [flag, str(value)]
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        box = Sandbox(Path(tmp), [*args, *map(str, extra)])
        try:
            yield box
        finally:
            box.stop()


def sandbox_clock(box):
    return parse_iso(box.admin("GET", "/admin/clock")["now"])


def seller_throttle(box, seller_id):
    """The sandbox's throttle counters of one seller (allowed / throttled / quota_exceeded
    per operation)."""
    rows = box.admin("GET", "/admin/throttle")["counters"]
    return [row for row in rows if row["seller_id"] == seller_id]


def quota_buckets(cr, account_id):
    """The connector's quota accounting: (bucket, calls, throttled) of the account."""
    cr.execute(
        "SELECT bucket, calls_count, throttled_count FROM amazon_quota_bucket "
        "WHERE account_id = %s ORDER BY bucket",
        (account_id,),
    )
    return cr.fetchall()


def create_account(env, box, creds, name, scale, warehouse=None, api="mws", **values):
    """An Amazon account on the sandbox's seller ``creds`` (US marketplace, ``warehouse`` or
    the first one, ``sandbox_time_scale = scale``) through ``api`` (``mws`` or ``spapi``:
    Login with Amazon credentials and the restricted role for the order reports), with
    ``values`` on top."""
    warehouse = warehouse or env["stock.warehouse"].search([], limit=1)
    if api == "spapi":
        credentials = {
            "amazon_api": "spapi",
            "lwa_client_id": creds.client_id,
            "lwa_client_secret": creds.client_secret,
            "lwa_refresh_token": creds.refresh_token,
            "order_reports_role": True,
        }
    else:
        credentials = {
            "amazon_api": "mws",
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
        }
    return env["amazon.account"].create(
        {
            "name": name,
            "environment": "sandbox",
            "sandbox_url": box.url,
            "sandbox_time_scale": scale,
            "marketplace_id": env.ref("amazon_integration.marketplace_us").id,
            "merchant_id": creds.seller_id,
            "warehouse_ids": [(6, 0, warehouse.ids)],
            **credentials,
            **values,
        }
    )


def amazon_quantities(listings):
    """{seller SKU: the quantity Amazon should show} of ``listings``."""
    quantities = listings._amazon_quantities()
    return {lst.seller_sku: int(quantities[lst.id]) for lst in listings}


def best_window(events, width, until=None):
    """The largest sum of the weights of ``(stamp, weight)`` events inside ``[s, s + width)``
    for ``s`` the stamp of an event (and ``s + width <= until`` when given)."""
    events = sorted(events)
    best = total = end = 0
    for first, (start, _weight) in enumerate(events):
        if until is not None and start + width > until:
            break
        while end < len(events) and events[end][0] < start + width:
            total += events[end][1]
            end += 1
        best = max(best, total)
        total -= events[first][1]
    return best


class QuotaWaits(logging.Handler):
    """Counts the connector's 'quota exhausted' notices (AmazonQuotaWait) by operation, in
    the loggers of the amazon_integration models named."""

    def __init__(self, *models):
        super().__init__(logging.INFO)
        self.counts = {}
        for model in models:
            logger = logging.getLogger(f"odoo.addons.amazon_integration.models.{model}")
            logger.setLevel(logging.INFO)
            logger.addHandler(self)

    def emit(self, record):
        text = record.getMessage()
        if "quota exhausted" in text:
            operation = text.split(": ", 1)[-1].split(":", 1)[0].strip()
            self.counts[operation] = self.counts.get(operation, 0) + 1


def ready_deliveries(env, account_id, order=None, limit=None):
    """The deliveries of account ``account_id``'s imported orders that are ready to go."""
    return env["stock.picking"].search(
        [
            ("sale_id.amazon_account_id", "=", account_id),
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "assigned"),
        ],
        order=order,
        limit=limit,
    )


class SandboxRun:
    """The driver of a benchmark against the sandbox: the sandbox subprocess (``args.scale``,
    ``args.seed``, buyers pay within a sandbox minute) with a fresh seller, the registry, and
    what the cron-driven benchmarks do alike. A context manager: the sandbox stops on the
    way out. Subclasses name their ``tag`` (progress lines, account and product names) and
    the ``quota_models`` whose quota waits they count."""

    tag = "bench"
    quota_models = ()

    def __init__(self, args, registry):
        self.args = args
        self.registry = registry
        self.scale = args.scale
        self.rng = random.Random(args.seed)
        self.log = progress(self.tag)
        self._stack = contextlib.ExitStack()
        self.box = self._stack.enter_context(
            sandbox(
                time_scale=args.scale,
                seed=args.seed,
                payment_hold_minutes=1,
                prefix=f"{self.tag}-sandbox-",
            )
        )
        try:
            self.creds = self.box.new_seller()
        except BaseException:
            self._stack.close()
            raise
        self.seller = self.creds.seller_id
        self.account_id = None
        self.location_id = None
        self.cron_runs = 0
        self.cron_errors = 0
        self.waits = QuotaWaits(*self.quota_models)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.stop()
        return False

    def stop(self):
        self._stack.close()

    # ---- clocks ------------------------------------------------------------------------
    def clock(self):
        """The sandbox's time (epoch seconds), asked of the sandbox."""
        return sandbox_clock(self.box)

    def now(self):
        """The sandbox time the benchmark reckons with (the sandbox's own by default)."""
        return self.clock()

    def sleep_rest(self, started):
        """Sleep what is left of a tick (60 sandbox seconds) begun at ``started``."""
        time.sleep(max(0.0, 60.0 / self.scale - (time.monotonic() - started)))

    # ---- Odoo --------------------------------------------------------------------------
    def env(self, cr, admin=True):
        return odoo_env(cr, admin, tracking_disable=True, mail_create_nolog=True)

    def create_account(self, env, **values):
        """Capture on, and the seller's account on the first warehouse (whose stock location
        becomes ``location_id``), synchronised by the cron (``auto_sync``)."""
        env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        warehouse = env["stock.warehouse"].search([], limit=1)
        name = f"{self.tag.upper()} {self.seller}"
        account = create_account(
            env, self.box, self.creds, name, self.scale, warehouse, auto_sync=True, **values
        )
        self.account_id = account.id
        self.location_id = warehouse.lot_stock_id.id
        return account

    def list_products(self, env, account, quantity, **values):
        """``args.products`` storable products sold on Amazon (``<TAG> product 0000``, SKU
        ``<TAG>-0000``), ``quantity()`` of each in stock at ``location_id``; committed.
        Returns the products and the account's listings (one per product, checked)."""
        label = self.tag.upper()
        templates = env["product.template"].create(
            [
                {
                    "name": f"{label} product {n:04d}",
                    "default_code": f"{label}-{n:04d}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0 + n % 50,
                    "amazon_sell": True,
                    **values,
                }
                for n in range(self.args.products)
            ]
        )
        Quant = env["stock.quant"].sudo()
        location = env["stock.location"].browse(self.location_id)
        for product in templates.product_variant_ids:
            Quant._update_available_quantity(product, location, quantity())
        env.cr.commit()
        listings = env["amazon.listing"].search([("account_id", "=", account.id)])
        if len(listings) != self.args.products:
            raise SystemExit(f"{len(listings)} listings instead of {self.args.products}")
        return templates.product_variant_ids, listings

    def ready_deliveries(self, env, order=None, limit=None):
        """The deliveries of the account's imported orders that are ready to go."""
        return ready_deliveries(env, self.account_id, order, limit)

    def last_sync(self, cr):
        cr.execute("SELECT last_sync_at FROM amazon_account WHERE id = %s", (self.account_id,))
        return cr.fetchone()[0]

    def cron(self):
        """What the cron runs (``amazon.account._cron_sync``, which commits itself outside
        tests) in a fresh cursor; True when the account ran (its last_sync_at moved)."""
        from odoo import SUPERUSER_ID, api

        with self.registry.cursor() as cr:
            before = self.last_sync(cr)
            try:
                api.Environment(cr, SUPERUSER_ID, {})["amazon.account"]._cron_sync()
                cr.commit()
            except Exception:
                cr.rollback()
                self.cron_errors += 1
                logging.getLogger(__name__).exception("cron failed")
                return False
            after = self.last_sync(cr)
        ran = bool(after) and after != before
        self.cron_runs += ran
        return ran

    def warm_up(self, expected):
        """The cron until the sandbox shows every SKU of ``expected`` ({sku: quantity}) with
        its quantity and a price; the sandbox minutes it took."""
        deadline = time.monotonic() + self.args.warmup_timeout
        started_at = self.now()
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
                minutes = (self.now() - started_at) / 60
                self.log(f"catalog out: {done} SKUs in the sandbox after {minutes:.1f} sandbox min")
                return minutes
            self.sleep_rest(started)
        raise SystemExit(f"the catalog did not go out within {self.args.warmup_timeout} s")

    # ---- the seller in the sandbox -----------------------------------------------------
    def catalog(self):
        rows = self.box.admin("GET", f"/admin/sellers/{self.seller}/catalog")
        return {row["sku"]: row for row in rows}

    def feeds(self):
        """The seller's feeds on both faces, in the MWS face's terms (an SP-API feed type
        ``POST_X_DATA`` as ``_POST_X_DATA_``, DONE as ``_DONE_``)."""
        feeds = self.box.admin("GET", f"/admin/sellers/{self.seller}/feeds")
        for feed in self.box.admin("GET", f"/admin/sellers/{self.seller}/sp-feeds"):
            status = feed["processingStatus"]
            feeds.append(
                {
                    "feed_type": f"_{feed['feedType']}_",
                    "status": "_DONE_" if status == "DONE" else status,
                    "submitted": feed["createdTime"],
                    "completed": feed.get("processingEndTime"),
                    "message_count": feed["messageCount"],
                    "summary": feed["summary"],
                }
            )
        return feeds

    def orders(self):
        return self.box.admin("GET", f"/admin/sellers/{self.seller}/orders")

    def place_orders(self, count):
        """Buyers order ``count`` times (the seller's SKUs, the generator's mix)."""
        self.box.admin(
            "POST",
            f"/admin/sellers/{self.seller}/orders",
            {"count": count, "seed": self.rng.randint(1, 10**9)},
        )

    def throttle(self):
        return seller_throttle(self.box, self.seller)
