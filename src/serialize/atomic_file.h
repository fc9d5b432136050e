#pragma once
// Writing a file so that readers see either the old contents or the complete new
// ones, never a torn mix: write a temporary file beside the target, flush it to
// disk, rename it over the target, then flush the directory entry.
#include <cstddef>
#include <string>

namespace tg::serialize {

class AtomicFile {
 public:
  // Creates the temporary file in the target's directory; raises if it cannot.
  explicit AtomicFile(std::string path);
  // Without commit(), removes the temporary file and leaves the target untouched.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  // fsync, close and rename over the target; raises (and cleans up) on failure.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what);

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

}  // namespace tg::serialize
