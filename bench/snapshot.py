"""Run benchmarks against the committed code (HEAD), not the working tree others are editing.

`git archive HEAD` is unpacked into a temporary directory, this tree's bench/ is copied over it
(so new or changed benchmarks run against HEAD's app/, listeners/, views/ and slack_emulator/),
each benchmark runs there in its own interpreter (`python -m bench.<name> [args]`, cwd = the
copy, which Python puts ahead of the editable install), and its results and logs are copied
back to bench/results/. The JSON's `source` then says `exported: true` and names HEAD.
Nothing in the repository is written except bench/results/.

`python -m bench.snapshot notifier storm` (arguments after `--` go to every benchmark:
`python -m bench.snapshot notifier -- --runs 1`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench.common import RESULTS, ROOT

TIMEOUT_S = 1200


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()


def export() -> Path:
    head = git("rev-parse", "--short", "HEAD")
    target = Path(tempfile.mkdtemp(prefix=f"beacon-bench-{head}-"))
    archive = target / "head.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, stdout=out, timeout=120, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    bench = target / "bench"
    for path in (ROOT / "bench").glob("*.py"):  # this tree's benchmarks over HEAD's
        shutil.copy2(path, bench / path.name)
    dirty = [line for line in git("status", "--porcelain").splitlines() if "bench/" not in line]
    (bench / "source.json").write_text(
        json.dumps(
            {
                "head": head,
                "exported": True,
                "note": "git archive HEAD + this tree's bench/*.py; uncommitted changes excluded",
                "working_tree_uncommitted_files": len(dirty),
            }
        )
    )
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", help="benchmark modules: notifier, storm, ...")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    extra = argv[cut + 1 :]  # passed on to every benchmark
    copy = export()
    print(f"HEAD exported to {copy}", flush=True)
    failed = []
    try:
        for name in args.names:
            print(f"\n=== bench.{name} (HEAD export) ===", flush=True)
            try:
                code = subprocess.run(
                    [sys.executable, "-m", f"bench.{name}", *extra],
                    cwd=copy,
                    timeout=TIMEOUT_S,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                code = -1
            RESULTS.mkdir(parents=True, exist_ok=True)
            for path in (copy / "bench" / "results").glob(f"{name}*"):
                shutil.copy2(path, RESULTS / path.name)
            if code != 0:
                failed.append(name)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
