"""What the Prefect engine costs: the same stages run by the flow and called directly.

    python benchmarks/prefect_overhead.py --households 5000

Both runs use the same generated drop and a fresh warehouse. The direct run calls the
plain stage functions of `flows.stages.STAGES` in order on a Workspace, exactly as the
flow does, without Prefect's task and flow machinery. Each is run in its own process
(Prefect's temporary server start-up is part of what a real `cohort run` pays).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DIRECT, machine  # noqa: E402


def _timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from cohort.data_samples.generator import generate

    root = Path(tempfile.mkdtemp(prefix="cohort-overhead-"))
    generate(root / "drop", households=args.households, seed=5)
    drop = root / "drop" / "extracts"
    print(machine())
    flow_t, direct_t = [], []
    for i in range(args.repeat):
        direct_t.append(_timed([sys.executable, "-c", DIRECT, str(drop), str(root / f"d{i}")]))
        flow_t.append(_timed([sys.executable, "-m", "cohort.cli", "run", "--input", str(drop),
                              "--as-of", "2014-03-31", "--db", str(root / f"f{i}" / "w.duckdb"),
                              "--out", str(root / f"f{i}" / "out")]))
    f, d = min(flow_t), min(direct_t)
    print(f"{args.households} households: Prefect flow {f:.1f}s, direct calls {d:.1f}s, "
          f"overhead {f - d:.1f}s ({f / d:.2f}x), best of {args.repeat}")


if __name__ == "__main__":
    main()
