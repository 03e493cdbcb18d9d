"""County scale, three ways: the flow on one process, the flow on a local 2-worker Dask
cluster, and the stage functions called directly (no Prefect).

    python benchmarks/scale_out.py --households 200000          # about 1M input rows
    python benchmarks/scale_out.py --drop /tmp/x/drop --households 200000   # reuse a drop

Each run is a child process on the same drop with a fresh warehouse. Peak memory is
the largest sum, sampled every 0.2 s, of the resident memory of the run's process, its
children and (for the Dask run) the cluster's worker processes. The Dask run's cluster
is started before the clock starts, as an existing cluster would be. Time per stage
comes from the warehouse's `runs` table (flow runs) or is timed around each stage
(direct calls). The outputs of the three runs are compared: they must be identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DIRECT, machine  # noqa: E402

AS_OF = "2014-03-31"


class PeakMemory:
    """Peak of the summed RSS of a process tree plus extra processes, sampled in a thread."""

    def __init__(self, extra: list[psutil.Process] | None = None):
        self.extra = extra or []
        self.peak = 0
        self._stop = threading.Event()
        self._root: psutil.Process | None = None

    def watch(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self._root, *self._root.children(recursive=True), *self.extra]
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**30


def _run(cmd: list[str], extra: list[psutil.Process] | None = None) -> tuple[float, float]:
    mem = PeakMemory(extra)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem.watch(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    peak = mem.stop()
    if proc.returncode:
        raise SystemExit(f"{cmd[:4]} failed:\n{out[-2000:]}\n{err[-3000:]}")
    return wall, peak


def _flow_stage_seconds(db: Path) -> dict[str, float]:
    import duckdb

    from cohort.core.warehouse import fetch_one

    with duckdb.connect(str(db), read_only=True) as con:
        counts = fetch_one(con.execute("select counts from runs order by finished_at desc limit 1"))[0]
    return json.loads(counts)["seconds"]


def _digest(out: Path) -> str:
    h = hashlib.sha256()
    for name in ("person_links.csv", "families.csv", "results.csv"):
        h.update((out / name).read_bytes())
    return h.hexdigest()[:12]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--drop", type=Path, default=None, help="an existing generated drop (its folder)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cohort-scaleout-"))
    print(machine())
    drop = args.drop
    if drop is None:
        from cohort.data_samples.generator import generate

        drop = root / "drop"
        t = time.perf_counter()
        generate(drop, households=args.households, seed=args.seed)
        print(f"generated {args.households} households in {time.perf_counter() - t:.0f}s")
    extracts = drop / "extracts"
    rows = sum(sum(1 for _ in f.open()) - 1 for f in extracts.glob("*.csv"))
    print(f"input rows: {rows:,} in {extracts}")

    def cohort(work: Path, *extra: str) -> list[str]:
        return [sys.executable, "-m", "cohort.cli", "run", "--input", str(extracts), "--as-of", AS_OF,
                "--db", str(work / "w.duckdb"), "--out", str(work / "out"), *extra]

    results = {}
    work = root / "single"
    wall, peak = _run(cohort(work))
    results["flow, one process"] = (wall, peak, _flow_stage_seconds(work / "w.duckdb"), _digest(work / "out"))

    from distributed import LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=0) as cluster:
        workers = [psutil.Process(p) for p in _worker_pids(cluster)]
        work = root / "dask"
        wall, peak = _run(cohort(work, "--dask-address", cluster.scheduler_address), extra=workers)
        results[f"flow, Dask {args.workers} workers"] = (
            wall, peak, _flow_stage_seconds(work / "w.duckdb"), _digest(work / "out"))

    work = root / "direct"
    wall, peak = _run([sys.executable, "-c", DIRECT, str(extracts), str(work)])
    results["stage functions, no Prefect"] = (
        wall, peak, json.loads((work / "stage_seconds.json").read_text()), _digest(work / "out"))

    base = results["flow, one process"][0]
    print(f"\n{'run':<30} {'wall s':>8} {'x single':>9} {'peak GiB':>9}  outputs")
    for name, (wall, peak, _, digest) in results.items():
        print(f"{name:<30} {wall:>8.1f} {wall / base:>9.2f} {peak:>9.2f}  {digest}")
    stages = list(next(iter(results.values()))[2])
    print(f"\n{'seconds per stage':<18}" + "".join(f"{n[:22]:>24}" for n in results))
    for s in stages:
        print(f"{s:<18}" + "".join(f"{r[2].get(s, float('nan')):>24.1f}" for r in results.values()))
    same = len({r[3] for r in results.values()}) == 1
    print(f"\noutputs identical across the three runs: {same}")


def _worker_pids(cluster) -> list[int]:
    """The OS process ids of the cluster's workers (asked of each worker)."""
    import os

    from distributed import Client

    with Client(cluster.scheduler_address) as client:
        return list(client.run(os.getpid).values())


if __name__ == "__main__":
    main()
