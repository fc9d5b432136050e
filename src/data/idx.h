#pragma once
// Reading IDX files (the MNIST container format), plain or gzip-compressed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace tg::data::idx {

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

// An IDX file of unsigned bytes: its dimensions and its payload (product of dims bytes).
struct File {
  std::vector<int64_t> dims;
  std::unique_ptr<uint8_t[], FreeDeleter> bytes;
  size_t nbytes = 0;
};

// Reads an IDX file of unsigned bytes with `ndims` dimensions. Raises tg::Error naming
// the path on a missing file, a bad magic number, a short read, trailing data or
// corrupt gzip data.
File read_ubyte(const std::string& path, int ndims);

}  // namespace tg::data::idx
