"""Splitting matching work into partitions that can run on separate workers.

A partition is a set of whole connected components of a candidate-pair graph: pairs are
compared one by one, and clustering never looks across a component, so the results of
the partitions put together are exactly the result of one pass over everything
(tests/test_partition.py checks this). The number of partitions depends only on the
data, never on where the work runs, so a run on a Dask cluster gives the same output
as a run in one process.

The work is handed to a `Mapper`: `serial_map` in one process, or the flow's
Prefect task runner (threads by default, a Dask cluster with `--dask-address`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from cohort.matching.cluster import components

# Each callable takes one work item and returns its result; results come back in order.
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]

# About this many candidate pairs per partition (a few seconds of comparing each), and
# never more partitions than this: each one costs a task and a transfer.
PAIRS_PER_PARTITION = 400_000
MAX_PARTITIONS = 32


def serial_map(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """The in-process mapper: one item after another."""
    return [fn(item) for item in items]


def work_size(item: Any) -> int:
    """How much work an item holds: a frame's rows, else the item's own `size`."""
    return item.height if isinstance(item, pl.DataFrame) else int(item.size)


def skipping_empty(mapper: Mapper) -> Mapper:
    """`mapper` for the items that hold work; an item with none (a partition no candidate
    pair fell into, as most do when one component holds nearly every pair) is done here,
    where it costs nothing, instead of as a task of its own. Results stay in order."""
    def mapped(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        busy = [i for i, item in enumerate(items) if work_size(item) > 0]
        done = dict(zip(busy, mapper(fn, [items[i] for i in busy]))) if busy else {}
        return [done[i] if i in done else fn(item) for i, item in enumerate(items)]
    return mapped


def partition_count(pairs: int, partitions: int | None = None) -> int:
    """`partitions` if given, else one per PAIRS_PER_PARTITION candidate pairs."""
    if partitions is not None:
        return max(1, int(partitions))
    return int(min(MAX_PARTITIONS, max(1, -(-pairs // PAIRS_PER_PARTITION))))


def assign(n: int, left: np.ndarray, right: np.ndarray, k: int) -> np.ndarray:
    """Partition number (0..k-1) for each of n nodes, whole components together, with
    about equal numbers of pairs per partition.

    Components are taken largest first (ties by their smallest node) and cut into k runs
    of about equal numbers of pairs (the cumulative count before a component decides
    its partition), which balances the partitions to within one component's pairs
    without a loop over components. Nodes in no pair go to partition 0 (no work).
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    comp = components(n, left, right)
    if k <= 1 or len(left) == 0:
        return np.zeros(n, dtype=np.int64)
    sizes = np.bincount(comp[left], minlength=n)
    order = np.lexsort((np.arange(n), -sizes))          # largest first, then by label
    order = order[sizes[order] > 0]
    before = np.cumsum(sizes[order]) - sizes[order]
    part_of_comp = np.zeros(n, dtype=np.int64)
    part_of_comp[order] = np.minimum(k - 1, (k * before) // len(left))
    return part_of_comp[comp]


def split(frame: pl.DataFrame, part: np.ndarray, column: str, k: int) -> list[pl.DataFrame]:
    """The rows of `frame` per partition, by the partition of the node in `column`
    (row order kept within each)."""
    # The tag in the smallest type that holds k (at most MAX_PARTITIONS): one per row.
    tag = part.astype(np.min_scalar_type(max(k - 1, 0)))[frame[column].to_numpy()]
    tagged = frame.with_columns(pl.Series("_part", tag))
    parts = tagged.partition_by("_part", as_dict=True, include_key=False, maintain_order=True)
    return [parts.get((i,), frame.clear()) for i in range(k)]
