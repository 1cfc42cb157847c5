#!/usr/bin/env python3
"""Issue 8's table: flared's figures beside the peers measured in the same run, with ratios.

    summarize_issue8.py OUT_DIR

OUT_DIR is what bench/issue8.sh wrote: flared/round<N>/{flared,sched}.jsonl (bench/run.sh,
one line per case) and <peer>.jsonl (one line per round, with a "round" field) for the peers
sqlite_limit, http_limit, bullmq, pgboss, cron and the fdatasync probe. Prints Markdown:
one table of every issue-8 figure (flared median (min–max; runs), the issue's target, the
same-run peer medians and flared / peer), flared's CPU per job, and the disk per round.
"""
import glob
import os
import re
import sys

from summarize import dig, fmt, load_lines, spread

PEER_BENCHES = ("sqlite_limit", "http_limit", "bullmq", "pgboss", "cron", "fdatasync")


def load_flared(out_dir):
    """Every flared line of every round, its "run" replaced by the round of its directory."""
    lines = []
    for path in sorted(glob.glob(os.path.join(out_dir, "flared", "round[0-9]*", "*.jsonl"))):
        rnd = int(os.path.basename(os.path.dirname(path)).removeprefix("round"))
        for line in load_lines(path):
            if "case" in line:
                line["run"] = rnd
                lines.append(line)
    return lines


def summary(values, scale=1.0):
    """(median, "median (min–max; n runs)") of the numbers among values, times scale."""
    return spread(values, scale, show_runs=True)


def met(value, target):
    if target is None:
        return "—"
    if value is None:
        return "?"
    op, bound = target
    ok = value >= bound if op == ">=" else value <= bound
    return "yes" if ok else "**no**"


def target_text(target):
    if target is None:
        return "—"
    op, bound = target
    return f"{'≥' if op == '>=' else '≤'} {bound:,g}"


