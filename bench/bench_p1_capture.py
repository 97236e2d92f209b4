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
each back-to-back pair, the ratio of the Odoo process's CPU time (PostgreSQL excluded), and
the ratio of the CPU time of the Odoo process and its PostgreSQL backend together (read from
``/proc``: a server on this machine; the work done, whatever else the machine is doing).
A third arm, ``off``, runs the same operations in ``with`` with the capture switched off
(``integrator_base.capture_enabled`` = False, as the settings form stores it): ``capture`` =
with ÷ off is the capture's own cost, free of the differences between two databases (which
move a commit-each ratio by ±0.04 between runs) and of the addon's passive overrides.
``--profile`` adds a cProfile of every operation in both databases: the addon's functions
by cumulative time and the functions whose own time grows most with the addon.

Odoo 18 comes from ``$ODOO_PYTHON`` and PostgreSQL from ``PG*`` or a throwaway cluster, as
for the tests (tools/devenv.py). Without an Odoo 18 the benchmark is skipped (exit 0). The
databases (``bench_p1_without_<pid>``, ``bench_p1_with_<pid>``) are dropped at the end
(``--keep-db`` keeps them). The same file is the driver run inside Odoo (``--driver``); the
set-up around the measure is bench/_harness.py's.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import _harness

GOAL = 1.05
ADDON = "integrator_base"
CODE_PREFIX = "P1-"
#: added to a repetition's number for the values the ``off`` arm writes in ``with``
OFF_VALUES = 1000
OPERATIONS = (
    ("bulk_list_price", "bulk list_price (template field)"),
    ("bulk_weight", "bulk weight (variant field)"),
    ("single_code", "single default_code x{single}, 1 commit"),
    ("single_price_commit_each", "single list_price x{single}, commit each"),
)


# ------------------------------------------------------------------------------------ driver
# Runs in the Odoo virtualenv (``--driver``): everything importing odoo stays in here.

_log = _harness.progress("p1")


def _admin_env(cr, tracking=False):
    return _harness.odoo_env(cr, **({} if tracking else {"tracking_disable": True}))


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


