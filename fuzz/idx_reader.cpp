// Fuzzes the IDX reader (src/data/idx.h) behind the MNIST loader: plain and gzip
// files, 1 to 3 dimensions. Any input must give either a tg::Error or a file whose
// payload matches its header; for plain (non-gzip) input, the payload must be the
// bytes after the header.
#include <cstring>

#include "data/idx.h"
#include "memory_file.h"
#include "tensorgrad/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static tg::fuzz::MemoryFile file;
  const int ndims = 1 + data[0] % 3;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1;
  const std::string& path = file.write(body, body_size);
  try {
    tg::data::idx::File f = tg::data::idx::read_ubyte(path, ndims);
    if (f.dims.size() != static_cast<size_t>(ndims)) std::abort();
    size_t total = 1;
    for (int64_t d : f.dims) total *= static_cast<size_t>(d);
    if (total != f.nbytes) std::abort();
    const bool gzip = body_size >= 2 && body[0] == 0x1f && body[1] == 0x8b;
    const size_t header = 4 + 4 * static_cast<size_t>(ndims);
    if (!gzip && (body_size != header + f.nbytes || std::memcmp(f.bytes.get(), body + header, f.nbytes) != 0))
      std::abort();
  } catch (const tg::Error& e) {
    tg::fuzz::check_expected_error(e.what());
  }
  return 0;
}
