#!/usr/bin/env python3
"""Writer CPU the usage/metrics counter triggers add per run (schema.cc, the migration that
creates queue_counts). The same statements flared's writer runs for one run's life — insert
pending, then pending → processing, a same-state save, processing → succeeded — on a database
with every other migration (before) and with the counters too (after), alternating, 5 rounds,
CPU time of this process (so a busy machine disturbs it less than wall time would).

    python3 bench/counter_triggers_cost.py [N]      # N runs per round (20000)
"""
import os, re, sqlite3, statistics, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = open(os.path.join(HERE, '..', 'daemon', 'store', 'schema.cc')).read()
MIGRATIONS = re.findall(r'R"sql\((.*?)\)sql"', SCHEMA, re.S)
COUNTERS = [m for m in MIGRATIONS if 'CREATE TABLE IF NOT EXISTS queue_counts' in m]
OTHERS = [m for m in MIGRATIONS if m not in COUNTERS]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
COLS = ('id, project_id, job_id, job_version, trigger, state, attempt, max_attempts, '
        'timeout_seconds, queue, job_type, priority, is_http, created_at')


def one_round(with_counters):
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(os.path.join(tmp, 'cost.db'), isolation_level=None)
        db.execute('PRAGMA journal_mode=WAL')
        db.execute('PRAGMA synchronous=NORMAL')
        db.executescript(''.join(OTHERS + (COUNTERS if with_counters else [])))
        now = 1_780_000_000_000
        t0 = time.process_time()
        db.execute('BEGIN')
        for i in range(N):
            db.execute(f"INSERT INTO runs ({COLS}) VALUES (?, 'prj', 'job', 1, 'API', 'pending', "
                       "0, 3, 60, 'default', 't', 0, 0, ?)", (f'run{i}', now + i))
            if i % 64 == 63:
                db.execute('COMMIT')
                db.execute('BEGIN')
        db.execute('COMMIT')
        t1 = time.process_time()
        db.execute('BEGIN')
        for i in range(N):
            run = f'run{i}'
            db.execute("UPDATE runs SET state='processing', attempt=1, started_at=? WHERE id=?",
                       (now + i, run))
            db.execute("UPDATE runs SET state='processing', progress=0.5 WHERE id=?", (run,))
            db.execute("UPDATE runs SET state='succeeded', completed_at=?, duration_ms=5 "
                       "WHERE id=?", (now + i + 5, run))
            if i % 64 == 63:
                db.execute('COMMIT')
                db.execute('BEGIN')
        db.execute('COMMIT')
        t2 = time.process_time()
        db.close()
        return (t1 - t0) / N * 1e6, (t2 - t1) / N * 1e6


rounds = {False: [], True: []}
for _ in range(5):
    for with_counters in (False, True):
        rounds[with_counters].append(one_round(with_counters))
for with_counters in (False, True):
    insert = statistics.median(r[0] for r in rounds[with_counters])
    update = statistics.median(r[1] for r in rounds[with_counters])
    print(f"{'with counters' if with_counters else 'without     '}  insert {insert:.1f} µs/run, "
          f"3 saves {update:.1f} µs/run, total {insert + update:.1f} µs CPU/run")