def _backend_cpu(pid):
    """CPU seconds the PostgreSQL backend ``pid`` has used, or None where this process
    cannot read it (a server on another machine, another user's process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        return None


def _set_capture(registry, enabled):
    """Switch the capture of the ``with`` database on or off (committed; the setting is
    read once per transaction)."""
    with registry.cursor() as cr:
        params = _admin_env(cr)["ir.config_parameter"]
        params.set_param("integrator_base.capture_enabled", "True" if enabled else "False")


def _timed(registry, name, ids, single, rep, tracking, profiler=None):
    """(wall seconds, CPU seconds of this process, CPU seconds of this process and of its
    PostgreSQL backend or None) of one operation, commit(s) included."""
    import gc

    with registry.cursor() as cr:
        env = _admin_env(cr, tracking)
        cr.execute("SELECT pg_backend_pid()")
        backend = cr.fetchone()[0]
        gc.collect()
        if profiler:
            profiler.enable()
        pg_started = _backend_cpu(backend)
        started, cpu_started = time.perf_counter(), time.process_time()
        _operation(name, env, ids, single, rep)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        pg_ended = _backend_cpu(backend)
        if profiler:
            profiler.disable()
    both = cpu + pg_ended - pg_started if None not in (pg_started, pg_ended) else None
    return wall, cpu, both


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


def _measure(args, registry):
    """``--phase populate``: the products in ``--database`` (``without``); ``measure``: the
    operations in it and in ``--db-with``, alternately."""
    if args.phase == "populate":
        return {"products": _populate(registry, args.products)}

    registries = {"without": registry, "with": _harness.registry(args.db_with)}
    ids = {db: _product_ids(registry) for db, registry in registries.items()}
    registries["off"] = registries["with"]
    if ids["with"] != ids["without"] or len(ids["with"]) != args.products:
        raise SystemExit(f"the databases do not hold the same {args.products} products")
    ids = ids["with"]
    warm_ids = ids[: max(args.products // 20, 10)]
    for db, registry in registries.items():
        if db == "off":
            continue
        for name, _label in OPERATIONS:
            _timed(registry, name, warm_ids, max(args.single // 20, 5), -1, args.tracking)
        _log(f"warm-up done in {db}")
    arms = ("without", "with", "off")
    times = {name: {db: [] for db in arms} for name, _label in OPERATIONS}
    cpu = {name: {db: [] for db in arms} for name, _label in OPERATIONS}
    cpu_pg = {name: {db: [] for db in arms} for name, _label in OPERATIONS}
    rows = {name: {"with": [], "off": []} for name, _label in OPERATIONS}
    for rep in range(args.repeat):
        order = arms if rep % 2 == 0 else arms[::-1]
        for name, _label in OPERATIONS:
            for db in order:
                if db == "off":
                    _set_capture(registries[db], False)
                before = _integration_rows(registries[db]) if db in rows[name] else None
                # values of their own: Odoo writes no column whose value would not change
                values_of = rep + OFF_VALUES if db == "off" else rep
                wall, cpu_time, both = _timed(
                    registries[db], name, ids, args.single, values_of, args.tracking
                )
                if db == "off":
                    _set_capture(registries[db], True)
                times[name][db].append(wall)
                cpu[name][db].append(cpu_time)
                cpu_pg[name][db].append(both)
                if db in rows[name]:
                    rows[name][db].append(_integration_rows(registries[db]) - before)
        _log(f"repetition {rep + 1}/{args.repeat} done")
    result = {"times": times, "cpu": cpu, "cpu_pg": cpu_pg, "rows": rows, "profile": {}}
    if args.profile:
        import cProfile
        import pstats

        for name, _label in OPERATIONS:
            stats_by_db = {}
            for db in ("without", "with"):
                registry = registries[db]
                profiler = cProfile.Profile()
                _timed(registry, name, ids, args.single, args.repeat, args.tracking, profiler)
                stats_by_db[db] = pstats.Stats(profiler).stats
            result["profile"][name] = _profile_report(stats_by_db)
    return result


def driver(argv):
    parser = _harness.parser(__doc__, _options, driver=True)
    parser.add_argument("--phase", choices=("populate", "measure"), required=True)
    parser.add_argument("--db-with")
    return _harness.driver_main(argv, parser, _measure)


# ------------------------------------------------------------------------------------ parent


def _rounded(values):
    return "[" + ", ".join(f"{value:.3f}" for value in values) + "]"


def _arms(runs):
    return ", ".join(f"{db} {_rounded(values)}" for db, values in runs.items())


def _cpu_ratio(both, base):
    """with ÷ ``base`` on the cpu+pg medians, or n/a where they could not be read."""
    if None in both["with"] + both[base]:
        return f"{'n/a':>6}"
    return f"{statistics.median(both['with']) / statistics.median(both[base]):6.3f}"


def _print_results(result, args):
    """The table: medians, their ratio (the P1 figure), and two noise-resistant cross-checks."""
    width = max(len(label.format(single=args.single)) for _name, label in OPERATIONS)
    print(f"\nP1: capture overhead, {args.products} products, median of {args.repeat} runs")
    print(
        f"{'operation'.ljust(width)}  {'without s':>9}  {'with s':>8}  {'ratio':>6}"
        f"  {'paired':>6}  {'cpu':>6}  {'cpu+pg':>6}  {'capture':>7}  {'cpu+pg':>6}"
        "  rows created (with; off)"
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
        both = result["cpu_pg"][name]
        capture = with_ / statistics.median(runs["off"])
        worst = max(worst, ratio)
        rows = "; ".join("/".join(str(n) for n in made) for made in result["rows"][name].values())
        print(
            f"{label.format(single=args.single).ljust(width)}  {without:9.3f}  {with_:8.3f}"
            f"  {ratio:6.3f}  {paired:6.3f}  {cpu_ratio:6.3f}  {_cpu_ratio(both, 'without')}"
            f"  {capture:7.3f}  {_cpu_ratio(both, 'off')}  {rows}"
        )
    print(
        "ratio: median with / median without (the P1 figure); paired: median of the per-"
        "repetition ratios\n(each pair runs back to back); cpu: the same as ratio on the Odoo "
        "process's CPU time\n(PostgreSQL's work excluded); cpu+pg: on the CPU time of the Odoo "
        "process and its\nPostgreSQL backend (n/a when the server's processes cannot be read): "
        "the work done,\nwhatever else the machine is doing; capture: median with / median "
        "with the capture switched off\n(the same database), then the same on cpu+pg."
    )
    print("every run, wall seconds in order:")
    for name, _label in OPERATIONS:
        print(f"  {name}: {_arms(result['times'][name])}")
    print("every run, CPU seconds of Odoo and its PostgreSQL backend, in order:")
    for name, _label in OPERATIONS:
        runs = result["cpu_pg"][name]
        if None not in [value for values in runs.values() for value in values]:
            print(f"  {name}: {_arms(runs)}")
    for name, lines in result["profile"].items():
        print(f"\nprofile of {name}:")
        print("\n".join(lines))
    _harness.print_verdict("P1", worst <= GOAL, f"worst ratio {worst:.3f} vs goal <= {GOAL}")


def _options(parser):
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="add a cProfile of each op")
    parser.add_argument(
        "--tracking", action="store_true", help="keep mail tracking on (list_price is tracked)"
    )


def main(argv=None):
    parser = _harness.parser(__doc__, _options, database=True, template=False)
    args = parser.parse_args(argv)
    if args.single > args.products:
        parser.error("--single cannot exceed --products")
    bench = _harness.OdooBench.find("P1", keep_db=args.keep_db)
    if bench is None:
        return 0
    options = _harness.forward(parser, args)
    db_without, db_with = bench.names("without", "with")
    deps = _harness.devenv.addon_dependencies((ADDON,))
    with bench:
        bench.create(db_without, deps, log="deps")
        populate = [*options, "--phase", "populate"]
        what = f"create {args.products} products"
        created = bench.driver(__file__, db_without, populate, what)["products"]
        if created != args.products:
            raise SystemExit(f"{created} products created instead of {args.products}")
        bench.sql(["VACUUM ANALYZE"], db_without)
        bench.create(db_with, [ADDON], template=db_without)
        bench.sql(["VACUUM ANALYZE"], db_with)
        measure = [*options, "--phase", "measure", "--db-with", db_with]
        result = bench.driver(__file__, db_without, measure)
    _print_results(result, args)
    bench.finish()
    return 0


if __name__ == "__main__":
    sys.exit(_harness.entry(main, driver))
