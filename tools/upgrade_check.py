"""Upgrade check: a database of a previous main, upgraded to this tree, loses nothing.

1. copies this tree's addons as they are (others may edit them meanwhile) and exports those
   of a previous commit (``--from``, default the main before the report-request refactor)
   and its sandbox with ``git archive`` into a temporary folder;
2. creates a database (a copy of ``--template``, or Odoo's dependencies installed), installs
   the OLD integrator_base + amazon_integration, starts the OLD sandbox and, with the old
   code's own steps, populates every state it has: listings (never sent, sent, active, error,
   removed), catalog feeds (done, submitted, in progress, error), orders (confirmed, in
   exception, canceled by the buyer or the seller, AFN), order feeds (done, in flight), a
   settlement, integration rows in several statuses, and on three accounts the report cycles
   in flight (requested, sent with its answer lost, made but not downloaded, a manual
   download, the FBA report); then snapshots it;
3. upgrades it with the copy (``-u amazon_integration,integrator_base``), failing on any
   WARNING/ERROR line of that log;
4. with the NEW code: the same counts and every value of the old code are there (stored, or
   read through a field that moved), the reports in flight are open ``amazon.report.request``
   records with the same Amazon request ids, and two more runs of the order and FBA steps
   against the same sandbox finish them without asking Amazon for a report again, without a
   sale order twice; the feeds in flight finish too;
5. prints a summary and exits 1 on any failure. The database is dropped and the sandbox
   stopped at the end (``--keep-db`` keeps the database and the sandbox's data).

Needs what ``make test`` needs for its Odoo suite (``$ODOO_PYTHON``, ``PG*``; see README.md).
The Odoo side lives in ``tools/_upgrade_odoo.py``.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devenv
from run_tests import BAD_LINE_RE

DEFAULT_FROM = "8b7b683"  # main before this week's refactor (report cycles as records)
HELPER = Path(__file__).resolve().with_name("_upgrade_odoo.py")
EXPORTED = ("integrator_base", "amazon_integration", "amazon_sandbox")
UPGRADED = ("amazon_integration", "integrator_base")
FBA_REPORT_TYPE = "_GET_AFN_INVENTORY_DATA_"


class Failed(Exception):
    """A step that cannot go on: the summary says why."""


class Run:
    """What happened, for the summary."""

    def __init__(self):
        self.steps: list[tuple[str, bool, str]] = []
        self.checks: list[dict] = []
        self.before: dict = {}
        self.after: dict = {}
        self.notes: list[str] = []

    def step(self, name, ok, detail=""):
        self.steps.append((name, ok, detail))
        devenv.log(f"{'ok' if ok else 'FAILED'}: {name}{' — ' + detail if detail else ''}")

    def check(self, name, ok, detail=""):
        self.checks.append({"name": name, "ok": bool(ok), "detail": str(detail)})

    @property
    def ok(self):
        return all(ok for _n, ok, _d in self.steps) and all(c["ok"] for c in self.checks)


# ------------------------------------------------------------------------------ helpers


def git(*args, capture=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(devenv.ROOT), *args], capture_output=capture, check=False
    )


def export(ref: str, dest: Path) -> str:
    """``git archive`` of ``ref``'s addons and sandbox into ``dest``; returns the commit."""
    found = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode:
        raise Failed(f"{ref} is not a commit of {devenv.ROOT}")
    commit = found.stdout.decode().strip()
    archive = git("archive", "--format=tar", commit, *EXPORTED)
    if archive.returncode:
        raise Failed(f"git archive {commit}: {archive.stderr.decode().strip()}")
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # Python < 3.11.4; our own repository's archive
            tar.extractall(dest)
    return commit


def snapshot_tree(dest: Path) -> str:
    """Copy this tree's addons as they are now (others may edit them during the run), and
    say what they are: HEAD plus the files changed in them."""
    dest.mkdir(parents=True)
    for addon in UPGRADED:
        shutil.copytree(
            devenv.ROOT / addon, dest / addon, ignore=shutil.ignore_patterns("__pycache__")
        )
    head = git("rev-parse", "--short", "HEAD").stdout.decode().strip()
    status = git("status", "--porcelain", "--", *UPGRADED).stdout.decode().splitlines()
    changed = [line[3:] for line in status]
    return f"HEAD {head}" + (
        f" + {len(changed)} changed: {', '.join(changed)}" if changed else ", no change"
    )


def manifest(tree: Path, addon: str) -> dict:
    return ast.literal_eval((tree / addon / "__manifest__.py").read_text())


