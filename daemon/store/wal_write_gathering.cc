#include "daemon/store/wal_write_gathering.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <string>

#include "daemon/log.h"
#include "daemon/store/connection.h"

namespace flare::daemon {
// Named, so that in a unity build these short names (Read, Sync, Lock, ...) stay out of
// flare::daemon, where the writer has its own.
namespace wal_gathering {
namespace {

constexpr size_t kMaxGathered = size_t{1} << 20;
// The unix VFS writes at most 128 KiB - 1 per pwrite, and a write of more whose remainder
// is a multiple of 128 KiB fails as "disk full" (it masks the length with 0x1ffff): each
// write it is given stays below that.
constexpr size_t kMaxWrite = 124 * 1024;
// Room for every write gathered before a flush (the largest SQLite page, 64 KiB, past
// kMaxGathered), reserved once: grown by doubling from nothing at each commit, a commit of
// ~150 KiB (16 clients' creates) was copied ~6 times on its way, ~9 % of the writer's
// instructions. Only the pages the largest commit wrote are ever touched (resident).
constexpr size_t kCapacity = kMaxGathered + 64 * 1024 + 32;
constexpr int kFrameHeaderBytes = 24;  // a WAL frame's header; the WAL's own header is 32

struct GatherFile;

// The WAL writes gathered for one WAL file.
struct WalBuffer {
  sqlite3_file* real = nullptr;
  GatherFile* database = nullptr;  // while that is open
  std::string bytes;
  sqlite3_int64 offset = 0;       // of bytes[0] in the file
  bool commit_page_next = false;  // the last write was the header of a commit frame

  int Flush() {
    if (bytes.empty()) return SQLITE_OK;  // the usual case: every shared-memory call asks
    int rc = SQLITE_OK;
    for (size_t done = 0; done < bytes.size() && rc == SQLITE_OK; done += kMaxWrite) {
      const size_t amount = std::min(kMaxWrite, bytes.size() - done);
      rc = real->pMethods->xWrite(real, bytes.data() + done, static_cast<int>(amount),
                                  offset + static_cast<sqlite3_int64>(done));
    }
    bytes.clear();  // the capacity stays (kCapacity)
    return rc;
  }
};

// A wrapped file as SQLite sees it: `base` first; the default VFS's file right after.
struct GatherFile {
  sqlite3_file base{};
  sqlite3_file* real = nullptr;
  std::string path;          // a database file's, as SQLite gave it
  WalBuffer* wal = nullptr;  // a database file: its WAL's buffer while that is open;
                             // a WAL file: its own
};

GatherFile& Gather(sqlite3_file* file) { return *reinterpret_cast<GatherFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Gather(file).real; }
sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// The database files open through this VFS, by path, so a WAL file finds its database's.
std::mutex registry_mutex;
std::multimap<std::string, GatherFile*>& Databases() {
  static auto* databases = new std::multimap<std::string, GatherFile*>();
  return *databases;
}

uint32_t BigEndian32(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// Before the database file's shared memory is touched: every gathered byte is in the WAL.
void FlushBeforeSharedMemory(GatherFile& database) {
  if (!database.wal || database.wal->Flush() == SQLITE_OK) return;
  LogError(
      "could not write the WAL before publishing a commit; stopping to keep the database whole");
  std::abort();
}

// --- methods shared by both kinds of file -------------------------------------------------

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), offset, amount, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return Real(f)->pMethods->xUnfetch(Real(f), offset, page);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) { return Real(f)->pMethods->xSync(Real(f), flags); }
int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return Real(f)->pMethods->xRead(Real(f), out, amount, offset);
}
int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  return Real(f)->pMethods->xWrite(Real(f), data, amount, offset);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }

// --- the database file: passes through, flushing its WAL before shared memory -------------

int DatabaseClose(sqlite3_file* f) {
  GatherFile& database = Gather(f);
  {
    std::lock_guard lock(registry_mutex);
    auto [first, last] = Databases().equal_range(database.path);
    for (auto it = first; it != last; ++it) {
      if (it->second == &database) {
        Databases().erase(it);
        break;
      }
    }
    if (database.wal) {
      FlushBeforeSharedMemory(database);
      database.wal->database = nullptr;
    }
  }
  int rc = database.real->pMethods->xClose(database.real);
  database.~GatherFile();
  return rc;
}

int DatabaseShmLock(sqlite3_file* f, int offset, int n, int flags) {
  FlushBeforeSharedMemory(Gather(f));
  return ShmLock(f, offset, n, flags);
}

void DatabaseShmBarrier(sqlite3_file* f) {
  FlushBeforeSharedMemory(Gather(f));
  ShmBarrier(f);
}

