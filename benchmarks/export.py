"""Time the export stage alone on a warehouse a full run has already filled, and check that
two exports give the same bytes.

    python benchmarks/scale.py --households 140000 --workdir /tmp/county   # once: drop + warehouse
    python benchmarks/export.py --workdir /tmp/county [--repeat 2]

Each repeat copies the warehouse, runs `flows.stages.export` into a fresh folder (as the
flow does, without Prefect) and prints its wall time, the time of the writers it calls in
this process, and the size of what it wrote; then the folders are compared file by file.
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from cohort.core.ruleset import load_ruleset  # noqa: E402
from cohort.flows import stages  # noqa: E402
from cohort.flows.stages import RunSettings, export  # noqa: E402

# The writers the export stage calls in this process, timed one by one (wrapped where the
# stage looks them up). The district lists, out-of-area list and claim workbook are written
# in a second process meanwhile (`write_workbooks`, decision 86): they are in the total only.
PARTS = ("write_csv_exports", "write_review", "write_run_report")
spent: dict[str, float] = {}


def _timed(name, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
    return wrapper


def _wrap_parts() -> None:
    for owner in (stages, stages.outputs):
        for name in PARTS:
            if hasattr(owner, name) and not hasattr(getattr(owner, name), "__wrapped_part__"):
                wrapped = _timed(name, getattr(owner, name))
                wrapped.__wrapped_part__ = True
                setattr(owner, name, wrapped)


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", type=Path, required=True, help="a scale.py --workdir (holds w.duckdb)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2014, 3, 31))
    ap.add_argument("--programme", default="phase1")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(machine())
    _wrap_parts()
    scratch = Path(tempfile.mkdtemp(prefix="cohort-export-", dir=args.workdir))
    outs = []
    try:
        for i in range(args.repeat):
            db = scratch / f"w{i}.duckdb"
            shutil.copy(args.workdir / "w.duckdb", db)
            out = scratch / f"out{i}"
            out.mkdir()
            s = RunSettings(run_id="export-benchmark", input_dir=args.workdir, as_of=args.as_of,
                            programme=args.programme, ruleset=load_ruleset(), work_db=db, staging=out)
            spent.clear()
            t = time.perf_counter()
            export(s)
            seconds = time.perf_counter() - t
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
            print(f"export {i + 1}: {seconds:.1f}s, {len(_files(out))} files, {size:.1f} MiB; "
                  + ", ".join(f"{k} {v:.1f}s" for k, v in spent.items()))
            outs.append(out)
        first = outs[0]
        for other in outs[1:]:
            names = _files(first)
            assert names == _files(other), "different files"
            differ = [str(n) for n in names if not filecmp.cmp(first / n, other / n, shallow=False)]
            print("byte-identical" if not differ else f"differ: {differ}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
