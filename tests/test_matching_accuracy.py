"""Matching and households measured against the generator's ground truth.

The test runs on the shared 300-household drop; run this file as a script for a bigger
measurement (the figures quoted in the matching report):

    python tests/test_matching_accuracy.py --households 5000 --seed 11
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from support.drops import AS_OF, measure


def test_accuracy_on_the_small_drop(small_drop):
    got = measure(small_drop)
    persons, households = got["persons"], got["households"]
    assert persons.precision >= 0.995 and persons.recall >= 0.98, persons
    assert households.precision >= 0.98 and households.recall >= 0.98, households


def main(argv: list[str] | None = None) -> int:
    from cohort.data_samples.generator import generate

    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), households=args.households, seed=args.seed, as_of=AS_OF)
        got = measure(Path(tmp), AS_OF, args.threshold)
    print(f"{args.households} households, seed {args.seed}: {got['_records']} records, "
          f"link_persons {got['_seconds']:.1f}s")
    print("persons (pairwise over records):   ", got["persons"])
    print("households (pairwise over persons):", got["households"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