def rows(wal, wal_label):
    """(label, case, key, scale, target, [(peer label, bench or "@case", key)]).

    label may name a field of the case's first line in braces ({n}; {workers} reads "4 workers"); target is
    (op, bound) from the issue's table, or None; "@case" reads the key from flared's own line
    (the exec cases measure their sink with wrk in the same run)."""
    bull, aof = "no_persistence", "aof_everysec"
    pg10, pg12 = "pgboss10_node20", "pgboss12_node22"
    create_c1_peers = [
        ("BullMQ enqueue 1 by 1", "bullmq", f"{bull}.enqueue_seq.per_s"),
        ("BullMQ enqueue 1 by 1, AOF everysec", "bullmq", f"{aof}.enqueue_seq.per_s"),
        ("pg-boss 10 send 1 by 1", "pgboss", f"{pg10}.send_seq.per_s"),
        ("pg-boss 12 send 1 by 1", "pgboss", f"{pg12}.send_seq.per_s"),
        (f"SQLite {wal_label} 1-row commits", "sqlite_limit", f"insert_txn_per_row_{wal}.per_s"),
    ]
    batch_peers = [
        ("BullMQ addBulk 1000", "bullmq", f"{bull}.enqueue_bulk1000.per_s"),
        ("pg-boss 10 insert 1000", "pgboss", f"{pg10}.insert_bulk1000.per_s"),
        ("pg-boss 12 insert 1000", "pgboss", f"{pg12}.insert_bulk1000.per_s"),
        (f"SQLite {wal_label} 1000-row commits", "sqlite_limit", f"insert_batch1000_{wal}.per_s"),
    ]
    mj50_peers = [
        ("BullMQ concurrency 50", "bullmq", f"{bull}.process_c50.per_s"),
        ("pg-boss 10 fetch loop, batch 50", "pgboss", f"{pg10}.fetch_loop_b50.per_s"),
    ]
    exec_peers = [
        ("wrk -c64 on the same sink, in the case", "@case", "wrk.rps"),
        ("cpp-httplib tuned GET ceiling, 64 conns", "http_limit", "httplib_tuned_get.c64.rps"),
    ]
    mj1_peers = [
        ("BullMQ concurrency 1", "bullmq", f"{bull}.process_c1.per_s"),
        (f"SQLite {wal_label} claim+ack", "sqlite_limit", f"claim_ack_{wal}.per_s"),
    ]
    out = [
        ("create, 1 client, awaited (jobs/s)", "create_c1", "per_s", 1, (">=", 5000), create_c1_peers),
        ("create, 16 keep-alive clients (jobs/s)", "create_c16", "per_s", 1, (">=", 30000), [
            ("cpp-httplib POST ceiling, 16 conns", "http_limit", "httplib_tuned_post_job.c16.rps"),
            ("BullMQ enqueue 1 by 1", "bullmq", f"{bull}.enqueue_seq.per_s"),
        ]),
        ("batch of 1000, 1 client (jobs/s)", "batch_c1", "per_s", 1, (">=", 150000), batch_peers),
        ("batch of 1000, 2 clients (jobs/s)", "batch_c2", "per_s", 1, (">=", 150000), batch_peers),
        ("poll→ack, {workers}, max_jobs 50, list acks (jobs/s)", "process_mj50_list", "per_s", 1,
         (">=", 20000), mj50_peers),
        ("poll→ack, {workers}, max_jobs 50, list acks taking the next jobs (jobs/s)",
         "process_mj50_list_next", "per_s", 1, (">=", 20000), mj50_peers),
        ("poll→ack, {workers}, max_jobs 50, single acks (jobs/s)", "process_mj50", "per_s", 1,
         (">=", 20000), mj50_peers),
        ("poll→ack, {workers}, max_jobs 1 (jobs/s)", "process_mj1", "per_s", 1, (">=", 3500), mj1_peers),
        ("poll→ack, {workers}, max_jobs 1, next poll during the ack (jobs/s)", "process_mj1_early",
         "per_s", 1, (">=", 3500), mj1_peers),
        ("poll→ack, {workers}, max_jobs 1, the ack takes the next job (jobs/s)", "process_mj1_next",
         "per_s", 1, (">=", 3500), mj1_peers),
    ]
    out.append(("HTTP executor to a loopback sink, flared's default concurrency (runs/s)", "exec",
                "runs_per_s", 1, (">=", 20000), exec_peers))
    for conc in (16, 64, 128):
        out.append((f"HTTP executor to a loopback sink, concurrency {conc} (runs/s)", f"exec_c{conc}",
                    "runs_per_s", 1, (">=", 20000), exec_peers))
    out += [
        ("{n} × `@every 1s` HTTP jobs: arrival − due, p99 (ms)", "sched_every", "sink_lateness.p99_ms", 1,
         ("<=", 50), [
             ("BullMQ job scheduler, p99", "bullmq", f"{bull}.scheduler_every_second.p99_ms"),
             ("croner `* * * * * *`, one timer, p99", "cron", "croner_every_second.p99_ms"),
         ]),
        # the target of this row is computed from the executor's rate (see main)
        ("{n} × `* * * * *` HTTP jobs: arrival − due, p99 (s)", "sched_cron", "sink_lateness.p99_ms", 1e-3,
         None, []),
        ("create → waiting poll, p50 (ms)", "latency", "p50_ms", 1, None, [
            ("BullMQ, p50", "bullmq", f"{bull}.latency.p50_ms"),
            ("pg-boss 12 NOTIFY, p50", "pgboss", f"{pg12}.latency_notify_b50.p50_ms"),
            ("the disk alone: one fdatasync at the same pace, p50", "fdatasync", "paced.p50_ms"),
        ]),
        ("create → waiting poll, p99 (ms)", "latency", "p99_ms", 1, ("<=", 1.0), [
            ("BullMQ, p99", "bullmq", f"{bull}.latency.p99_ms"),
            ("pg-boss 12 NOTIFY, p99", "pgboss", f"{pg12}.latency_notify_b50.p99_ms"),
            ("the disk alone: one fdatasync at the same pace, p99", "fdatasync", "paced.p99_ms"),
        ]),
    ]
    return out


def label_for(label, lines):
    first = lines[0]

    def field(match):
        value = first.get(match.group(1), "?")
        text = f"{value:,}" if isinstance(value, int) else str(value)
        if match.group(1) == "workers":
            text += " worker" if value == 1 else " workers"
        return text

    return re.sub(r"\{(\w+)\}", field, label)


def flared_cell(lines, key, scale):
    med, text = summary([dig(r, key) for r in lines], scale)
    errors = sum(r.get("errors", 0) or 0 for r in lines)
    if errors:
        text += f" ⚠ {errors} errors"
    if any(r.get("capped") or r.get("timed_out") for r in lines):
        text += " ⚠ capped"
    return med, text


