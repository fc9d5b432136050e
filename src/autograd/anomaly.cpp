// Anomaly mode's record of where each node came from. When AnomalyMode is on at a
// node's creation the node gets a trace, filled in set_history from its inputs'
// traces: the chain of forward ops that led to it, bounded in length. Off, the
// trace pointer is null and set_history's only cost is testing it.
#include "autograd/anomaly.h"

#include <cctype>

#include "autograd/autograd_meta.h"

namespace tg::autograd {
namespace {

constexpr size_t kMaxTraceOps = 16;
constexpr const char* kArrow = " -> ";
constexpr const char* kElided = "...";

// Keeps the last kMaxTraceOps ops of "a -> b -> ...", marking the cut with "...".
void bound(std::string& trace) {
  const std::string arrow = kArrow;
  size_t ops = 1;
  for (size_t p = trace.find(arrow); p != std::string::npos; p = trace.find(arrow, p + 1)) ++ops;
  const bool elided = trace.rfind(kElided, 0) == 0;
  if (elided) --ops;
  if (ops <= kMaxTraceOps) return;
  size_t start = elided ? trace.find(arrow) + arrow.size() : 0;
  for (size_t k = 0; k < ops - kMaxTraceOps; ++k) start = trace.find(arrow, start) + arrow.size();
  trace = std::string(kElided) + arrow + trace.substr(start);
}

}  // namespace

std::string forward_op_name(const std::string& node_name) {
  std::string base = node_name;
  while (!base.empty() && std::isdigit(static_cast<unsigned char>(base.back()))) base.pop_back();
  for (const char* suffix : {"Backwards", "Backward"}) {
    const std::string s = suffix;
    if (base.size() > s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0) {
      base.resize(base.size() - s.size());
      break;
    }
  }
  // CamelCase to snake_case: a word starts at an upper-case letter after a lower-case
  // one, or at the last capital of a run followed by a lower-case letter (2DWith -> 2d_with).
  std::string out;
  for (size_t i = 0; i < base.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(base[i]);
    if (std::isupper(c) && i > 0) {
      const unsigned char prev = static_cast<unsigned char>(base[i - 1]);
      const bool next_lower = i + 1 < base.size() && std::islower(static_cast<unsigned char>(base[i + 1]));
      if (std::islower(prev) || (std::isupper(prev) && next_lower)) out += '_';
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

void Node::fill_anomaly_trace() {
  std::string& own = *extras_->anomaly_trace;
  if (!own.empty()) return;
  // Continue the chain of the most recent input (the one the data flowed through last).
  const Node* from = nullptr;
  for (const Edge& e : next_edges_) {
    if (!e.is_valid()) continue;
    const std::string* t = e.function->anomaly_trace();
    if (t && !t->empty() && (!from || e.function->sequence_nr() > from->sequence_nr())) from = e.function.get();
  }
  std::string trace = from ? *from->anomaly_trace() + kArrow : std::string();
  trace += forward_op_name(name());
  bound(trace);
  own = std::move(trace);
}

}  // namespace tg::autograd