def dependencies(tree: Path) -> list[str]:
    ours = set(EXPORTED)
    deps = set()
    for addon in UPGRADED:
        deps.update(d for d in manifest(tree, addon).get("depends", []) if d not in ours)
    return sorted(deps)


def odoo_command(python, odoo, pg, database, tree: Path) -> list[str]:
    """devenv's Odoo command line, with ``tree``'s addons instead of this tree's."""
    cmd = devenv.odoo_command(python, odoo, pg, database)
    index = cmd.index("--addons-path") + 1
    extra = [p for p in os.environ.get("ODOO_ADDONS_PATH", "").split(",") if p]
    cmd[index] = ",".join([str(odoo.package_dir / "addons"), *extra, str(tree)])
    return cmd


def bad_lines(logfile: Path) -> list[str]:
    if not logfile.exists():
        return []
    text = logfile.read_text(errors="replace").splitlines()
    return [line for line in text if BAD_LINE_RE.match(line)]


def run_odoo(cmd, logfile: Path, what: str) -> float:
    logfile.unlink(missing_ok=True)  # Odoo appends to its log file
    started = time.monotonic()
    result = devenv.run([*cmd, "--logfile", logfile], env=dict(os.environ, TZ="UTC"))
    if result.returncode:
        tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-30:])
        raise Failed(f"{what} failed (exit {result.returncode}), see {logfile}:\n{tail}")
    return time.monotonic() - started


def helper(python, command, odoo_args, params_file: Path, logfile: Path) -> int:
    """The Odoo side (``_upgrade_odoo.py``), its progress lines on our stdout."""
    logfile.unlink(missing_ok=True)
    cmd = [python, HELPER, command, *odoo_args, "--logfile", logfile, "--", params_file]
    return devenv.run(cmd, env=dict(os.environ, TZ="UTC")).returncode


