"""Benchmark P1: the cost of integrator_base's capture on product writes.

    python bench/bench_p1_capture.py [--products 10000] [--single 1000] [--repeat 3]
                                     [--profile] [--tracking] [--keep-db]

Two databases hold the same data: ``without`` has the dependencies only (sale_stock,
stock_delivery), ``with`` is a copy of it (``CREATE DATABASE ... TEMPLATE``) in which
integrator_base is installed too. Both get the same ``--products`` storable products with
default codes (created once, before the copy). The same operations then run in each, as the
admin user with ``tracking_disable`` (as imports and scripts do: list_price is a tracked
field, and mail tracking would add ~5 ms per product to both sides; ``--tracking`` keeps it),
each timed with ``time.perf_counter`` from the first write to the end of ``cr.commit()`` (so
the capture's precommit flush, its one INSERT, is in the time):

* ``bulk list_price``: one ``write({"list_price": x})`` on all products (a template field,
  written through ``_inherits``), then commit;
* ``bulk weight``: one ``write({"weight": x})`` on all products (a variant field), then commit;
* ``single default_code``: ``--single`` writes of a unique default code, each on one product
  (browsed alone), then one commit;
* ``single list_price, commit each``: ``--single`` writes of the price, each on one product
  and each followed by its own commit (one transaction per write, as in the UI).

The databases alternate in every repetition (the first one alternates too); a small untimed
warm-up runs first. Reported: the median of ``--repeat`` runs per database, the ratio
with/without (the P1 figure, goal <= 1.05), and the product_integration rows each operation
created (proof of capture); as cross-checks on a busy machine, the median of the ratios of
each back-to-back pair, and the ratio of the Odoo process's CPU time (PostgreSQL excluded).
``--profile`` adds a cProfile of every operation in both databases: the addon's functions
by cumulative time and the functions whose own time grows most with the addon.

Odoo 18 comes from ``$ODOO_PYTHON`` and PostgreSQL from ``PG*`` or a throwaway cluster, as
for the tests (tools/devenv.py). Without an Odoo 18 the benchmark is skipped (exit 0). The
databases are dropped at the end (``--keep-db`` keeps them). The same file is the driver run
inside Odoo (``--driver``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import devenv  # noqa: E402

_run_odoo = devenv.run_odoo
_sql = devenv.sql

GOAL = 1.05
ADDON = "integrator_base"
CODE_PREFIX = "P1-"
OPERATIONS = (
    ("bulk_list_price", "bulk list_price (template field)"),
    ("bulk_weight", "bulk weight (variant field)"),
    ("single_code", "single default_code x{single}, 1 commit"),
    ("single_price_commit_each", "single list_price x{single}, commit each"),
)


# ------------------------------------------------------------------------------------ driver
# Runs in the Odoo virtualenv (``--driver``): everything importing odoo stays in here.


def _odoo_setup(odoo_args, logfile):
    import odoo

    odoo.tools.config.parse_config(
        [*odoo_args, "--logfile", logfile, "--log-level", "warn"], setup_logging=True
    )
    return odoo


def _admin_env(cr, tracking=False):
    from odoo import SUPERUSER_ID, api

    admin = api.Environment(cr, SUPERUSER_ID, {}).ref("base.user_admin")
    context = {"lang": "en_US", "tz": "UTC"}
    if not tracking:
        context["tracking_disable"] = True
    return api.Environment(cr, admin.id, context)


def _populate(registry, count):
    """``count`` storable products with default codes P1-00000..., in batches."""
    batch = 500
    with registry.cursor() as cr:
        env = _admin_env(cr)
        categ = env["product.category"].create({"name": "P1 benchmark"})
        templates = env["product.template"].with_context(
            tracking_disable=True, mail_create_nolog=True
        )
        for start in range(0, count, batch):
            templates.create(
                [
                    {
                        "name": f"P1 product {n:05d}",
                        "default_code": f"{CODE_PREFIX}{n:05d}",
                        "type": "consu",
                        "is_storable": True,
                        "list_price": 10.0 + n % 100,
                        "weight": 0.5,
                        "categ_id": categ.id,
                    }
                    for n in range(start, min(start + batch, count))
                ]
            )
            cr.commit()
        return env["product.product"].search_count([("default_code", "=like", "P1-%")])


def _product_ids(registry):
    with registry.cursor() as cr:
        env = _admin_env(cr)
        domain = [("categ_id.name", "=", "P1 benchmark")]
        return env["product.product"].search(domain, order="id").ids


def _integration_rows(registry):
    with registry.cursor() as cr:
        cr.execute("SELECT to_regclass('product_integration') IS NOT NULL")
        if not cr.fetchone()[0]:
            return None
        cr.execute("SELECT count(*) FROM product_integration")
        return cr.fetchone()[0]


def _single_ids(ids, single):
    step = max(len(ids) // single, 1)
    return ids[::step][:single]


def _operation(name, env, ids, single, rep):
    """Run operation ``name`` (writes and commit(s)) in ``env``."""
    products = env["product.product"]
    if name == "bulk_list_price":
        products.browse(ids).write({"list_price": 100.0 + rep})
        env.cr.commit()
    elif name == "bulk_weight":
        products.browse(ids).write({"weight": 1.0 + rep / 10})
        env.cr.commit()
    elif name == "single_code":
        for pid in _single_ids(ids, single):
            products.browse(pid).write({"default_code": f"{CODE_PREFIX}{pid}-r{rep}"})
        env.cr.commit()
    elif name == "single_price_commit_each":
        for n, pid in enumerate(_single_ids(ids, single)):
            products.browse(pid).write({"list_price": 50.0 + rep + n / 100})
            env.cr.commit()
    else:
        raise ValueError(name)


def _timed(registry, name, ids, single, rep, tracking, profiler=None):
    """(wall seconds, CPU seconds of this process) of one operation, commit(s) included."""
    import gc

    with registry.cursor() as cr:
        env = _admin_env(cr, tracking)
        gc.collect()
        if profiler:
            profiler.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        _operation(name, env, ids, single, rep)
        elapsed = time.perf_counter() - started, time.process_time() - cpu_started
        if profiler:
            profiler.disable()
    return elapsed


def _profile_report(stats_by_db, top=15):
    """The addon's functions by cumulative time, and the biggest own-time growths."""

    def label(key):
        filename, line, func = key
        if "/odoo/addons/" in filename:
            filename = filename.split("/odoo/addons/", 1)[1]
        elif f"/{ADDON}/" in filename:
            filename = ADDON + "/" + filename.split(f"/{ADDON}/", 1)[1]
        elif "/odoo/" in filename:
            filename = "odoo/" + filename.rsplit("/odoo/", 1)[1]
        return f"{filename}:{line}({func})"

    with_stats, without_stats = stats_by_db["with"], stats_by_db["without"]
    lines = ["  addon functions (with), by cumulative time:"]
    ours = [(key, value) for key, value in with_stats.items() if f"/{ADDON}/" in key[0]]
    ours.sort(key=lambda item: -item[1][3])
    for key, (_cc, calls, own, cumulative, _callers) in ours[:top]:
        lines.append(
            f"    {cumulative * 1000:9.1f} ms cum {own * 1000:8.1f} ms own "
            f"{calls:8d} calls  {label(key)}"
        )
    lines.append("  own time, with minus without (largest growths):")
    growth = []
    for key, value in with_stats.items():
        before = without_stats.get(key)
        growth.append((value[2] - (before[2] if before else 0.0), value[1], key))
    growth.sort(reverse=True)
    for delta, calls, key in growth[:top]:
        before_calls = without_stats.get(key, (0, 0))[1]
        lines.append(
            f"    {delta * 1000:+9.1f} ms own   calls {before_calls:7d} -> {calls:7d}  {label(key)}"
        )
    return lines


