#!/usr/bin/env python3
"""Which b-trees a running flared's commits write: pages per commit, by owner.

    python3 bench/wal_pages.py <data-dir>/flare.db [LAST_COMMITS]

Reads the WAL next to the database while flared runs (after a load, before it stops: a
clean stop checkpoints and removes the WAL). Each WAL frame names the database page it
holds and marks the last frame of a commit; frames whose salt differs from the header's
are left over from before the WAL last restarted and are skipped. Pages are mapped to the
table or index that owns them through SQLite's dbstat view, on a copy of the database and
WAL (so flared's files are never opened for writing). Prints the average number of distinct
pages per commit over the last LAST_COMMITS (default 400) commits of the current WAL, then
each owner's share. A page freed and reused by another b-tree since it was written is
counted for its current owner, so treat small shares as approximate.
"""
import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile

WAL_HEADER = 32
FRAME_HEADER = 24


def commits_in_wal(wal: bytes):
    """The page numbers of each commit in the WAL's current generation, oldest first."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    salt = wal[16:24]
    commits, current, offset = [], [], WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(wal):
        if wal[offset + 8 : offset + 16] != salt:
            break  # a frame of an earlier generation: the current one ends here
        page, db_size_after_commit = struct.unpack(">II", wal[offset : offset + 8])
        current.append(page)
        if db_size_after_commit:
            commits.append(current)
            current = []
        offset += FRAME_HEADER + page_size
    return commits


def page_owners(db_path: str):
    with tempfile.TemporaryDirectory() as scratch:
        copy = os.path.join(scratch, "copy.db")
        for suffix in ("", "-wal"):
            shutil.copy(db_path + suffix, copy + suffix)
        con = sqlite3.connect(copy)
        try:
            return {page: name for name, page in con.execute("SELECT name, pageno FROM dbstat")}
        finally:
            con.close()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    db_path = sys.argv[1]
    last = int(sys.argv[2]) if len(sys.argv) == 3 else 400
    if not os.path.exists(db_path + "-wal"):
        sys.exit(f"{db_path}-wal does not exist: read it while flared still runs")
    with open(db_path + "-wal", "rb") as f:
        commits = commits_in_wal(f.read())
    if not commits:
        sys.exit("no commit in the WAL's current generation (it has just restarted); load more")
    owners = page_owners(db_path)
    chosen = commits[-last:]
    per_owner = collections.Counter()
    for commit in chosen:
        for page in set(commit):
            per_owner[owners.get(page, "?")] += 1
    pages = sum(len(set(c)) for c in chosen) / len(chosen)
    print(f"commits {len(chosen)} of {len(commits)} in the WAL; pages per commit {pages:.2f}")
    for name, count in per_owner.most_common():
        print(f"  {name:32s} {count / len(chosen):.2f}")


if __name__ == "__main__":
    main()
