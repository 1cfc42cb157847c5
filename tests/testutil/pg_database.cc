#include "tests/testutil/pg_database.h"

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "daemon/store/pg/connection.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon::pg::testing {
namespace {

std::string ClusterUri() {
  if (const char* uri = std::getenv("FLARE_TEST_PG_URI"); uri && *uri) return uri;
  std::string file = std::string(FLARE_TEST_BUILD_DIR) + "/pg-cluster/uri";
  std::string uri = flare::testing::ReadText(file);
  while (!uri.empty() && (uri.back() == '\n' || uri.back() == ' ')) uri.pop_back();
  if (uri.empty()) {
    throw std::runtime_error(
        "no PostgreSQL cluster for the tests: set FLARE_TEST_PG_URI, or start one with "
        "`scripts/pg-cluster.sh start " +
        std::string(FLARE_TEST_BUILD_DIR) +
        "/pg-cluster` (ctest does this itself: run the tests through ctest)");
  }
  return uri;
}

// Unique across the parallel test processes (random) and within one (counter).
std::string FreshName() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return "flare_test_" + std::to_string(random() % 1'000'000'000) + "_" + std::to_string(counter++);
}

}  // namespace

std::string WithDatabase(const std::string& uri, const std::string& database) {
  size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri + " dbname=" + database;  // key=value form
  size_t path = uri.find('/', scheme + 3);
  size_t query = uri.find('?', scheme + 3);
  if (path == std::string::npos || (query != std::string::npos && query < path)) {
    path = query == std::string::npos ? uri.size() : query;
    return uri.substr(0, path) + "/" + database + uri.substr(path);
  }
  size_t end = query == std::string::npos ? uri.size() : query;
  return uri.substr(0, path + 1) + database + uri.substr(end);
}

TestDatabase::TestDatabase() : cluster_uri_(ClusterUri()), name_(FreshName()) {
  Connection admin(cluster_uri_);
  admin.Exec("CREATE DATABASE " + name_);
  uri_ = WithDatabase(cluster_uri_, name_);
}

void TestDatabase::Recreate() {
  Connection admin(cluster_uri_);
  admin.Exec("DROP DATABASE " + name_ + " WITH (FORCE)");
  admin.Exec("CREATE DATABASE " + name_);
}

TestDatabase::~TestDatabase() {
  try {
    Connection admin(cluster_uri_);
    // FORCE: a test that failed half-way may have left sessions open.
    admin.Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
    // The cluster is thrown away after the run; a leftover database harms nothing.
  }
}

}  // namespace flare::daemon::pg::testing
