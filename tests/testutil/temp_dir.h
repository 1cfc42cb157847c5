#pragma once
// A directory under $TMPDIR that is removed with everything in it when the object dies.

#include <filesystem>
#include <string>

namespace flare::testing {

/// The whole content of a text file; empty when it cannot be read (not there yet).
std::string ReadText(const std::filesystem::path& path);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace flare::testing
