// gradcheck / gradgradcheck: the Jacobian autograd computes (one backward per
// output element, a one-hot incoming gradient each) against central finite
// differences, perturbing each input element in place.
#include "tensorgrad/gradcheck.h"

#include <cmath>
#include <random>
#include <sstream>

#include "tensorgrad/ops.h"

namespace tg::autograd {
namespace {

// "[1, 2]": the row-major multi-index of element `flat` of a tensor of `shape`.
std::string multi_index(IntArrayRef shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  std::ostringstream os;
  os << "[";
  for (size_t d = 0; d < idx.size(); ++d) os << (d ? ", " : "") << idx[d];
  os << "]";
  return os.str();
}

std::vector<double> flat_values(const Tensor& t) {
  Tensor c = t.detach().to(kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

// Element `flat` (row-major) of a strided float64 tensor, written in place: the
// perturbation must reach the very memory fn reads, views included.
double* element_ptr(const Tensor& t, int64_t flat) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    offset += (flat % t.size(d)) * t.stride(d);
    flat /= t.size(d);
  }
  return static_cast<double*>(t.data_ptr()) + offset;
}

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

using Namer = std::function<std::string(size_t)>;

// What is checked: fn, its inputs, and how inputs and outputs are named in messages.
struct Problem {
  const GradcheckFunction& fn;
  const variable_list& inputs;
  Namer input_name;
  Namer output_name;
  const char* label;
};

// Indices of the inputs to differentiate; raises for inputs gradcheck cannot use.
std::vector<size_t> checked_inputs(const variable_list& inputs, const Namer& name, const char* label) {
  std::vector<size_t> wrt;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) continue;
    TG_CHECK(!x.is_floating_point() || x.dtype() == kDouble, label, ": ", name(i), " has dtype ", x.dtype(),
             "; finite differences need float64 inputs (int64 and bool inputs are passed through as constants)");
    if (!x.requires_grad()) continue;
    for (int64_t d = 0; d < x.dim() && x.numel() > 1; ++d)
      TG_CHECK(x.stride(d) != 0 || x.size(d) <= 1, label, ": ", name(i),
               " has a dimension with stride 0; perturbing one of its elements would change several. Pass a "
               "non-overlapping tensor (e.g. x.contiguous()).");
    wrt.push_back(i);
  }
  TG_CHECK(!wrt.empty(), label, " expects at least one input tensor to require gradient, but none of them have "
           "requires_grad=True.");
  return wrt;
}

// The outputs of fn that have a derivative (floating point), by index.
std::vector<size_t> differentiable_outputs(const variable_list& outputs, const char* label, const Namer& name) {
  std::vector<size_t> idx;
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (!outputs[k].defined() || !outputs[k].is_floating_point()) continue;
    TG_CHECK(outputs[k].dtype() == kDouble, label, ": ", name(k), " has dtype ", outputs[k].dtype(),
             "; finite differences need float64 outputs");
    idx.push_back(k);
  }
  return idx;
}

// Jacobians indexed [wrt input][output], each row-major [input element][output element].
using Jacobians = std::vector<std::vector<std::vector<double>>>;

class Checker {
 public:
  Checker(const Problem& p, double eps, double atol, double rtol)
      : p_(p), eps_(eps), atol_(atol), rtol_(rtol), wrt_(checked_inputs(p.inputs, p.input_name, p.label)) {}

  GradcheckResult run() {
    AutoGradMode grad_mode(true);
    variable_list outputs = p_.fn(p_.inputs);
    out_idx_ = differentiable_outputs(outputs, p_.label, p_.output_name);
    for (size_t k : out_idx_) out_shapes_.emplace_back(outputs[k].sizes());
    Jacobians analytic = analytic_jacobians(outputs);
    if (!failure_.empty()) return {false, failure_};
    Jacobians numerical = numerical_jacobians();
    if (!failure_.empty()) return {false, failure_};
    if (std::string m = compare(analytic, numerical); !m.empty()) return {false, m};
    if (std::string m = check_zero_grad(outputs); !m.empty()) return {false, m};
    return {true, {}};
  }

