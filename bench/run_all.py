"""Run every benchmark in turn (each in its own interpreter, so none disturbs the next).

`python -m bench.run_all` (or `python bench/run_all.py`) from the repo root; extra arguments
are not passed on. Results: bench/results/<name>.json.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ("transitions", "ack_burst", "declare_to_card", "notifier", "storm")
TIMEOUT_S = 900


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== bench.{name} ===", flush=True)
        try:
            code = subprocess.run(
                [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, timeout=TIMEOUT_S, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            code = -1
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
