#pragma once
// Gathers the writer's WAL writes into one write per commit.
//
// SQLite appends a commit to the WAL frame by frame, and each frame as two writes: its
// 24-byte header, then the page. A create of one job dirties ~20 pages: 40 pwrite calls
// per commit. On this project's 2-core virtual machine every system call costs a few µs
// of kernel entry, exit and hypervisor work: 20 frames written apart took 67 µs, the same
// bytes in one pwrite 7 µs. SQLite has no setting for this, so a VFS that wraps the
// default one does it (SQLite's documented extension point for file I/O).
//
// The "flare-gather" VFS wraps a connection's database file and its WAL file. Writes to
// the WAL that follow each other are kept in a buffer and written at once:
//
// - right after the page of the frame that ends a transaction (its header carries the
//   database size after the commit, which only a commit frame has), so that write's
//   result is the commit's, as without the buffer;
// - before any other operation on the WAL file (read, sync, size, truncate, lock, close),
//   before a write that does not follow the buffer, and once the buffer holds kMaxGathered;
// - before the database file's shared-memory barrier and locks. SQLite publishes a commit
//   in the WAL index (where other connections find frames) only after that barrier, so no
//   reader can look for a frame that is still in the buffer. Should that last write fail,
//   flared stops at once (as after kill -9): the WAL then ends at the last commit whose
//   frames are all in the file, and nothing answered is lost (PostgreSQL does the same on
//   a failed WAL write).
//
// Only the writer's connection uses this VFS; readers never write the WAL.

namespace flare::daemon {

/// The VFS's name ("flare-gather"), to open a connection with; registers it (not as the
/// default) on the first call. Safe to call from any thread, any number of times.
const char* WalWriteGatheringVfs();

}  // namespace flare::daemon