 private:
  // d(outputs[k]) / d(wrt inputs), one backward per element of each output.
  Jacobians analytic_jacobians(const variable_list& outputs) {
    Jacobians J(wrt_.size(), std::vector<std::vector<double>>(out_idx_.size()));
    variable_list targets;
    for (size_t i : wrt_) targets.push_back(p_.inputs[i]);
    for (size_t o = 0; o < out_idx_.size(); ++o) {
      const Tensor& out = outputs[out_idx_[o]];
      const int64_t n_out = out.numel();
      for (size_t w = 0; w < wrt_.size(); ++w) J[w][o].assign(p_.inputs[wrt_[w]].numel() * n_out, 0.0);
      if (!out.requires_grad()) continue;  // a constant output: its Jacobian is zero
      for (int64_t m = 0; m < n_out; ++m) {
        Tensor onehot = zeros(out.sizes(), kDouble);
        *element_ptr(onehot, m) = 1.0;
        variable_list grads = grad({out}, targets, {onehot}, true, false, true);
        for (size_t w = 0; w < wrt_.size(); ++w) {
          if (!grads[w].defined()) continue;
          const Tensor& x = p_.inputs[wrt_[w]];
          if (!grads[w].sizes().equals(x.sizes()) || grads[w].dtype() != x.dtype()) {
            std::ostringstream os;
            os << p_.label << ": the gradient for " << p_.input_name(wrt_[w]) << " has shape " << grads[w].sizes()
               << " and dtype " << grads[w].dtype() << ", but the input has shape " << x.sizes() << " and dtype "
               << x.dtype();
            failure_ = os.str();
            return J;
          }
          std::vector<double> g = flat_values(grads[w]);
          for (size_t j = 0; j < g.size(); ++j) J[w][o][j * n_out + m] = g[j];
        }
      }
    }
    return J;
  }

  // The differentiable outputs' values, flattened, for the current input values.
  std::vector<std::vector<double>> evaluate() {
    variable_list outputs = p_.fn(p_.inputs);
    std::vector<std::vector<double>> vals;
    for (size_t o = 0; o < out_idx_.size(); ++o) {
      const size_t k = out_idx_[o];
      if (k >= outputs.size() || !outputs[k].defined() || !outputs[k].sizes().equals(out_shapes_[o])) {
        failure_ = std::string(p_.label) + ": fn returned differently shaped outputs for perturbed inputs (" +
                   p_.output_name(k) + ")";
        return {};
      }
      vals.push_back(flat_values(outputs[k]));
    }
    return vals;
  }

  Jacobians numerical_jacobians() {
    Jacobians J(wrt_.size(), std::vector<std::vector<double>>(out_idx_.size()));
    for (size_t w = 0; w < wrt_.size(); ++w) {
      const Tensor& x = p_.inputs[wrt_[w]];
      for (size_t o = 0; o < out_idx_.size(); ++o) J[w][o].assign(x.numel() * out_numel(o), 0.0);
      for (int64_t j = 0; j < x.numel(); ++j) {
        double* p = element_ptr(x, j);
        const double orig = *p;
        *p = orig + eps_;
        auto plus = evaluate();
        *p = orig - eps_;
        auto minus = evaluate();
        *p = orig;
        if (!failure_.empty()) return J;
        for (size_t o = 0; o < out_idx_.size(); ++o) {
          const int64_t n_out = out_numel(o);
          for (int64_t m = 0; m < n_out; ++m) J[w][o][j * n_out + m] = (plus[o][m] - minus[o][m]) / (2 * eps_);
        }
      }
    }
    return J;
  }

  int64_t out_numel(size_t o) const {
    int64_t n = 1;
    for (int64_t s : out_shapes_[o]) n *= s;
    return n;
  }

  // The first element outside atol + rtol * |numerical|, described.
  std::string compare(const Jacobians& analytic, const Jacobians& numerical) const {
    for (size_t w = 0; w < wrt_.size(); ++w) {
      const Tensor& x = p_.inputs[wrt_[w]];
      for (size_t o = 0; o < out_idx_.size(); ++o) {
        const int64_t n_out = out_numel(o);
        for (int64_t j = 0; j < x.numel(); ++j)
          for (int64_t m = 0; m < n_out; ++m) {
            const double a = analytic[w][o][j * n_out + m], n = numerical[w][o][j * n_out + m];
            if (std::abs(a - n) <= atol_ + rtol_ * std::abs(n)) continue;
            std::ostringstream os;
            os << p_.label << ": Jacobian mismatch for " << p_.input_name(wrt_[w]) << " element "
               << multi_index(x.sizes(), j) << " and " << p_.output_name(out_idx_[o]) << " element "
               << multi_index(out_shapes_[o], m) << ": analytic " << fmt(a) << " vs numerical " << fmt(n)
               << " (atol " << atol_ << ", rtol " << rtol_ << ", eps " << eps_ << ")";
            return os.str();
          }
      }
    }
    return {};
  }

