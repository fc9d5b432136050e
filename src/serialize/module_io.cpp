// tg::save(module, path) / tg::load(module, path): a module's named parameters and
// buffers through the safetensors files of tensors_io.cpp.
#include <algorithm>
#include <set>
#include <sstream>

#include "tensorgrad/autograd.h"
#include "tensorgrad/serialize.h"

namespace tg {
namespace {

// The module's parameters and buffers by dotted name, in registration order.
std::vector<std::pair<std::string, Tensor>> state(const nn::Module& module, const std::string& path) {
  std::vector<std::pair<std::string, Tensor>> out;
  std::set<std::string> seen;
  for (const auto& dict : {module.named_parameters(), module.named_buffers()}) {
    for (const auto& item : dict) {
      TG_CHECK(seen.insert(item.key()).second, "'", path, "': the module has two tensors named '", item.key(), "'");
      out.emplace_back(item.key(), item.value());
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::ostringstream os;
  for (size_t i = 0; i < names.size(); ++i) os << (i ? ", " : "") << '"' << names[i] << '"';
  return os.str();
}

}  // namespace

void save(const nn::Module& module, const std::string& path) {
  std::map<std::string, Tensor> tensors;
  for (auto& [name, t] : state(module, path)) tensors.emplace(name, t);
  save(tensors, path);
}

void load(nn::Module& module, const std::string& path) {
  const std::map<std::string, Tensor> loaded = load_tensors(path);
  const std::vector<std::pair<std::string, Tensor>> targets = state(module, path);

  // Check everything first, so that a failed load leaves the module as it was.
  std::vector<std::string> missing, unexpected;
  std::set<std::string> expected;
  for (const auto& [name, t] : targets) {
    expected.insert(name);
    if (!loaded.count(name)) missing.push_back(name);
  }
  for (const auto& [name, t] : loaded) {
    if (!expected.count(name)) unexpected.push_back(name);
  }
  TG_CHECK(missing.empty() && unexpected.empty(), "Error(s) in loading '", path, "' into ", module.name(), ":",
           missing.empty() ? "" : " Missing key(s): " + join(missing) + ".",
           unexpected.empty() ? "" : " Unexpected key(s): " + join(unexpected) + ".");
  for (const auto& [name, t] : targets) {
    const Tensor& src = loaded.at(name);
    TG_CHECK(src.sizes().equals(t.sizes()), "size mismatch for ", name, ": copying a tensor with shape ", src.sizes(),
             " from '", path, "', the shape in the current module is ", t.sizes());
  }

  NoGradGuard no_grad;
  for (const auto& [name, t] : targets) Tensor(t).copy_(loaded.at(name));
}

}  // namespace tg
