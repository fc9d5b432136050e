// The autograd methods of tg::Tensor.
#include "autograd/accumulate_grad.h"
#include "autograd/autograd_meta.h"
#include "autograd/messages.h"

namespace tg {
using autograd::AutogradMeta;

namespace {
const Tensor kUndefinedTensor;
const intrusive_ptr<autograd::Node> kNoNode;
}  // namespace

bool Tensor::requires_grad() const { return autograd::requires_grad(*this); }

const Tensor& Tensor::requires_grad_(bool requires_grad) const {
  AutogradMeta* m = AutogradMeta::find(*this);
  if (m && m->grad_fn) {
    TG_CHECK(requires_grad, autograd::messages::kRequiresGradNonLeaf);
    return *this;
  }
  if (requires_grad) {
    TG_CHECK(is_floating_point(), autograd::messages::kRequiresGradDtype);
    AutogradMeta::get_or_create(impl_.get()).requires_grad = true;
  } else if (m) {
    m->requires_grad = false;
  }
  return *this;
}

const Tensor& Tensor::set_requires_grad(bool requires_grad) const { return requires_grad_(requires_grad); }

bool Tensor::is_leaf() const {
  const AutogradMeta* m = AutogradMeta::find(*this);
  return !m || !m->grad_fn;
}

const Tensor& Tensor::grad() const {
  const AutogradMeta* m = AutogradMeta::find(*this);
  return m ? m->grad : kUndefinedTensor;
}

Tensor& Tensor::mutable_grad() const {
  TG_CHECK(defined(), "mutable_grad() called on an undefined Tensor");
  return AutogradMeta::get_or_create(impl_.get()).grad;
}

void Tensor::zero_grad() const {
  if (AutogradMeta* m = AutogradMeta::find(*this)) m->grad = Tensor();
}

void Tensor::retain_grad() const {
  TG_CHECK(requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
  AutogradMeta& m = AutogradMeta::get_or_create(impl_.get());
  if (!m.grad_fn || m.retains_grad) return;  // leaves always keep their gradient
  m.retains_grad = true;
  m.grad_fn->set_retained(m.output_nr, impl_.get());
}

bool Tensor::retains_grad() const {
  const AutogradMeta* m = AutogradMeta::find(*this);
  return m && m->retains_grad;
}

const intrusive_ptr<autograd::Node>& Tensor::grad_fn() const {
  const AutogradMeta* m = AutogradMeta::find(*this);
  return m ? m->grad_fn : kNoNode;
}

uint32_t Tensor::output_nr() const {
  const AutogradMeta* m = AutogradMeta::find(*this);
  return m ? m->output_nr : 0;
}

void Tensor::backward(const Tensor& gradient, optional<bool> retain_graph, bool create_graph,
                      optional<TensorList> inputs) const {
  autograd::variable_list in;
  if (inputs) in.assign(inputs->begin(), inputs->end());
  autograd::backward({*this}, {gradient}, retain_graph, create_graph, in);
}

unsigned Tensor::register_hook_impl(std::function<Tensor(const Tensor&)> fn) const {
  TG_CHECK(requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
  AutogradMeta& m = AutogradMeta::get_or_create(impl_.get());
  if (m.grad_fn) return m.grad_fn->add_tensor_hook(m.output_nr, std::move(fn));
  unsigned h = m.next_hook_handle++;
  m.leaf_hooks.push_back({h, std::move(fn)});
  return h;
}

void Tensor::remove_hook(unsigned pos) const {
  AutogradMeta* m = AutogradMeta::find(*this);
  if (!m) return;
  if (m->grad_fn) {
    m->grad_fn->remove_tensor_hook(pos);
  } else {
    std::erase_if(m->leaf_hooks, [&](const AutogradMeta::Hook& h) { return h.handle == pos; });
  }
}

Tensor Tensor::detach() const {
  const TensorImpl& i = checked("detach()");
  return Tensor(make_intrusive<TensorImpl>(i.storage, i.dtype, i.sizes, i.strides, i.storage_offset));
}

Tensor& Tensor::detach_() const {
  // libtorch refuses every view, also one of a tensor without grad or of integers.
  TG_CHECK(!checked("detach_()").is_view, "Can't detach views in-place. Use detach() instead.");
  if (AutogradMeta* m = AutogradMeta::find(*this)) {
    m->grad_fn = nullptr;
    m->requires_grad = false;
    m->output_nr = 0;
  }
  return const_cast<Tensor&>(*this);  // libtorch's signature: const, returning a mutable handle
}

}  // namespace tg