def driver(argv):
    parser = argparse.ArgumentParser(prog="bench_p1_capture.py --driver", allow_abbrev=False)
    parser.add_argument("command", choices=("populate", "measure"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--logfile", required=True)
    parser.add_argument("--db-without", required=True)
    parser.add_argument("--db-with")
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--tracking", action="store_true")
    args, odoo_args = parser.parse_known_args(argv)
    _odoo_setup(odoo_args, args.logfile)
    from odoo.modules.registry import Registry

    if args.command == "populate":
        count = _populate(Registry(args.db_without), args.products)
        Path(args.out).write_text(json.dumps({"products": count}))
        return 0

    registries = {"without": Registry(args.db_without), "with": Registry(args.db_with)}
    ids = {db: _product_ids(registry) for db, registry in registries.items()}
    if ids["with"] != ids["without"] or len(ids["with"]) != args.products:
        raise SystemExit(f"the databases do not hold the same {args.products} products")
    ids = ids["with"]
    warm_ids = ids[: max(args.products // 20, 10)]
    for db, registry in registries.items():
        for name, _label in OPERATIONS:
            _timed(registry, name, warm_ids, max(args.single // 20, 5), -1, args.tracking)
        print(f"[p1] warm-up done in {db}", file=sys.stderr, flush=True)
    times = {name: {"with": [], "without": []} for name, _label in OPERATIONS}
    cpu = {name: {"with": [], "without": []} for name, _label in OPERATIONS}
    rows = {name: [] for name, _label in OPERATIONS}
    for rep in range(args.repeat):
        order = ("without", "with") if rep % 2 == 0 else ("with", "without")
        for name, _label in OPERATIONS:
            for db in order:
                before = _integration_rows(registries[db]) if db == "with" else None
                wall, cpu_time = _timed(registries[db], name, ids, args.single, rep, args.tracking)
                times[name][db].append(wall)
                cpu[name][db].append(cpu_time)
                if db == "with":
                    rows[name].append(_integration_rows(registries[db]) - before)
        print(f"[p1] repetition {rep + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    result = {"times": times, "cpu": cpu, "rows": rows, "profile": {}}
    if args.profile:
        import cProfile
        import pstats

        for name, _label in OPERATIONS:
            stats_by_db = {}
            for db, registry in registries.items():
                profiler = cProfile.Profile()
                _timed(registry, name, ids, args.single, args.repeat, args.tracking, profiler)
                stats_by_db[db] = pstats.Stats(profiler).stats
            result["profile"][name] = _profile_report(stats_by_db)
    Path(args.out).write_text(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------------ parent


def _driver_cmd(python, odoo, pg, tmp, command, **options):
    cmd = [python, Path(__file__).resolve(), "--driver", command, "--out", tmp / "out.json"]
    for key, value in options.items():
        if value is True:
            cmd.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            cmd += [f"--{key.replace('_', '-')}", value]
    return [*cmd, *pg.odoo_args(), "--addons-path", odoo.addons_path]


def _rounded(values):
    return "[" + ", ".join(f"{value:.3f}" for value in values) + "]"


def _print_results(result, args):
    """The table: medians, their ratio (the P1 figure), and two noise-resistant cross-checks."""
    width = max(len(label.format(single=args.single)) for _name, label in OPERATIONS)
    print(f"\nP1: capture overhead, {args.products} products, median of {args.repeat} runs")
    print(
        f"{'operation'.ljust(width)}  {'without s':>9}  {'with s':>8}  {'ratio':>6}"
        f"  {'paired':>6}  {'cpu':>6}  rows created"
    )
    worst = 0.0
    for name, label in OPERATIONS:
        runs, cpu = result["times"][name], result["cpu"][name]
        without = statistics.median(runs["without"])
        with_ = statistics.median(runs["with"])
        ratio = with_ / without
        pairs = zip(runs["with"], runs["without"], strict=True)
        paired = statistics.median([w / wo for w, wo in pairs])
        cpu_ratio = statistics.median(cpu["with"]) / statistics.median(cpu["without"])
        worst = max(worst, ratio)
        rows = "/".join(str(n) for n in result["rows"][name])
        print(
            f"{label.format(single=args.single).ljust(width)}  {without:9.3f}  {with_:8.3f}"
            f"  {ratio:6.3f}  {paired:6.3f}  {cpu_ratio:6.3f}  {rows}"
        )
    print(
        "ratio: median with / median without (the P1 figure); paired: median of the per-"
        "repetition ratios\n(each pair runs back to back); cpu: the same as ratio on the Odoo "
        "process's CPU time\n(PostgreSQL's work excluded), both less sensitive to a busy machine."
    )
    print("every run, wall seconds in order:")
    for name, _label in OPERATIONS:
        runs = result["times"][name]
        print(f"  {name}: without {_rounded(runs['without'])}, with {_rounded(runs['with'])}")
    for name, lines in result["profile"].items():
        print(f"\nprofile of {name}:")
        print("\n".join(lines))
    verdict = "MET" if worst <= GOAL else "NOT MET"
    print(f"\nP1 verdict: worst ratio {worst:.3f} vs goal <= {GOAL}: {verdict}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="add a cProfile of each op")
    parser.add_argument(
        "--tracking", action="store_true", help="keep mail tracking on (list_price is tracked)"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the two databases")
    args = parser.parse_args(argv)
    if args.single > args.products:
        parser.error("--single cannot exceed --products")

    odoo, reason = devenv.find_odoo()
    if not odoo:
        print(f"P1 skipped: {reason}")
        return 0
    pg, reason = devenv.postgres()
    if not pg:
        print(f"P1 skipped: {reason}")
        return 0
    python = devenv.ensure_odoo_venv(odoo)
    devenv.CACHE.mkdir(exist_ok=True)
    logdir = devenv.CACHE
    for name in ("deps", "driver", "install"):
        (logdir / f"bench-p1-{name}.log").unlink(missing_ok=True)
    deps = devenv.addon_dependencies((ADDON,))
    db_without, db_with = f"bench_p1_without_{os.getpid()}", f"bench_p1_with_{os.getpid()}"
    devenv.log(f"Odoo {odoo.version}, {pg.description}; databases {db_without}, {db_with}")
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            base = devenv.odoo_command(python, odoo, pg, db_without)
            cmd = [*base, "-i", ",".join(deps), "--without-demo=all", "--stop-after-init"]
            _run_odoo(cmd, logdir / "bench-p1-deps.log", f"install {', '.join(deps)}")
            cmd = _driver_cmd(
                python,
                odoo,
                pg,
                tmp,
                "populate",
                db_without=db_without,
                products=args.products,
            )
            _run_odoo(cmd, logdir / "bench-p1-driver.log", f"create {args.products} products")
            created = json.loads((tmp / "out.json").read_text())["products"]
            if created != args.products:
                raise SystemExit(f"{created} products created instead of {args.products}")
            _sql(python, pg, ["VACUUM ANALYZE"], db_without)
            _sql(python, pg, [f'CREATE DATABASE "{db_with}" TEMPLATE "{db_without}"'])
            cmd = [
                *devenv.odoo_command(python, odoo, pg, db_with),
                "-i",
                ADDON,
                "--without-demo=all",
                "--stop-after-init",
            ]
            _run_odoo(cmd, logdir / "bench-p1-install.log", f"install {ADDON} in {db_with}")
            _sql(python, pg, ["VACUUM ANALYZE"], db_with)
            cmd = _driver_cmd(
                python,
                odoo,
                pg,
                tmp,
                "measure",
                db_without=db_without,
                db_with=db_with,
                products=args.products,
                single=args.single,
                repeat=args.repeat,
                profile=args.profile,
                tracking=args.tracking,
            )
            _run_odoo(cmd, logdir / "bench-p1-driver.log", "measure")
            result = json.loads((tmp / "out.json").read_text())
    finally:
        if args.keep_db:
            devenv.log(f"kept the databases {db_without} and {db_with}")
        else:
            for database in (db_with, db_without):
                _sql(python, pg, [f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'])
    _print_results(result, args)
    devenv.log(f"total {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--driver"]:
        sys.exit(driver(sys.argv[2:]))
    sys.exit(main())
