"""``make bench``: run every benchmark in bench/ and print their figures.

Benchmarks measure; they never pass or fail on time. Each one prints its own table.
Usage: ``python3 tools/run_bench.py [name ...]`` (names without ``bench_`` and ``.py``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devenv

BENCHMARKS = {
    "sandbox": "bench_sandbox.py",  # sandbox throughput (issue: sandbox)
    "feeds": "bench_feeds.py",  # P2: inventory feed building vs bare lxml
    "p1_capture": "bench_p1_capture.py",  # P1: capture overhead on product writes
    "p5_stock_latency": "bench_p5_stock_latency.py",  # P5: stock change -> Amazon
    "p4_orders": "bench_p4_orders.py",  # P4/R2: orders imported per hour, duplicates
    "p3_shipments": "bench_p3_shipments.py",  # P3: shipment confirmations per hour
    "p6_workers": "bench_p6_workers.py",  # P6: staged import, 1 and 2 cron workers
    "r1_crash": "bench_r1_crash.py",  # R1: kill -9 of the cron worker, what it cost
    "fault_hour": "bench_fault_hour.py",  # half the calls fail for an hour: all synced?
}


def main(names: list[str]) -> int:
    python = devenv.ensure_project_venv()
    selected = names or list(BENCHMARKS)
    status = 0
    for name in selected:
        script = devenv.ROOT / "bench" / BENCHMARKS[name]
        print(f"\n=== {name} ({script.relative_to(devenv.ROOT)}) ===", flush=True)
        started = time.monotonic()
        code = devenv.run([python, script], cwd=devenv.ROOT).returncode
        print(f"--- {name}: exit {code}, {time.monotonic() - started:.0f}s", flush=True)
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
