// tensorgrad._C._save / _load_tensors: named tensors to and from safetensors files
// (atomic writes, validated reads), the format behind tensorgrad.save / load.
#include <map>

#include "common.h"

namespace tgpy {

void bind_serialize(py::module_& m) {
  m.def("_save", [](const py::dict& tensors, const std::string& path) {
    std::map<std::string, Tensor> named;
    for (auto [k, v] : tensors) named.emplace(py::str(k).cast<std::string>(), unwrap_checked(v).detach());
    py::gil_scoped_release release;
    tg::save(named, path);
  }, py::arg("tensors"), py::arg("path"));
  m.def("_load_tensors", [](const std::string& path) {
    std::map<std::string, Tensor> named;
    {
      py::gil_scoped_release release;
      named = tg::load_tensors(path);
    }
    py::dict out;
    for (auto& [k, v] : named) out[py::str(k)] = wrap(v);
    return out;
  }, py::arg("path"));
}

}  // namespace tgpy
