#include <sstream>

#include "autograd/autograd_meta.h"
#include "autograd/messages.h"

namespace tg::autograd {

SavedVariable::SavedVariable(const Tensor& t, bool is_output) {
  if (!t.defined()) return;
  defined_ = true;
  version_ = t._version();
  is_output_ = is_output;
  if (is_output) {
    // Note [Saving an output]: holding the output itself would make the node own
    // a tensor that owns the node. Keep an alias of its data instead and rebuild
    // the link to the node on unpack.
    TensorImpl* impl = t.unsafeGetTensorImpl();
    data_ = Tensor(make_intrusive<TensorImpl>(impl->storage, impl->dtype, impl->sizes, impl->strides,
                                              impl->storage_offset));
    const AutogradMeta* m = AutogradMeta::find(t);
    const uint32_t output_nr = m ? m->output_nr : 0;
    TG_CHECK(output_nr < (1u << 29), "autograd: cannot save output ", output_nr, " of a node (at most 2^29 outputs)");
    output_nr_ = output_nr;
  } else {
    data_ = t;
  }
}

Tensor SavedVariable::unpack(Node* owner) const {
  TG_CHECK(!released_, messages::kBackwardTwice);
  if (!defined_) return Tensor();
  const uint32_t current = data_._version();
  if (current != version_) {
    std::ostringstream msg;
    msg << "one of the variables needed for gradient computation has been modified by an inplace operation: ["
        << data_.toString() << " " << data_.sizes() << "]";
    const Node* fn = is_output_ ? owner : data_.grad_fn().get();
    if (fn) msg << ", which is output " << (is_output_ ? output_nr_ : data_.output_nr()) << " of " << fn->name() << ",";
    msg << " is at version " << current << "; expected version " << version_ << " instead. "
        << (AnomalyMode::is_enabled() ? messages::kVersionHintAnomaly : messages::kVersionHint);
    throw Error(msg.str());
  }
  if (!is_output_ || !GradMode::is_enabled()) return data_;
  // Differentiating through the backward (create_graph): the output must lead
  // back to its node.
  TensorImpl* impl = data_.unsafeGetTensorImpl();
  Tensor out(make_intrusive<TensorImpl>(impl->storage, impl->dtype, impl->sizes, impl->strides, impl->storage_offset));
  set_history(out, intrusive_ptr<Node>(owner), output_nr_);
  return out;
}

void SavedVariable::release() {
  if (!defined_) return;
  data_ = Tensor();
  released_ = true;
}

}  // namespace tg::autograd