class SandboxProcess:
    """The OLD tree's sandbox (its ``testing.Sandbox``, in the Odoo interpreter, which has
    its dependencies), until ``stop``."""

    def __init__(self, python, tree: Path, data_dir: Path):
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [str(python), str(HELPER), "sandbox", str(tree), str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("URL "):
            self.stop()
            raise Failed(f"the sandbox did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def report_requests(self, seller_ids):
        """Amazon's side: {request id: (seller, report type, start, end)} of the sellers'
        report requests (read from the sandbox's store)."""
        path = self.data_dir / "sandbox.sqlite3"
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            marks = ",".join("?" * len(seller_ids))
            found = db.execute(
                "SELECT request_id, seller_id, report_type, start_date, end_date"
                f" FROM report_requests WHERE seller_id IN ({marks}) AND scheduled = 0",
                list(seller_ids),
            ).fetchall()
        finally:
            db.close()
        return {rid: tuple(rest) for rid, *rest in found}


# ------------------------------------------------------------------------------- steps


def database_exists(python, pg, database) -> bool:
    found = devenv.sql(
        python, pg, [f"SELECT 1 FROM pg_database WHERE datname = '{database}'"], check=False
    )
    return bool(found and found != "[]")


def create_database(run, python, odoo, pg, database, template, old_tree, logs):
    if template:
        devenv.sql(python, pg, [f'CREATE DATABASE "{database}" TEMPLATE "{template}"'], attempts=5)
        run.step("database", True, f"{database}, a copy of {template}")
        return
    deps = dependencies(old_tree)
    cmd = odoo_command(python, odoo, pg, database, old_tree)
    seconds = run_odoo(
        [*cmd, "-i", ",".join(deps), "--without-demo=all", "--stop-after-init"],
        logs / "upgrade-check-deps.log",
        "installing the dependencies",
    )
    run.step("database", True, f"{database}, {', '.join(deps)} installed ({seconds:.0f}s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from",
        dest="ref",
        default=DEFAULT_FROM,
        help=f"the previous commit whose database is upgraded (default {DEFAULT_FROM})",
    )
    parser.add_argument(
        "--template",
        help="copy this database (Odoo's mail, sale_stock, stock_delivery installed) instead "
        "of installing them",
    )
    parser.add_argument("--db", help="the database's name (default upg_<pid>)")
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the database and the sandbox's data"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupted)  # clean up as for Ctrl-C

    odoo, reason = devenv.find_odoo()
    if not odoo:
        print(f"upgrade check: cannot run: {reason}")
        return 1
    pg, reason = devenv.postgres()
    if not pg:
        print(f"upgrade check: cannot run: {reason}")
        return 1
    python = devenv.ensure_odoo_venv(odoo)
    devenv.CACHE.mkdir(exist_ok=True)
    logs = devenv.CACHE
    database = args.db or f"upg_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="upgrade-check-"))
    old_tree = work / "old"
    params_file = work / "params.json"
    run = Run()
    sandbox = None
    database_made = False
    started = time.monotonic()
    commit = args.ref
    try:
        new_tree = work / "new"
        run.step("working tree", True, snapshot_tree(new_tree))
        commit = export(args.ref, old_tree)
        old_version = manifest(old_tree, "amazon_integration")["version"]
        new_version = manifest(new_tree, "amazon_integration")["version"]
        run.step(
            "export",
            True,
            f"{args.ref} = {commit[:10]}: amazon_integration {old_version} -> {new_version}"
            " (working tree)",
        )
        if old_version == new_version:
            scripts = new_tree / "amazon_integration" / "migrations" / new_version
            run.notes.append(
                f"amazon_integration has the same version ({old_version}) in {args.ref} and "
                "in the working tree: Odoo runs no migration script for this upgrade"
                + (f" (not even {scripts.relative_to(new_tree)})" if scripts.is_dir() else "")
            )

        if database_exists(python, pg, database):
            raise Failed(f"database {database} exists already; drop it or name another (--db)")
        database_made = True
        create_database(run, python, odoo, pg, database, args.template, old_tree, logs)
        old_cmd = odoo_command(python, odoo, pg, database, old_tree)
        install_log = logs / "upgrade-check-install-old.log"
        seconds = run_odoo(
            [*old_cmd, "-i", ",".join(UPGRADED), "--without-demo=all", "--stop-after-init"],
            install_log,
            "installing the old addons",
        )
        warnings = bad_lines(install_log)
        run.step(
            "install old addons",
            True,
            f"{', '.join(UPGRADED)} of {commit[:10]} ({seconds:.0f}s"
            + (f", {len(warnings)} WARNING/ERROR lines: {install_log}" if warnings else "")
            + ")",
        )

        sandbox = SandboxProcess(python, old_tree, work / "sandbox")
        run.step("sandbox", True, f"{commit[:10]}'s sandbox on {sandbox.url}")
        params_file.write_text(json.dumps({"sandbox_url": sandbox.url}))
        odoo_args = old_cmd[old_cmd.index("-m") + 2 :]
        print("\n=== populate with the old code ===", flush=True)
        populate_log = logs / "upgrade-check-populate.log"
        began = time.monotonic()
        code = helper(python, "populate", odoo_args, params_file, populate_log)
        params = json.loads(params_file.read_text())
        run.before = params.get("before") or {}
        if code or not run.before:
            raise Failed(f"populating with the old code failed (see above and {populate_log})")
        missing = [p["what"] for p in run.before["populated"] if not p["ok"]]
        warnings = bad_lines(populate_log)
        if warnings:
            run.notes.append(
                f"the old code logged {len(warnings)} WARNING/ERROR lines while populating"
                f" (not a failure: see {populate_log})"
            )
        run.step(
            "populate (old code)",
            True,
            f"{len(run.before['populated']) - len(missing)} states populated"
            + (f", {len(missing)} not reached" if missing else "")
            + f" ({time.monotonic() - began:.0f}s)",
        )

        print("\n=== upgrade with the working tree ===", flush=True)
        new_cmd = odoo_command(python, odoo, pg, database, new_tree)
        upgrade_log = logs / "upgrade-check-upgrade.log"
        seconds = run_odoo(
            [*new_cmd, "-u", ",".join(UPGRADED), "--stop-after-init"],
            upgrade_log,
            "the upgrade",
        )
        warnings = bad_lines(upgrade_log)
        migrated = "module amazon_integration: Running migration" in upgrade_log.read_text(
            errors="replace"
        )
        run.check(
            f"upgrade -u {','.join(UPGRADED)}: no WARNING/ERROR line in its log",
            not warnings,
            "\n".join(w[:400] for w in warnings[:20]) or f"{seconds:.0f}s, {upgrade_log}",
        )
        run.check(
            f"the migration to {new_version} ran",
            migrated or old_version == new_version,
            "Running migration found in the log"
            if migrated
            else f"no migration script ran ({old_version} -> {new_version})",
        )
        run.step("upgrade (working tree)", True, f"{seconds:.0f}s, log {upgrade_log}")

        print("\n=== verify with the new code ===", flush=True)
        sellers = [a["seller_id"] for a in run.before["accounts"].values()]
        amazon_before = sandbox.report_requests(sellers)
        new_args = new_cmd[new_cmd.index("-m") + 2 :]
        verify_log = logs / "upgrade-check-verify.log"
        began = time.monotonic()
        code = helper(python, "verify", new_args, params_file, verify_log)
        params = json.loads(params_file.read_text())
        run.after = params.get("after") or {}
        run.checks += run.after.get("checks", [])
        if code and not run.after.get("checks"):
            raise Failed(f"verifying with the new code failed (see above and {verify_log})")
        warnings = bad_lines(verify_log)
        run.check(
            "the new code's steps logged no WARNING/ERROR",
            not warnings,
            "\n".join(w[:400] for w in warnings[:10]) or str(verify_log),
        )
        amazon_after = sandbox.report_requests(sellers)
        in_flight = {
            r["amazon_request_id"]: amazon_before.get(r["amazon_request_id"])
            for r in run.before["expected"]["requests"]
            if r["amazon_request_id"]
        }
        repeated = []
        new_requests = {rid: v for rid, v in amazon_after.items() if rid not in amazon_before}
        for rid, (seller, kind, start, end) in new_requests.items():
            for old in in_flight.values():
                same_window = old and old[2:] == (start, end)
                if old and old[:2] == (seller, kind) and (same_window or kind == FBA_REPORT_TYPE):
                    repeated.append(f"{rid} {kind} {start}..{end}")
        run.check(
            "Amazon's side: no report requested twice (the sandbox's report requests)",
            not repeated and all(in_flight.values()),
            "; ".join(repeated)
            or f"{len(new_requests)} request(s) after the upgrade; the {len(in_flight)} in"
            f" flight were known to Amazon: {', '.join(sorted(in_flight))}",
        )
        run.step("verify (new code)", True, f"{time.monotonic() - began:.0f}s, log {verify_log}")
    except (Failed, SystemExit) as error:
        run.step("stopped", False, str(error))
    except KeyboardInterrupt:
        run.step("stopped", False, "interrupted")
    finally:
        if sandbox:
            sandbox.stop()
        if database_made and not args.keep_db:
            devenv.sql(
                python, pg, [f'DROP DATABASE IF EXISTS "{database}"'], attempts=3, check=False
            )
        if args.keep_db:
            run.notes.append(f"kept: database {database}, sandbox data {work / 'sandbox'}")
            shutil.rmtree(old_tree, ignore_errors=True)
            shutil.rmtree(work / "new", ignore_errors=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    summary(run, commit, database, time.monotonic() - started)
    return 0 if run.ok else 1


def _interrupted(*_args):
    raise KeyboardInterrupt


def summary(run: Run, commit: str, database: str, seconds: float) -> None:
    print("\n=== Upgrade check summary ===")
    print(f"from {commit[:10]} to the working tree of {devenv.ROOT}, database {database}")
    for name, ok, detail in run.steps:
        print(f"  [{'ok' if ok else 'FAILED'}] {name}: {detail}")
    if run.before.get("populated"):
        print("\npopulated with the old code:")
        for item in run.before["populated"]:
            print(f"  [{'ok' if item['ok'] else 'not reached'}] {item['what']}: {item['detail']}")
    before = run.before.get("counts") or {}
    upgraded = run.after.get("counts") or {}
    continued = run.after.get("counts_continued") or {}
    if before:
        print("\ncounts: before the upgrade | after it | after the new code's steps")
        for group, values in before.items():
            print(f"  {group}:")
            keys = list(values) + [
                k
                for k in {**upgraded.get(group, {}), **continued.get(group, {})}
                if k not in values
            ]
            for key in keys:
                line = (
                    f"{values.get(key, 0):>5} | {upgraded.get(group, {}).get(key, '-')!s:>5}"
                    f" | {continued.get(group, {}).get(key, '-')!s:>5}"
                )
                print(f"    {line}  {key}")
    if run.checks:
        print("\nchecks:")
        for check in run.checks:
            detail = check["detail"].replace("\n", "\n      ")
            print(f"  [{'PASS' if check['ok'] else 'FAIL'}] {check['name']}")
            if detail:
                print(f"      {detail}")
    for note in run.notes:
        print(f"note: {note}")
    failed = [c for c in run.checks if not c["ok"]] + [s for s in run.steps if not s[1]]
    passed = sum(1 for c in run.checks if c["ok"])
    verdict = "PASSED" if run.ok else "FAILED"
    print(
        f"\nupgrade check {verdict}: {passed} checks passed, {len(failed)} failed ({seconds:.0f}s)"
    )


if __name__ == "__main__":
    sys.exit(main())
