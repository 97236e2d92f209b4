"""Development environment shared by the test runner, the demo and the benchmarks.

Standard library only: it runs before any virtualenv exists. It knows how to
- create the project's virtualenv (``.venv``) with requirements.txt + test-requirements.txt;
- find an Odoo 18 importable by ``$ODOO_PYTHON`` (default: the interpreter running this) and
  prepare ``.venv-odoo``, a virtualenv that sees that Odoo and has our addons' dependencies;
- use the PostgreSQL named by the usual ``PG*`` variables, or start a throwaway cluster with the
  PostgreSQL server binaries found on the machine.
Nothing here installs Odoo or PostgreSQL: they are the user's (see README.md).
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
ODOO_VENV = ROOT / ".venv-odoo"
CACHE = ROOT / ".cache"
OUR_ADDONS = ("integrator_base", "amazon_integration")
TEST_ADDONS = ("test_integrator_base",)


def log(message: str) -> None:
    print(f"[devenv] {message}", flush=True)


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=False, **kwargs)


def _stamp(*files: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _pip_install(venv: Path, requirement_files: list[Path], label: str) -> None:
    stamp_file = venv / ".requirements-stamp"
    stamp = _stamp(*requirement_files)
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    args = [_venv_python(venv), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    for req in requirement_files:
        args += ["-r", req]
    log(f"installing {label} requirements into {venv.name}")
    result = run(args)
    if result.returncode:
        raise SystemExit(f"pip install failed for {venv} ({result.returncode})")
    stamp_file.write_text(stamp)


def ensure_project_venv() -> Path:
    """``.venv`` with the addons' and the tests' PyPI dependencies; returns its python."""
    if not _venv_python(VENV).exists():
        log(f"creating {VENV.name} with {sys.executable}")
        if run([sys.executable, "-m", "venv", VENV]).returncode:
            raise SystemExit("could not create the virtualenv")
    _pip_install(VENV, [ROOT / "requirements.txt", ROOT / "test-requirements.txt"], "project")
    return _venv_python(VENV)


# ---------------------------------------------------------------------------------- Odoo


@dataclass
class OdooInfo:
    python: str  # the interpreter the user named (ODOO_PYTHON)
    version: str
    package_dir: Path  # .../odoo
    sys_path: list[str] = field(default_factory=list)

    @property
    def addons_path(self) -> str:
        extra = os.environ.get("ODOO_ADDONS_PATH")
        paths = [str(self.package_dir / "addons"), str(ROOT)]
        if extra:
            paths[1:1] = [p for p in extra.split(",") if p]
        return ",".join(paths)


_PROBE = (
    "import json, os, sys\n"
    "import odoo.release as r\n"
    "import odoo\n"
    "print(json.dumps({'major': r.version_info[0], 'version': r.version,"
    " 'package_dir': os.path.dirname(odoo.__file__), 'sys_path': sys.path}))\n"
)


def find_odoo() -> tuple[OdooInfo | None, str]:
    """The Odoo 18 importable by $ODOO_PYTHON, or None and the reason why not."""
    python = os.environ.get("ODOO_PYTHON") or sys.executable
    if not shutil.which(python) and not Path(python).exists():
        return None, f"ODOO_PYTHON={python} is not an interpreter on this machine"
    result = run([python, "-c", _PROBE], capture_output=True, text=True)
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"Odoo is not importable by {python} ({last}); set ODOO_PYTHON"
    info = json.loads(result.stdout.strip().splitlines()[-1])
    if info["major"] != 18:
        return None, f"{python} imports Odoo {info['version']}, not Odoo 18"
    return OdooInfo(python, info["version"], Path(info["package_dir"]), info["sys_path"]), ""


def ensure_odoo_venv(odoo: OdooInfo) -> Path:
    """``.venv-odoo``: sees the user's Odoo and its libraries, adds our addons' dependencies.

    A virtualenv made from $ODOO_PYTHON with --system-site-packages, plus a .pth file listing
    that interpreter's sys.path, so that it also works when Odoo lives in another virtualenv.
    """
    # absolute(), not resolve(): a venv's interpreter is a link out of the venv
    if Path(odoo.python).absolute().is_relative_to(ODOO_VENV.absolute()):
        raise SystemExit(
            f"ODOO_PYTHON={odoo.python} is inside {ODOO_VENV.name}, which this command makes "
            "from the Python that has Odoo: set ODOO_PYTHON to that Python"
        )
    marker = ODOO_VENV / ".odoo-python"
    if marker.exists() and marker.read_text() != odoo.python:
        shutil.rmtree(ODOO_VENV)
    if not _venv_python(ODOO_VENV).exists():
        log(f"creating {ODOO_VENV.name} from {odoo.python}")
        cmd = [odoo.python, "-m", "venv", "--system-site-packages", ODOO_VENV]
        if run(cmd).returncode:
            raise SystemExit("could not create the Odoo virtualenv")
        marker.write_text(odoo.python)
    site_packages = run(
        [_venv_python(ODOO_VENV), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    paths = [p for p in odoo.sys_path if p and Path(p).is_dir()]
    (Path(site_packages) / "_odoo_paths.pth").write_text("\n".join(paths) + "\n")
    _pip_install(
        ODOO_VENV, [ROOT / "requirements.txt", ROOT / "test-requirements-odoo.txt"], "addon"
    )
    return _venv_python(ODOO_VENV)


def find_browser() -> str | None:
    """The Chrome or Chromium Odoo's browser tests (tours) would use, if any."""
    for name in ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


