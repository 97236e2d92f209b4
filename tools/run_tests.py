"""The project's test command (``make test``).

1. The Odoo-free suite (pytest over ``tests/``: the sandbox, feed building, parsing, quotas)
   always runs, in ``.venv``.
2. The Odoo suite runs whenever an Odoo 18 is importable by ``$ODOO_PYTHON`` (default: the
   interpreter running this script): our addons are installed with ``--test-enable`` in a fresh
   database on the PostgreSQL named by ``PG*`` variables, or on a throwaway cluster. It fails on
   a failed test, on an install or test log line at WARNING or above, and on a count of 0 tests.

It ends with a summary that says which suites ran and which were skipped and why, and a last
line ``N passed, N failed``. Exit status 0 only if every suite that ran passed.

Options: ``--pure`` / ``--odoo`` run one suite only; ``--keep-db`` keeps the Odoo test database;
arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devenv

SUMMARY_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
BAD_LINE_RE = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")


@dataclass
class SuiteResult:
    name: str
    ran: bool
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.ran or (self.failed == 0 and self.passed > 0)


def run_pure(pytest_args: list[str]) -> SuiteResult:
    python = devenv.ensure_project_venv()
    devenv.CACHE.mkdir(exist_ok=True)
    junit = devenv.CACHE / "pytest-junit.xml"
    junit.unlink(missing_ok=True)
    print("\n=== Odoo-free suite (pytest) ===", flush=True)
    cmd = [python, "-m", "pytest", "tests", "-q", f"--junitxml={junit}", *pytest_args]
    code = devenv.run(cmd, cwd=devenv.ROOT).returncode
    if not junit.exists():
        return SuiteResult("Odoo-free suite (pytest)", True, failed=1, detail=f"exit {code}")
    suites = ET.parse(junit).getroot()
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    if code not in (0, 1) and not failed:
        failed = 1  # pytest itself failed (usage error, no tests collected, interrupted)
    detail = f"{passed} passed, {failed} failed, {totals['skipped']} skipped"
    if passed == 0:
        detail += " — no test ran"
    return SuiteResult("Odoo-free suite (pytest)", True, passed, failed, totals["skipped"], detail)


def _bad_log_lines(log_path: Path) -> list[str]:
    return [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if BAD_LINE_RE.match(line)
    ]


def run_odoo(keep_db: bool) -> SuiteResult:
    name = "Odoo suite"
    odoo, reason = devenv.find_odoo()
    if not odoo:
        return SuiteResult(name, False, detail=reason)
    pg, reason = devenv.postgres()
    if not pg:
        return SuiteResult(name, False, detail=reason)
    print(f"\n=== Odoo suite (Odoo {odoo.version} from {odoo.package_dir.parent}) ===", flush=True)
    python = devenv.ensure_odoo_venv(odoo)
    devenv.CACHE.mkdir(exist_ok=True)
    database = f"amazon_connector_test_{os.getpid()}"
    env = dict(os.environ, TZ="UTC")
    base = devenv.odoo_command(python, odoo, pg, database)
    deps = devenv.addon_dependencies()
    addons = [*devenv.OUR_ADDONS, *devenv.TEST_ADDONS]
    try:
        started = time.monotonic()
        deps_log = devenv.CACHE / "odoo-install-deps.log"
        test_log = devenv.CACHE / "odoo-test.log"
        for stale in (deps_log, test_log):  # Odoo appends to its log file
            stale.unlink(missing_ok=True)
        devenv.log(f"installing the dependencies ({', '.join(deps)}) on {pg.description}")
        cmd = [
            *base,
            "-i",
            ",".join(deps),
            "--without-demo=all",
            "--stop-after-init",
            "--logfile",
            deps_log,
        ]
        code = devenv.run(cmd, env=env).returncode
        bad = _bad_log_lines(deps_log)
        if code or bad:
            return SuiteResult(name, True, failed=1, detail=_failure(deps_log, code, bad))
        devenv.log(f"dependencies installed in {time.monotonic() - started:.0f}s")

        tags = ",".join(f"/{addon}" for addon in addons)
        devenv.log(f"installing and testing {', '.join(addons)} (log: {test_log})")
        cmd = [
            *base,
            "-i",
            ",".join(addons),
            "--test-enable",
            "--test-tags",
            tags,
            "--without-demo=all",
            "--stop-after-init",
            "--logfile",
            test_log,
        ]
        code = devenv.run(cmd, env=env).returncode
        text = test_log.read_text(errors="replace")
        summaries = SUMMARY_RE.findall(text)
        bad = _bad_log_lines(test_log)
        failed = sum(int(f) + int(e) for f, e, _ in summaries)
        total = sum(int(t) for _, _, t in summaries)
        if code or bad or not summaries or total == 0 or failed:
            detail = _failure(test_log, code, bad)
            if not summaries:
                detail = "no test summary line (a module failed to load?) " + detail
            elif total == 0:
                detail = "0 tests ran " + detail
            return SuiteResult(name, True, total - failed, max(failed, 1), 0, detail)
        tours = text.count("tour succeeded")
        browser = devenv.find_browser()
        skipped = 0 if (browser and tours) else 1
        detail = (
            f"{total} tests, 0 failed, 0 errors, no WARNING/ERROR in the install and "
            f"test log ({time.monotonic() - started:.0f}s, {pg.description}); "
            + (
                f"browser tours: {tours} ran in {browser}"
                if browser and tours
                else "browser tour SKIPPED: no Chrome/Chromium found (.ci/run installs "
                "Debian's chromium; elsewhere: apt-get install chromium)"
                if not browser
                else "browser tour SKIPPED: Odoo could not drive the browser (see the log)"
            )
        )
        return SuiteResult(name, True, total - skipped, 0, skipped, detail)
    finally:
        if not keep_db:
            _drop_database(python, pg, database)


def _failure(log_path: Path, code: int, bad: list[str]) -> str:
    print(f"\n--- {log_path.name}: lines at WARNING or above ---")
    for line in bad[:60]:
        print(line[:500])
    if not bad:
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-40:]))
    return f"(exit {code}, {len(bad)} WARNING/ERROR lines, see {log_path})"


def _drop_database(python: Path, pg: devenv.Postgres, database: str) -> None:
    devenv.sql(python, pg, [f'DROP DATABASE IF EXISTS "{database}"'], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pure", action="store_true", help="run the Odoo-free suite only")
    parser.add_argument("--odoo", action="store_true", help="run the Odoo suite only")
    parser.add_argument("--keep-db", action="store_true", help="keep the Odoo test database")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()

    results = []
    if args.odoo:
        results.append(SuiteResult("Odoo-free suite (pytest)", False, detail="--odoo given"))
    else:
        results.append(run_pure(args.pytest_args))
    if args.pure:
        results.append(SuiteResult("Odoo suite", False, detail="--pure given"))
    else:
        results.append(run_odoo(args.keep_db))

    print("\n=== Test summary ===")
    for result in results:
        state = ("PASSED" if result.ok else "FAILED") if result.ran else "SKIPPED"
        print(f"{result.name}: {state} — {result.detail}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    ran = [r for r in results if r.ran]
    print(f"suites: {len(ran)} ran, {len(results) - len(ran)} skipped")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0 if ran and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
