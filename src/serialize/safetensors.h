#pragma once
// The safetensors header: building it for a save, and parsing plus validating it
// for a load (Note [Validating a safetensors header] in safetensors.cpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensorgrad/error.h"
#include "tensorgrad/tensor.h"

namespace tg::serialize {

// The format's limit on the header size (as the reference implementation's).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// A tensor described by the header; offsets are relative to the data section.
struct Entry {
  std::string name;
  ScalarType dtype = kFloat;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Raises tg::Error: "'<path>' is not a valid safetensors file: <parts>".
template <class... Args>
[[noreturn]] void invalid(const std::string& path, const Args&... parts) {
  throw Error(detail::str("'", path, "' is not a valid safetensors file: ", parts...));
}

// The order in which save writes tensors: largest element size first, then by name,
// so that every tensor starts aligned to its element size (as the reference
// implementation orders them).
std::vector<std::pair<std::string, Tensor>> write_order(std::vector<std::pair<std::string, Tensor>> tensors);

// The header JSON for contiguous tensors laid out in the given order, padded with
// spaces to a multiple of 8 bytes so the data section starts 8-byte aligned.
std::string make_header(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& path);

// Parses and validates a header for a data section of data_size bytes; the entries
// come sorted by offset. Raises tg::Error naming `path` and the problem.
std::vector<Entry> parse_header(std::string_view text, uint64_t data_size, const std::string& path);

}  // namespace tg::serialize
