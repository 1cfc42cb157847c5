#!/usr/bin/env python3
"""Median (min–max) of flare_sched's figures over runs (issue 3), beside the peers.

    summarize_sched.py OUT_DIR PEER_MEDIANS_JSON

OUT_DIR holds sched.jsonl (one line per run of a case, from bench/run.sh sched).
Prints Markdown tables on stdout.
"""
import json
import os
import sys

from summarize import dig, fmt, load_lines, spread


def main():
    out_dir, peer_path = sys.argv[1], sys.argv[2]
    runs = load_lines(os.path.join(out_dir, "sched.jsonl"))
    peers = {line.get("bench"): line for line in load_lines(peer_path)} if os.path.exists(peer_path) else {}

    def cell(case, key):
        return spread([dig(r, key) for r in runs if r.get("case") == case])[1]

    def peer(bench, key):
        value = dig(peers.get(bench, {}), key)
        return fmt(value) if isinstance(value, (int, float)) else "—"

    croner = "croner_every_second"
    floor = "c_clock_nanosleep_floor"
    bull = "no_persistence.scheduler_every_second"
    print("### Scheduler lateness (ms): median of runs (min–max)\n")
    print("| case | measure | p50 | p99 | max | n (median) |")
    print("|---|---|---:|---:|---:|---:|")
    for case, label in (("sched_cron", "10,000 × `* * * * *`, one minute"),
                        ("sched_every", "1,000 × `@every 1s`")):
        if not any(r.get("case") == case for r in runs):
            continue
        for key, what in (("fire_lateness", "fire: run created_at − scheduled_for"),
                          ("start_lateness", "start: run started_at − scheduled_for"),
                          ("sink_lateness", "sink: arrival − scheduled_for")):
            print(f"| {label} | {what} | {cell(case, key + '.p50_ms')} | {cell(case, key + '.p99_ms')} "
                  f"| {cell(case, key + '.max_ms')} | {cell(case, key + '.n')} |")
    print(f"| croner 11 `* * * * * *` (peers) | callback − whole second | {peer('cron', croner + '.p50_ms')} "
          f"| {peer('cron', croner + '.p99_ms')} | {peer('cron', croner + '.max_ms')} | 30 |")
    print(f"| C clock_nanosleep floor (peers) | wake − whole second | {peer('cron', floor + '.p50_ms')} "
          f"| {peer('cron', floor + '.p99_ms')} | {peer('cron', floor + '.max_ms')} | 30 |")
    print(f"| BullMQ job scheduler (peers) | processor − whole second | {peer('bullmq', bull + '.p50_ms')} "
          f"| {peer('bullmq', bull + '.p99_ms')} | {peer('bullmq', bull + '.max_ms')} | 30 |")
    if any(r.get("case") == "sched_cron" for r in runs):
        print(f"\n10,000-fire burst at the sink: {cell('sched_cron', 'burst_runs_per_s')} runs/s over "
              f"{cell('sched_cron', 'burst_s')} s; sink connections opened: "
              f"{cell('sched_cron', 'sink_connections')}; flared CPU µs per fire: "
              f"{cell('sched_cron', 'flared_cpu_us_per_job')}")

    exec_cases = [c for c in ("exec", "exec_c16", "exec_c64", "exec_c128")
                  if any(r.get("case") == c for r in runs)]
    if exec_cases:
        ceiling = peer("http_limit", "httplib_tuned_get.c64.rps")
        print("\n### HTTP executor, one-off jobs to the loopback sink: median of runs (min–max)\n")
        print("| --executor-concurrency | runs/s (first start → last completion) | runs/s at the sink "
              "| wrk -c64 on the same sink (req/s) | sink connections opened | flared CPU µs/run "
              "| start lateness p50 / p99 (ms) |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for case in exec_cases:
            print(f"| {case[6:] or 'default'} | {cell(case, 'runs_per_s')} | {cell(case, 'sink_runs_per_s')} "
                  f"| {cell(case, 'wrk.rps')} | {cell(case, 'sink_connections')} "
                  f"| {cell(case, 'flared_cpu_us_per_job')} "
                  f"| {cell(case, 'start_lateness.p50_ms')} / {cell(case, 'start_lateness.p99_ms')} |")
        print(f"\nPeers' cpp-httplib tuned GET ceiling at 64 connections (wrk): {ceiling} req/s.")


if __name__ == "__main__":
    main()
