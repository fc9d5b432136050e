#pragma once
// The fuzzers feed their bytes to readers that take a path: an in-memory file
// (memfd) reached through /proc/self/fd, rewritten for each input, so fuzzing
// never touches the disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace tg::fuzz {

class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("tg-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  // Replaces the file's contents with data[0, size).
  const std::string& write(const uint8_t* data, size_t size) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    size_t done = 0;
    while (done < size) {
      const ssize_t w = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (w <= 0) std::abort();
      done += static_cast<size_t>(w);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// A tg::Error is the expected outcome of bad input, except an internal error,
// which is a tensorgrad bug: the fuzzer must report it like a crash. (Matched at
// the start only: the fuzzer soon puts the words into names that messages quote.)
inline void check_expected_error(const std::string& what) {
  if (what.starts_with("tensorgrad internal error")) std::abort();
}

}  // namespace tg::fuzz
