"""The demo without Docker (``make demo``): the Amazon sandbox (SP-API and MWS) and Odoo 18
side by side, the demo account on SP-API.

- the sandbox on http://127.0.0.1:8765 (state in var/sandbox, a sandbox hour per real minute,
  demo orders), its web page showing catalog, orders and feeds;
- Odoo on http://127.0.0.1:8069, database ``amazon_demo`` (login admin / admin) with
  integrator_base and amazon_integration installed with their demo data, on the PostgreSQL
  named by PG* variables or on a cluster of its own kept in var/postgres.

Needs an Odoo 18 importable by $ODOO_PYTHON (see README.md). Ctrl-C or SIGTERM stops everything
it started (Odoo, the sandbox, and the PostgreSQL cluster when it started one).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devenv

VAR = devenv.ROOT / "var"


def start_sandbox(python: Path, port: int) -> tuple[subprocess.Popen, str]:
    cmd = [
        python,
        "-m",
        "amazon_sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        VAR / "sandbox",
        "--time-scale",
        "60",
        "--demo-orders",
        "25",
        "--seed",
        "1",
        "--xsd-dir",
        devenv.ROOT.parent / "shared" / "amazon" / "xsd",
    ]
    if not (devenv.ROOT.parent / "shared" / "amazon" / "xsd").is_dir():
        cmd = cmd[:-2]
    proc = subprocess.Popen(
        [str(c) for c in cmd], cwd=devenv.ROOT, stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def database_exists(python: Path, pg: devenv.Postgres, name: str) -> bool:
    rows = devenv.sql(
        python, pg, [f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], check=False
    )
    return bool(rows and rows != "[]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, default=8069)
    parser.add_argument("--sandbox-port", type=int, default=8765)
    parser.add_argument("--database", default="amazon_demo")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start everything, check both answer, then stop (for CI)",
    )
    args = parser.parse_args()

    odoo, reason = devenv.find_odoo()
    if not odoo:
        print(f"The demo needs Odoo 18: {reason}. Or run it with Docker: docker compose up")
        return 2
    pg, reason = devenv.postgres(keep_dir=VAR / "postgres")
    if not pg:
        print(f"The demo needs PostgreSQL: {reason}")
        return 2
    python = devenv.ensure_odoo_venv(odoo)
    VAR.mkdir(exist_ok=True)
    # SIGTERM (docker stop, kill, a closed terminal's session) stops everything like Ctrl-C:
    # the finally blocks below and the PostgreSQL cluster's exit handler run
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGHUP, _interrupted)
    sandbox, sandbox_url = start_sandbox(python, args.sandbox_port)
    odoo_proc = None
    env = dict(os.environ, TZ="UTC", AMAZON_SANDBOX_URL=sandbox_url)
    base = devenv.odoo_command(python, odoo, pg, args.database)
    base[base.index("--http-port") + 1] = str(args.http_port)
    try:
        addons = ",".join(devenv.OUR_ADDONS)
        if not database_exists(python, pg, args.database):
            devenv.log(f"creating {args.database} with demo data (a few minutes, once)")
            cmd = [*base, "-i", addons, "--stop-after-init"]
        else:
            devenv.log(f"updating the addons in {args.database}")
            cmd = [*base, "-u", addons, "--stop-after-init"]
        if devenv.run(cmd, env=env).returncode:
            return 1
        print(f"\nAmazon sandbox: {sandbox_url}/  (catalog, orders, feeds)")
        print(
            f"Odoo:           http://127.0.0.1:{args.http_port}/odoo  (admin / admin)\n", flush=True
        )
        odoo_proc = subprocess.Popen([str(c) for c in base], env=env)
        if args.check:
            url = f"http://127.0.0.1:{args.http_port}/web/login"
            ok = devenv.wait_for(lambda: _answers(url) and _answers(sandbox_url + "/"), 120)
            odoo_proc.terminate()
            odoo_proc.wait(30)
            print("demo check:", "both answer" if ok else "FAILED")
            return 0 if ok else 1
        return odoo_proc.wait()
    except KeyboardInterrupt:
        devenv.log("stopping the demo")
        return 0
    finally:
        for proc in (odoo_proc, sandbox):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in (odoo_proc, sandbox):
            if proc is not None:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        devenv.log("stopped Odoo and the sandbox")


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