const sqlite3_io_methods kDatabaseMethods = {
    3,
    DatabaseClose,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    DatabaseShmLock,
    DatabaseShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

// --- the WAL file: gathers consecutive writes ------------------------------------------------

int FlushFirst(sqlite3_file* f) { return Gather(f).wal->Flush(); }

int WalClose(sqlite3_file* f) {
  GatherFile& wal = Gather(f);
  int flushed = wal.wal->Flush();
  {
    std::lock_guard lock(registry_mutex);
    if (wal.wal->database) wal.wal->database->wal = nullptr;
  }
  int rc = wal.real->pMethods->xClose(wal.real);
  delete wal.wal;
  wal.~GatherFile();
  return flushed != SQLITE_OK ? flushed : rc;
}

int WalWrite(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  WalBuffer& buffer = *Gather(f).wal;
  if (!buffer.bytes.empty() &&
      offset != buffer.offset + static_cast<sqlite3_int64>(buffer.bytes.size())) {
    if (int rc = buffer.Flush(); rc != SQLITE_OK) return rc;
  }
  if (buffer.bytes.empty()) {
    buffer.offset = offset;
    buffer.bytes.reserve(kCapacity);  // once (a no-op after)
  }
  const char* bytes = static_cast<const char*>(data);
  buffer.bytes.append(bytes, static_cast<size_t>(amount));
  // A frame header holds the page number, then the database size after the commit: not
  // zero only in the last frame of a transaction.
  const bool ends_commit = buffer.commit_page_next && amount != kFrameHeaderBytes;
  buffer.commit_page_next = amount == kFrameHeaderBytes && BigEndian32(bytes + 4) != 0;
  if (ends_commit || buffer.bytes.size() >= kMaxGathered) return buffer.Flush();
  return SQLITE_OK;
}

// Any other operation on the WAL file finds every gathered byte written.
template <auto Forward, typename... Args>
int FlushThen(sqlite3_file* f, Args... args) {
  if (int rc = FlushFirst(f); rc != SQLITE_OK) return rc;
  return Forward(f, args...);
}

const sqlite3_io_methods kWalMethods = {
    3,
    WalClose,
    FlushThen<Read>,
    WalWrite,
    FlushThen<Truncate>,
    FlushThen<Sync>,
    FlushThen<FileSize>,
    FlushThen<Lock>,
    FlushThen<Unlock>,
    CheckReservedLock,
    FlushThen<FileControl>,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

// --- the VFS ---------------------------------------------------------------------------------

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* real_vfs = RealVfs(vfs);
  const bool is_database = (flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr;
  const bool is_wal = (flags & SQLITE_OPEN_WAL) != 0 && name != nullptr;
  if (!is_database && !is_wal) return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);

  GatherFile* database = nullptr;
  if (is_wal) {
    std::lock_guard lock(registry_mutex);
    auto [first, last] = Databases().equal_range(sqlite3_filename_database(name));
    // Two connections through this VFS on one database: which WAL is whose is unknown, so
    // neither gathers (only the writer's connection is meant to use this VFS).
    if (first != last && std::next(first) == last && !first->second->wal) database = first->second;
    if (!database) return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
  }

  auto& gather = *new (file) GatherFile{};
  gather.real = reinterpret_cast<sqlite3_file*>(&gather + 1);
  int rc = real_vfs->xOpen(real_vfs, name, gather.real, flags, out_flags);
  if (rc != SQLITE_OK) {
    gather.~GatherFile();
    file->pMethods = nullptr;  // SQLite calls no xClose then
    return rc;
  }
  if (is_database) {
    gather.path = name;
    file->pMethods = &kDatabaseMethods;
    std::lock_guard lock(registry_mutex);
    Databases().emplace(gather.path, &gather);
    return SQLITE_OK;
  }
  gather.wal = new WalBuffer{};
  gather.wal->real = gather.real;
  gather.wal->database = database;
  file->pMethods = &kWalMethods;
  std::lock_guard lock(registry_mutex);
  database->wal = gather.wal;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return RealVfs(vfs)->xDelete(RealVfs(vfs), name, sync_dir);
}
int AccessFile(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return RealVfs(vfs)->xAccess(RealVfs(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return RealVfs(vfs)->xFullPathname(RealVfs(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return RealVfs(vfs)->xDlOpen(RealVfs(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int size, char* out) {
  RealVfs(vfs)->xDlError(RealVfs(vfs), size, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return RealVfs(vfs)->xDlSym(RealVfs(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { RealVfs(vfs)->xDlClose(RealVfs(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return RealVfs(vfs)->xRandomness(RealVfs(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return RealVfs(vfs)->xSleep(RealVfs(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return RealVfs(vfs)->xCurrentTime(RealVfs(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return RealVfs(vfs)->xGetLastError(RealVfs(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return RealVfs(vfs)->xCurrentTimeInt64(RealVfs(vfs), out);
}

}  // namespace
}  // namespace wal_gathering

const char* WalWriteGatheringVfs() {
  using namespace wal_gathering;
  static constexpr const char* kName = "flare-gather";
  static std::once_flag once;
  std::call_once(once, [] {
    SetUpSqlite();  // before the lookup below initializes SQLite
    // The default VFS (unix on Linux): its files have the shared-memory methods (version 3).
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(GatherFile)) + real->szOsFile;
    vfs.mxPathname = real->mxPathname;
    vfs.zName = kName;
    vfs.pAppData = real;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = AccessFile;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&vfs, 0);
  });
  return kName;
}

}  // namespace flare::daemon
