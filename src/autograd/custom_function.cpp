// tg::autograd::Function<Derived>: user-defined operations with their own
// backward, recorded as one CustomFunctionNode (libtorch's CppNode).
#include <algorithm>

#include "autograd/autograd_meta.h"
#include "autograd/messages.h"
#include "tensorgrad/ops.h"

namespace tg::autograd {

// ---- IValue ---------------------------------------------------------------------------------
bool IValue::toBool() const {
  TG_CHECK(isBool(), "IValue is not a bool");
  return std::get<bool>(v_);
}
int64_t IValue::toInt() const {
  TG_CHECK(isInt(), "IValue is not an int");
  return std::get<int64_t>(v_);
}
double IValue::toDouble() const {
  TG_CHECK(isDouble() || isInt(), "IValue is not a double");
  return isInt() ? static_cast<double>(std::get<int64_t>(v_)) : std::get<double>(v_);
}
const std::string& IValue::toStringRef() const {
  TG_CHECK(isString(), "IValue is not a string");
  return std::get<std::string>(v_);
}
Tensor IValue::toTensor() const {
  TG_CHECK(isTensor(), "IValue is not a Tensor");
  return std::get<Tensor>(v_);
}
std::vector<int64_t> IValue::toIntVector() const {
  TG_CHECK(isIntList(), "IValue is not an int list");
  return std::get<std::vector<int64_t>>(v_);
}

// ---- AutogradContext -------------------------------------------------------------------------
void AutogradContext::save_for_backward(variable_list to_save) { to_save_ = std::move(to_save); }

variable_list AutogradContext::get_saved_variables() const {
  if (!node_) return to_save_;
  variable_list out;
  for (size_t i = 0; i < node_->num_saved(); ++i) out.push_back(node_->saved(i));
  return out;
}

void AutogradContext::mark_dirty(const variable_list& inputs) {
  for (const Tensor& t : inputs) dirty_.push_back(t.unsafeGetTensorImpl());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  for (const Tensor& t : outputs) non_differentiable_.push_back(t.unsafeGetTensorImpl());
}

bool AutogradContext::needs_input_grad(size_t i) const { return node_ && node_->needs_input_grad(i); }

// ---- the node ---------------------------------------------------------------------------------
variable_list CustomFunctionNode::apply(variable_list&& grads) {
  if (ctx.materialize_grads_) {
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined() && i < output_meta.size())
        grads[i] = zeros(output_meta[i].shape, output_meta[i].dtype);
  }
  variable_list result = backward_(&ctx, std::move(grads));
  const size_t nargs = arg_to_edge.size();
  // Trailing undefined gradients may be omitted, as in libtorch.
  while (result.size() > nargs && !result.back().defined()) result.pop_back();
  TG_CHECK(result.size() == nargs, "function ", name(), " returned an incorrect number of gradients (expected ", nargs,
           ", got ", result.size(), ")");
  variable_list out(num_outputs());
  for (size_t a = 0; a < nargs; ++a) {
    const int e = arg_to_edge[a];
    if (e < 0) {
      TG_CHECK(!result[a].defined(), "function ", name(), " returned a gradient different than None at position ",
               a + 1, ", but the corresponding forward input was not a Variable");
      continue;
    }
    out[e] = std::move(result[a]);
  }
  return out;
}

void CustomFunctionNode::release_variables() {
  Node::release_variables();
  ctx.has_freed_buffers_ = true;
}

// ---- apply() ------------------------------------------------------------------------------------
intrusive_ptr<CustomFunctionNode> FunctionApply::begin(const char* name, CustomFunctionNode::BackwardFn fn,
                                                       const std::vector<const Tensor*>& tensor_args,
                                                       const std::vector<int>& arg_to_edge, AutogradContext** ctx) {
  bool any = false;
  for (const Tensor* t : tensor_args) any |= requires_grad(*t);
  if (!any || !GradMode::is_enabled()) return nullptr;
  auto node = make_intrusive<CustomFunctionNode>(name, fn);
  for (const Tensor* t : tensor_args) node->add_next_edge(*t);
  node->arg_to_edge = arg_to_edge;
  node->ctx.node_ = node.get();
  *ctx = &node->ctx;
  return node;
}

void FunctionApply::finish(CustomFunctionNode* node, const std::vector<const Tensor*>& inputs,
                           variable_list& outputs) {
  if (!node) return;
  AutogradContext& ctx = node->ctx;
  auto contains = [](const std::vector<TensorImpl*>& v, const Tensor& t) {
    return std::find(v.begin(), v.end(), t.unsafeGetTensorImpl()) != v.end();
  };
  node->set_num_inputs(static_cast<uint32_t>(outputs.size()));
  for (uint32_t i = 0; i < outputs.size(); ++i) {
    Tensor& out = outputs[i];
    InputMetadata meta;
    if (out.defined()) {
      meta.shape = out.sizes();
      meta.dtype = out.dtype();
    }
    node->output_meta.push_back(meta);
    if (!out.defined() || contains(ctx.non_differentiable_, out)) continue;
    const bool is_input = std::any_of(inputs.begin(), inputs.end(), [&](const Tensor* in) { return in->is_same(out); });
    if (contains(ctx.dirty_, out)) {
      const AutogradMeta* m = AutogradMeta::find(out);
      TG_CHECK(!(m && m->requires_grad && !m->grad_fn),
               "a leaf Variable that requires grad has been used in an in-place operation.");
      // As libtorch's mark_dirty: one more version on top of the in-place op's
      // own (PyTorch 1.13 reports 2 for one add_), and a new history (Note [Views
      // of a rebased tensor]).
      ++out.unsafeGetTensorImpl()->storage->version;
      ++out.unsafeGetTensorImpl()->storage->history_version;
    } else if (is_input) {
      // Returned an input unchanged: give the output its own identity so the
      // input's history is not overwritten.
      out = out.detach();
    }
    set_history(out, intrusive_ptr<Node>(node), i);
  }
  for (const Tensor& t : ctx.to_save_) {
    const bool is_output = std::any_of(outputs.begin(), outputs.end(), [&](const Tensor& o) { return o.is_same(t); });
    node->save(t, is_output);
  }
  ctx.to_save_.clear();
}

}  // namespace tg::autograd
