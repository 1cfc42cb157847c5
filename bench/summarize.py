#!/usr/bin/env python3
"""Median (min–max) of flare_load's figures over runs, beside the peers' figures.

    summarize.py OUT_DIR PEER_MEDIANS_JSON DURABILITY

OUT_DIR holds flared.jsonl (one line per run of a case, from bench/run.sh) and, when the
SQLite floor ran in the same pass, sqlite_limit.jsonl. PEER_MEDIANS_JSON is the peers'
medians.json (one JSON object per line, per bench). Prints a Markdown table on stdout.
"""
import json
import os
import statistics
import sys


def load_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def dig(obj, dotted):
    for key in dotted.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def fmt(x):
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def spread(values, scale=1.0, show_runs=False):
    """(median, "median (min–max)") of the numbers among values, times scale."""
    values = [v * scale for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not values:
        return None, "—"
    med = statistics.median(values)
    if len(values) == 1:
        return med, f"{fmt(med)} (1 run)"
    runs = f"; {len(values)} runs" if show_runs else ""
    return med, f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))}{runs})"


def main():
    out_dir, peer_path, durability = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = load_lines(os.path.join(out_dir, "flared.jsonl"))
    today = load_lines(os.path.join(out_dir, "sqlite_limit.jsonl"))
    peers = {line.get("bench"): line for line in load_lines(peer_path)} if os.path.exists(peer_path) else {}
    wal = "wal_full" if durability == "full" else "wal_normal"
    sqlite_note = f"SQLite floor {wal.replace('wal_', 'WAL ').upper()}"

    # (label, case, flared key, target text, [(peer label, bench, dotted key)], today's sqlite key,
    #  higher_is_better)
    rows = [
        ("create 1 by 1, 1 conn (jobs/s)", "create_c1", "per_s", "—",
         [("BullMQ", "bullmq", "no_persistence.enqueue_seq.per_s"),
          ("BullMQ AOF", "bullmq", "aof_everysec.enqueue_seq.per_s"),
          ("pg-boss 10", "pgboss", "pgboss10_node20.send_seq.per_s"),
          (sqlite_note, "sqlite_limit", f"insert_txn_per_row_{wal}.per_s")],
         f"insert_txn_per_row_{wal}.per_s", True),
        ("create 1 by 1, 1 conn p50 (ms)", "create_c1", "p50_ms", "—", [], None, False),
        ("create 1 by 1, 1 conn p99 (ms)", "create_c1", "p99_ms", "—", [], None, False),
        ("create 1 by 1, 16 conns (jobs/s)", "create_c16", "per_s", "≥ 20,000 (full)",
         [("httplib tuned POST c16 (ceiling)", "http_limit", "httplib_tuned_post_job.c16.rps"),
          ("BullMQ 1 client", "bullmq", "no_persistence.enqueue_seq.per_s")],
         None, True),
        ("create 1 by 1, 16 conns p50 (ms)", "create_c16", "p50_ms", "—", [], None, False),
        ("create 1 by 1, 16 conns p99 (ms)", "create_c16", "p99_ms", "—", [], None, False),
        ("batch of 1000, 1 conn (jobs/s)", "batch_c1", "per_s", "≥ 100,000",
         [("BullMQ addBulk", "bullmq", "no_persistence.enqueue_bulk1000.per_s"),
          ("pg-boss 10 insert", "pgboss", "pgboss10_node20.insert_bulk1000.per_s"),
          (sqlite_note, "sqlite_limit", f"insert_batch1000_{wal}.per_s")],
         f"insert_batch1000_{wal}.per_s", True),
        ("batch of 1000, 2 conns (jobs/s)", "batch_c2", "per_s", "≥ 100,000",
         [("BullMQ addBulk", "bullmq", "no_persistence.enqueue_bulk1000.per_s")], None, True),
        ("poll→ack, 4 workers, max_jobs 1 (jobs/s)", "process_mj1", "per_s", "≥ 15,000",
         [("BullMQ concurrency 1", "bullmq", "no_persistence.process_c1.per_s"),
          (sqlite_note + " claim+ack", "sqlite_limit", f"claim_ack_{wal}.per_s")],
         f"claim_ack_{wal}.per_s", True),
        ("poll→ack, 4 workers, max_jobs 50 (jobs/s)", "process_mj50", "per_s", "≥ 15,000",
         [("BullMQ concurrency 50", "bullmq", "no_persistence.process_c50.per_s"),
          ("pg-boss 10 fetch b50", "pgboss", "pgboss10_node20.fetch_loop_b50.per_s")],
         None, True),
        ("wake latency at 200/s, p50 (ms)", "latency", "p50_ms", "—",
         [("BullMQ", "bullmq", "no_persistence.latency.p50_ms"),
          ("pg-boss 12 NOTIFY", "pgboss", "pgboss12_node22.latency_notify_b50.p50_ms")], None, False),
        ("wake latency at 200/s, p90 (ms)", "latency", "p90_ms", "—",
         [("BullMQ", "bullmq", "no_persistence.latency.p90_ms")], None, False),
        ("wake latency at 200/s, p99 (ms)", "latency", "p99_ms", "≤ 2.5",
         [("BullMQ", "bullmq", "no_persistence.latency.p99_ms"),
          ("pg-boss 12 NOTIFY", "pgboss", "pgboss12_node22.latency_notify_b50.p99_ms")], None, False),
        ("wake latency at 200/s, max (ms)", "latency", "max_ms", "—",
         [("BullMQ", "bullmq", "no_persistence.latency.max_ms")], None, False),
    ]

    print(f"flared, durability {durability}: median (min–max) of the runs; "
          "peers from the 2026-11-22 reference; ratio = flared / peer")
    print()
    header = "| figure | flared | runs | target | peer (2026-11-22) | peer figure | flared / peer |"
    if today:
        header += " SQLite floor today |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for label, case, key, target, peer_list, today_key, _higher in rows:
        values = [r.get(key) for r in runs if r.get("case") == case]
        if not values:
            continue
        med, text = spread(values)
        errors = sum(r.get("errors", 0) for r in runs if r.get("case") == case)
        capped = any(r.get("capped") or r.get("timed_out") for r in runs if r.get("case") == case)
        if errors:
            text += f" ⚠ {errors} errors"
        if capped:
            text += " ⚠ capped"
        peer_list = peer_list or [("", None, None)]
        for i, (peer_label, bench, dotted) in enumerate(peer_list):
            peer_value = dig(peers.get(bench), dotted) if bench else None
            ratio = f"{med / peer_value:.2f}×" if peer_value and med is not None else "—"
            cells = [label if i == 0 else "", text if i == 0 else "", str(len(values)) if i == 0 else "",
                     target if i == 0 else "", peer_label or "—", fmt(peer_value), ratio]
            if today:
                cells.append(spread([dig(t, today_key) for t in today])[1] if i == 0 and today_key else "")
            print("| " + " | ".join(cells) + " |")
    cpu_cases = sorted({r.get("case") for r in runs if "flared_cpu_us_per_job" in r})
    if cpu_cases:
        print()
        print("| case | flared CPU µs/job | client CPU µs/job |")
        print("|---|---:|---:|")
        for case in cpu_cases:
            server = spread([r.get("flared_cpu_us_per_job") for r in runs if r.get("case") == case])[1]
            client = spread([r.get("client_cpu_us_per_job") for r in runs if r.get("case") == case])[1]
            print(f"| {case} | {server} | {client} |")
    if today:
        print()
        print(f"SQLite floor today ({len(today)} runs): disk 8 KiB write+fdatasync/s "
              f"{spread([dig(t, 'disk_fdatasync_8k.per_s') for t in today])[1]}; "
              f"reference 2026-11-22: {fmt(dig(peers.get('sqlite_limit'), 'disk_fdatasync_8k.per_s'))}")


if __name__ == "__main__":
    main()
