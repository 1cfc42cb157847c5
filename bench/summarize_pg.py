#!/usr/bin/env python3
"""Medians of bench/pg.sh's runs beside pg-boss's from the same pass, with the ratios the
issue's targets are stated in (flared ÷ pg-boss; 3 nodes ÷ 1 node).

    python3 bench/summarize_pg.py OUT_DIR   (reads OUT_DIR/pg.jsonl and OUT_DIR/pgboss.jsonl)
"""
import json
import statistics
import sys
from pathlib import Path


def lines(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def main():
    out = Path(sys.argv[1])
    runs = lines(out / "pg.jsonl")
    boss = lines(out / "pgboss.jsonl")
    by_case = {}
    for run in runs:
        by_case.setdefault(run["case"], []).append(run)
    flared = {case: median([r.get("per_s") for r in rs]) for case, rs in by_case.items()}
    spread = {case: (min(r.get("per_s", 0) for r in rs), max(r.get("per_s", 0) for r in rs))
              for case, rs in by_case.items()}
    flavor = "pgboss10_node20"
    boss_send = median([b.get(flavor, {}).get("send_seq", {}).get("per_s") for b in boss])
    boss_bulk = median([b.get(flavor, {}).get("insert_bulk1000", {}).get("per_s") for b in boss])
    boss_proc = median([b.get(flavor, {}).get("fetch_loop_b50", {}).get("per_s") for b in boss])
    peer = {"create_c16": boss_send, "batch_c1": boss_bulk, "process_mj50": boss_proc}
    peer_name = {"create_c16": "send(), awaited, one by one",
                 "batch_c1": "insert() of 1000",
                 "process_mj50": "fetch 50 + complete loop"}
    print(f"runs: {len(runs)} flared, {len(boss)} pg-boss ({flavor}); medians, jobs/s\n")
    print("| case | nodes | flared (min–max) | pg-boss in the same pass | flared ÷ pg-boss |")
    print("|---|---:|---:|---:|---:|")
    for case in sorted(flared):
        base, nodes = case.rsplit("_n", 1)
        lo, hi = spread[case]
        ratio = flared[case] / peer[base] if peer.get(base) else None
        print(f"| {base} | {nodes} | {fmt(flared[case])} ({fmt(lo)}–{fmt(hi)}) | "
              f"{fmt(peer.get(base))} ({peer_name[base]}) | {fmt(ratio, 1)}× |")
    one, three = flared.get("process_mj50_n1"), flared.get("process_mj50_n3")
    if one and three:
        print(f"\npoll→ack, 3 nodes ÷ 1 node: {three / one:.2f}×")


if __name__ == "__main__":
    main()
