#pragma once
// Zero-size variants of the op table's samples (tests/op_table*.cpp), shared by
// test_ops_zero_size_torch (against libtorch) and test_ops_edge_values (built
// without libtorch, so that it also runs under the sanitizers).
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "op_table.h"

namespace tg::optable {

// A sample with dim `dim` of one input, or of every input of higher rank
// (input == -1), emptied (size 0).
struct Variant {
  const OpEntry* entry;
  const Sample* sample;
  int input;
  int64_t dim;
};

inline std::string variant_name(const Variant& v) {
  return test_name(v.entry->name, v.sample->label) + "_" +
         (v.input < 0 ? std::string("all") : "in" + std::to_string(v.input)) + "_dim" + std::to_string(v.dim);
}
inline void PrintTo(const Variant& v, std::ostream* os) { *os << variant_name(v); }

inline bool emptied(const Variant& v, size_t k, const Input& in) {
  return (v.input < 0 || static_cast<size_t>(v.input) == k) && in.values.dim() > v.dim;
}

// The sample's input k as the variant has it (emptied or not).
inline Input variant_input(const Variant& v, size_t k) {
  Input in = v.sample->inputs[k];
  if (emptied(v, k, in)) in.values = in.values.narrow(v.dim, 0, 0).contiguous();
  return in;
}

// Every variant of every contiguous sample (layouts add nothing to a tensor
// without elements).
inline std::vector<Variant> zero_size_variants() {
  std::vector<Variant> out;
  for (const OpEntry& e : entries()) {
    for (const Sample& s : e.samples) {
      bool contiguous = true;
      int64_t max_rank = 0;
      for (const Input& in : s.inputs) {
        contiguous &= in.layout == Layout::Contiguous;
        max_rank = std::max(max_rank, in.values.dim());
      }
      if (!contiguous) continue;
      for (int64_t d = 0; d < max_rank; ++d) {
        for (size_t k = 0; k < s.inputs.size(); ++k)
          if (s.inputs[k].values.dim() > d) out.push_back({&e, &s, static_cast<int>(k), d});
        if (s.inputs.size() > 1) out.push_back({&e, &s, -1, d});
      }
    }
  }
  return out;
}

}  // namespace tg::optable
