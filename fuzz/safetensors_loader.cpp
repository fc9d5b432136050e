// Fuzzes tg::load_tensors (the safetensors reader). Any input must give either a
// tg::Error or tensors that are consistent with the file: contiguous, their bytes
// tiling the data section exactly, booleans 0 or 1.
#include <cstring>

#include "memory_file.h"
#include "tensorgrad/tensorgrad.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tg::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tg::fuzz::MemoryFile file;
  const std::string& path = file.write(data, size);
  try {
    const std::map<std::string, tg::Tensor> tensors = tg::load_tensors(path);
    uint64_t header_len = 0;
    if (size < 8) std::abort();
    std::memcpy(&header_len, data, 8);  // little-endian machine
    size_t data_bytes = 0;
    for (const auto& [name, t] : tensors) {
      if (!t.defined() || !t.is_contiguous() || t.requires_grad()) std::abort();
      data_bytes += t.nbytes();
      if (t.dtype() == tg::kBool) {
        const auto* b = static_cast<const uint8_t*>(t.data_ptr());
        for (int64_t i = 0; i < t.numel(); ++i)
          if (b[i] > 1) std::abort();
      }
      // Reads every element through an op (ASan sees any access outside the storage);
      // in double, where a sum of arbitrary values is defined.
      static_cast<void>(t.to(tg::kDouble).sum().item());
    }
    if (8 + header_len + data_bytes != size) std::abort();
  } catch (const tg::Error& e) {
    tg::fuzz::check_expected_error(e.what());
  }
  return 0;
}
