"""The two yardsticks the scoring benchmark holds scorehouse against, each computing R, F and M quintile
scores of every buying customer straight from an orders Parquet file:

- `floor`: one hand-written DuckDB query, the least work any SQL engine can do for RFM scores;
- `pandas`: the groupby and qcut a typical notebook does.

Both count completed orders only, over all of the file's history, as of the newest order, and write the
scores to a Parquet file next to the input so the work cannot be skipped. Run as a child process by
bench/benchmark_scoring.py, which measures its memory; the compute time is printed as `seconds=<s>`,
without the interpreter's start-up and imports.

    python bench/rfm_baselines.py floor|pandas ORDERS.parquet [ORDERS.parquet ...] --out SCORES.parquet
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

BUCKET_COUNT = 5


def floor_scores(orders: list[Path], out: Path, memory_limit: str) -> None:
    files = ", ".join(f"'{path}'" for path in orders)
    with duckdb.connect() as connection:
        connection.execute(f"set memory_limit = '{memory_limit}'")
        connection.execute(
            f"""
            copy (
                with orders as (
                    select customer_id, ordered_at, amount from read_parquet([{files}]) where status = 'completed'
                ),
                customers as (
                    select
                        customer_id, max(ordered_at) as last_ordered_at, count(*) as frequency,
                        sum(amount) as monetary
                    from orders
                    group by customer_id
                )
                select
                    customer_id,
                    ntile({BUCKET_COUNT}) over (order by last_ordered_at, customer_id) as recency_score,
                    ntile({BUCKET_COUNT}) over (order by frequency, customer_id) as frequency_score,
                    ntile({BUCKET_COUNT}) over (order by monetary, customer_id) as monetary_score
                from customers
            ) to '{out}' (format parquet)
            """
        )


def pandas_scores(orders: list[Path], out: Path) -> None:
    frame = pd.concat(
        [pd.read_parquet(path, columns=["customer_id", "status", "ordered_at", "amount"]) for path in orders]
    )
    completed = frame[frame["status"] == "completed"]
    customers = completed.groupby("customer_id").agg(
        last_ordered_at=("ordered_at", "max"), frequency=("ordered_at", "size"), monetary=("amount", "sum")
    )
    labels = range(1, BUCKET_COUNT + 1)
    # ranking first makes the quantile edges unique, as a notebook does when qcut meets ties
    for column, score in (("last_ordered_at", "recency"), ("frequency", "frequency"), ("monetary", "monetary")):
        customers[f"{score}_score"] = pd.qcut(customers[column].rank(method="first"), BUCKET_COUNT, labels=labels)
    customers[["recency_score", "frequency_score", "monetary_score"]].astype("int64").to_parquet(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=("floor", "pandas"))
    parser.add_argument("orders", nargs="+", type=Path, help="orders Parquet files of the input contract")
    parser.add_argument("--out", type=Path, required=True, help="where the scores go (Parquet)")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB's memory limit for the floor query")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.method == "floor":
        floor_scores(args.orders, args.out, args.memory_limit)
    else:
        pandas_scores(args.orders, args.out)
    print(f"seconds={time.monotonic() - started:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