  // Backward with zero incoming gradients must give zero input gradients.
  std::string check_zero_grad(const variable_list& outputs) const {
    variable_list roots, zero_grads, targets;
    for (size_t k : out_idx_) {
      if (!outputs[k].requires_grad()) continue;
      roots.push_back(outputs[k]);
      zero_grads.push_back(zeros(outputs[k].sizes(), kDouble));
    }
    if (roots.empty()) return {};
    for (size_t i : wrt_) targets.push_back(p_.inputs[i]);
    variable_list grads = grad(roots, targets, zero_grads, true, false, true);
    for (size_t w = 0; w < wrt_.size(); ++w) {
      if (!grads[w].defined()) continue;
      std::vector<double> g = flat_values(grads[w]);
      for (size_t j = 0; j < g.size(); ++j) {
        if (g[j] == 0.0) continue;
        std::ostringstream os;
        os << p_.label << ": backward with a zero incoming gradient gave " << fmt(g[j]) << " (expected 0) for "
           << p_.input_name(wrt_[w]) << " element " << multi_index(grads[w].sizes(), static_cast<int64_t>(j));
        return os.str();
      }
    }
    return {};
  }

  const Problem& p_;
  double eps_, atol_, rtol_;
  std::vector<size_t> wrt_;
  std::vector<size_t> out_idx_;
  std::vector<DimVector> out_shapes_;
  std::string failure_;
};

std::string indexed(const char* what, size_t i) { return std::string(what) + " " + std::to_string(i); }

// Fixed pseudo-random values in [-1, 1): reproducible runs, independent of the
// user's generator state (tg::manual_seed).
Tensor uniform_grad_output(IntArrayRef shape, std::mt19937_64& gen) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  Tensor t = zeros(shape, kDouble);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(gen);
  return t.requires_grad_(true);
}

}  // namespace

namespace detail {

GradcheckResult gradcheck(const GradcheckFunction& fn, const variable_list& inputs, double eps, double atol,
                          double rtol) {
  Problem p{fn, inputs, [](size_t i) { return indexed("input", i); }, [](size_t k) { return indexed("output", k); },
            "gradcheck"};
  return Checker(p, eps, atol, rtol).run();
}

GradcheckResult gradgradcheck(const GradcheckFunction& fn, const variable_list& inputs,
                              const variable_list& grad_outputs, double eps, double atol, double rtol) {
  const Namer input_name = [](size_t i) { return indexed("input", i); };
  const std::vector<size_t> wrt = checked_inputs(inputs, input_name, "gradgradcheck");
  const size_t n = inputs.size();

  // The outputs that carry a gradient, and one grad_output for each.
  AutoGradMode grad_mode(true);
  variable_list outputs = fn(inputs);
  std::vector<size_t> diff;
  for (size_t k : differentiable_outputs(outputs, "gradgradcheck", [](size_t k) { return indexed("output", k); }))
    if (outputs[k].requires_grad()) diff.push_back(k);
  TG_CHECK(!diff.empty(), "gradgradcheck: no output of fn requires grad");
  variable_list all = inputs;
  if (grad_outputs.empty()) {
    std::mt19937_64 gen(0x7e57'9a4dULL);
    for (size_t k : diff) all.push_back(uniform_grad_output(outputs[k].sizes(), gen));
  } else {
    TG_CHECK(grad_outputs.size() == diff.size(), "gradgradcheck: expected ", diff.size(),
             " grad_outputs (one per differentiable output), got ", grad_outputs.size());
    for (size_t o = 0; o < diff.size(); ++o) {
      const Tensor& g = grad_outputs[o];
      TG_CHECK(g.defined() && g.dtype() == kDouble && g.sizes().equals(outputs[diff[o]].sizes()),
               "gradgradcheck: grad_outputs[", o, "] must be a float64 tensor of shape ", outputs[diff[o]].sizes());
      all.push_back(g.requires_grad() ? g : g.detach().clone().requires_grad_(true));
    }
  }

  // The first-order gradients as a function of (inputs, grad_outputs); which of
  // them are defined is structural, so it is fixed by this first evaluation.
  auto first_order = [&fn, &wrt, &diff, n](const variable_list& args) {
    variable_list xs(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(n));
    variable_list outs = fn(xs), roots, targets;
    for (size_t k : diff) roots.push_back(outs[k]);
    for (size_t i : wrt) targets.push_back(xs[i]);
    variable_list gos(args.begin() + static_cast<std::ptrdiff_t>(n), args.end());
    return grad(roots, targets, gos, true, true, true);
  };
  std::vector<size_t> defined_grads;
  {
    variable_list g = first_order(all);
    for (size_t w = 0; w < g.size(); ++w)
      if (g[w].defined()) defined_grads.push_back(w);
  }
  GradcheckFunction second = [first_order, defined_grads](const variable_list& args) {
    variable_list g = first_order(args), kept;
    for (size_t w : defined_grads) kept.push_back(g[w]);
    return kept;
  };
  Problem p{second, all,
            [n](size_t i) { return i < n ? indexed("input", i) : indexed("grad_output", i - n); },
            [&wrt, &defined_grads](size_t k) { return "the gradient of " + indexed("input", wrt[defined_grads[k]]); },
            "gradgradcheck"};
  return Checker(p, eps, atol, rtol).run();
}

}  // namespace detail
}  // namespace tg::autograd