def main():
    out_dir = sys.argv[1]
    flared = load_flared(out_dir)
    peers = {b: load_lines(os.path.join(out_dir, f"{b}.jsonl")) for b in PEER_BENCHES}
    durability = next((r.get("durability") for r in flared if r.get("durability")), "full")
    wal = "wal_full" if durability == "full" else "wal_normal"
    wal_label = "WAL FULL" if durability == "full" else "WAL NORMAL"

    env = os.path.join(out_dir, "env.txt")
    if os.path.exists(env):
        with open(env) as f:
            for line in f:
                print(f"    {line.rstrip()}")
        print()
    rounds = sorted({r["run"] for r in flared})
    print(f"Issue 8 at `--durability {durability}`: flared and the peers measured round-robin in the "
          f"same run ({len(rounds)} round{'' if len(rounds) == 1 else 's'}). Cells: median (min–max; runs). flared / peer: > 1 is "
          "flared faster for rates, < 1 is flared sooner for latencies. Target: the issue's table; "
          "met: the median against it.")
    print()
    print("| figure | flared | target | met | peer / ceiling, same run | peer | flared / peer |")
    print("|---|---:|---:|:-:|---|---:|---:|")

    exec_rate = None
    for case in ("exec", "exec_c64", "exec_c16", "exec_c128"):
        exec_rate = summary([r.get("runs_per_s") for r in flared if r.get("case") == case])[0]
        if exec_rate:
            break
    for label, case, key, scale, target, peer_list in rows(wal, wal_label):
        lines = [r for r in flared if r.get("case") == case]
        if not lines:
            continue
        med, text = flared_cell(lines, key, scale)
        target_cell = target_text(target)
        if case == "sched_cron":
            fires = lines[0].get("n", 10000)
            target = ("<=", fires / exec_rate + 0.05) if exec_rate else None
            target_cell = (f"≤ {fires:,} / executor runs/s + 0.05 = {fmt(target[1])}" if target
                           else f"≤ {fires:,} / executor runs/s + 0.05 (no exec case run)")
        cells = []
        for peer_label, bench, dotted in peer_list:
            source = lines if bench == "@case" else peers.get(bench, [])
            peer_med, peer_text = summary([dig(p, dotted) for p in source])
            if peer_med is None:
                continue
            ratio = f"{med / peer_med:.2f}×" if med is not None and peer_med else "—"
            cells.append((peer_label, peer_text, ratio))
        if not cells:
            cells = [("— (not measured in this run)" if peer_list else "—", "—", "—")]
        for i, (peer_label, peer_text, ratio) in enumerate(cells):
            first = i == 0
            print("| " + " | ".join([
                label_for(label, lines) if first else "", text if first else "",
                target_cell if first else "", met(med, target) if first else "",
                peer_label, peer_text, ratio]) + " |")

    print()
    print("flared's CPU (user+sys from /proc) and the load client's, per job (per run for the "
          "executor, per fire for the scheduler):")
    print()
    print("| case | flared CPU µs/job | client CPU µs/job | errors |")
    print("|---|---:|---:|---:|")
    for case in dict.fromkeys(r["case"] for r in flared):
        lines = [r for r in flared if r["case"] == case]
        print(f"| {case} | {summary([r.get('flared_cpu_us_per_job') for r in lines])[1]} "
              f"| {summary([r.get('client_cpu_us_per_job') for r in lines])[1]} "
              f"| {sum(r.get('errors', 0) or 0 for r in lines)} |")

    print()
    print("The disk and the ceilings per round (drift of the shared machine shows here):")
    print()
    print(f"| round | fdatasync/s, 4 KiB, flared's scratch fs | fdatasync/s, 8 KiB (sqlite_limit) "
          f"| SQLite {wal_label} 1-row commits/s | cpp-httplib POST c16 req/s |")
    print("|---|---:|---:|---:|---:|")
    all_rounds = sorted(set(rounds) | {p.get("round") for b in PEER_BENCHES for p in peers[b]
                                       if isinstance(p.get("round"), int)})

    def per_round(bench, dotted, rnd):
        value = [dig(p, dotted) for p in peers[bench] if p.get("round") == rnd]
        return spread(value)[1].removesuffix(" (1 run)")

    for rnd in all_rounds:
        print(f"| {rnd} | {per_round('fdatasync', 'per_s', rnd)} "
              f"| {per_round('sqlite_limit', 'disk_fdatasync_8k.per_s', rnd)} "
              f"| {per_round('sqlite_limit', f'insert_txn_per_row_{wal}.per_s', rnd)} "
              f"| {per_round('http_limit', 'httplib_tuned_post_job.c16.rps', rnd)} |")
    missing = [b for b in PEER_BENCHES if not peers[b]]
    if missing:
        print()
        print(f"Not measured in this run: {', '.join(missing)} (see env.txt and the .err files).")


if __name__ == "__main__":
    main()