# ---------------------------------------------------------------------------- PostgreSQL


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    password: str | None
    description: str

    def odoo_args(self) -> list[str]:
        args = ["--db_host", self.host, "--db_port", str(self.port), "--db_user", self.user]
        if self.password:
            args += ["--db_password", self.password]
        return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb")
        + glob.glob("/usr/local/pgsql/bin/initdb")
        + glob.glob("/opt/homebrew/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")],
    )
    return Path(candidates[-1]).parent if candidates else None


def postgres(keep_dir: Path | None = None) -> tuple[Postgres | None, str]:
    """The PostgreSQL named by PG* variables, else a cluster of our own, stopped at exit.

    The cluster is thrown away at exit, unless ``keep_dir`` names where it lives (the demo).
    """
    if any(os.environ.get(v) for v in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")):
        pg = Postgres(
            os.environ.get("PGHOST", "localhost"),
            int(os.environ.get("PGPORT", "5432")),
            os.environ.get("PGUSER", os.environ.get("USER", "odoo")),
            os.environ.get("PGPASSWORD"),
            "",
        )
        pg.description = f"PostgreSQL from PG* variables ({pg.user}@{pg.host}:{pg.port})"
        return pg, ""
    bindir = _pg_bindir()
    if not bindir:
        return None, "no PostgreSQL: set PG* variables or install the PostgreSQL server binaries"
    return _own_cluster(bindir, keep_dir), ""


def _own_cluster(bindir: Path, keep_dir: Path | None) -> Postgres:
    base = keep_dir or Path(tempfile.mkdtemp(prefix="odoo-test-pg-"))
    data, sockets = base / "data", base / "sockets"
    base.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        owner = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(base, owner)
        shutil.chown(sockets, owner)
        os.chmod(base, 0o755)
        prefix = ["runuser", "-u", owner, "--"]
    port = free_port()
    init = (
        subprocess.CompletedProcess([], 0)
        if (data / "PG_VERSION").exists()
        else run(
            [
                *prefix,
                bindir / "initdb",
                "-D",
                data,
                "-A",
                "trust",
                "-U",
                "odoo",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
        )
    )
    if init.returncode:
        raise SystemExit(f"initdb failed: {init.stderr.strip()}")
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
    )
    start = run(
        [
            *prefix,
            bindir / "pg_ctl",
            "-D",
            data,
            "-o",
            options,
            "-l",
            base / "server.log",
            "-w",
            "start",
        ],
        capture_output=True,
        text=True,
    )
    if start.returncode:
        raise SystemExit(f"PostgreSQL did not start: {(base / 'server.log').read_text()[-2000:]}")

    def stop():
        run(
            [*prefix, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        if keep_dir is None:
            shutil.rmtree(base, ignore_errors=True)

    atexit.register(stop)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    version = run([bindir / "pg_ctl", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\d+(\.\d+)*", version)
    version = found.group(0) if found else "?"
    if keep_dir:
        description = f"PostgreSQL {version} cluster in {base}"
    else:
        description = f"throwaway PostgreSQL {version} cluster"
    return Postgres("127.0.0.1", port, "odoo", None, description)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# ------------------------------------------------------------------------------- manifests


def addon_dependencies(addons=OUR_ADDONS + TEST_ADDONS) -> list[str]:
    """The Odoo addons ours depend on (ours excluded), read from the manifests."""
    ours = set(OUR_ADDONS + TEST_ADDONS)
    deps: set[str] = set()
    for addon in addons:
        manifest = eval((ROOT / addon / "__manifest__.py").read_text())
        deps.update(d for d in manifest.get("depends", []) if d not in ours)
    return sorted(deps)


def odoo_command(python: Path, odoo: OdooInfo, pg: Postgres, database: str) -> list[str]:
    return [
        str(python),
        "-m",
        "odoo",
        *pg.odoo_args(),
        "-d",
        database,
        "--addons-path",
        odoo.addons_path,
        "--http-port",
        str(free_port()),
        "--gevent-port",
        str(free_port()),
    ]


def wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run_odoo(cmd, logfile, what: str) -> None:
    """Run an Odoo command line (TZ=UTC) logging to ``logfile``; stop with its log's tail."""
    started = time.monotonic()
    code = run([*cmd, "--logfile", logfile], env=dict(os.environ, TZ="UTC")).returncode
    if code:
        tail = "\n".join(Path(logfile).read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{what} failed (exit {code}), see {logfile}:\n{tail}")
    log(f"{what}: {time.monotonic() - started:.0f}s")


_SQL_SCRIPT = (
    "import psycopg2, sys\n"
    "h, p, u, pw, db, *statements = sys.argv[1:]\n"
    "c = psycopg2.connect(host=h, port=int(p), user=u, password=pw or None, dbname=db)\n"
    "c.autocommit = True\n"
    "cr = c.cursor()\n"
    "for s in statements:\n"
    "    cr.execute(s)\n"
    "print(repr(cr.fetchall()) if cr.description else '')\n"
)


def sql(python, pg: Postgres, statements, dbname="postgres", attempts=1, check=True):
    """Run SQL statements with the Odoo interpreter's psycopg2 (autocommit, e.g. CREATE /
    DROP DATABASE); returns the last statement's rows as text. ``attempts`` retries (a
    database still in use a moment after its server stopped)."""
    cmd = [python, "-c", _SQL_SCRIPT, pg.host, pg.port, pg.user, pg.password or "", dbname]
    for attempt in range(attempts):
        result = run([*cmd, *statements], capture_output=True, text=True)
        if not result.returncode:
            return result.stdout.strip()
        if attempt + 1 < attempts:
            time.sleep(3)
    if check:
        raise SystemExit(f"SQL failed: {statements}: {result.stderr.strip()}")
    return None
