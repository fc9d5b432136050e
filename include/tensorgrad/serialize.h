#pragma once
// Saving and loading tensors and modules with libtorch's call names, in the
// safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header {"name": {"dtype", "shape",
// "data_offsets"}}, then the raw little-endian data. Files are readable by every
// safetensors tool; dtypes F32, F64, I64 and BOOL.
#include <map>
#include <memory>
#include <string>
#include <type_traits>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/tensor.h"

namespace tg {

// Writes the tensors atomically: into a temporary file beside `path`, flushed to
// disk, then renamed over it, so a failed or interrupted save leaves any previous
// file intact. Raises tg::Error naming the path on failure.
void save(const std::map<std::string, Tensor>& tensors, const std::string& path);

// Reads every tensor of a safetensors file. The header is validated completely
// (length against the file size, JSON, dtypes, shapes, offsets that tile the data
// section exactly) before any data is read; a malformed file raises tg::Error.
std::map<std::string, Tensor> load_tensors(const std::string& path);

// A module's named parameters and buffers ("fc1.weight", ...).
void save(const nn::Module& module, const std::string& path);

// Copies the file's tensors into the module's parameters and buffers in place
// (under NoGradGuard, converting the dtype if it differs). A missing or unexpected
// name or a shape mismatch raises, and then nothing is copied.
void load(nn::Module& module, const std::string& path);

template <class M>
requires nn::detail::is_module_holder_v<M>
void save(const M& module, const std::string& path) { save(static_cast<const nn::Module&>(*module), path); }
template <class M>
requires nn::detail::is_module_holder_v<M>
void load(M& module, const std::string& path) { load(static_cast<nn::Module&>(*module), path); }
template <class M>
requires std::is_base_of_v<nn::Module, M>
void save(const std::shared_ptr<M>& module, const std::string& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <class M>
requires std::is_base_of_v<nn::Module, M>
void load(const std::shared_ptr<M>& module, const std::string& path) { load(static_cast<nn::Module&>(*module), path); }

}  // namespace tg
