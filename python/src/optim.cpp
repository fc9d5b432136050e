// tensorgrad._C._optim: the C++ optimizers driven from tensorgrad.optim. Python
// keeps torch's param_groups (a list of dicts, editable between steps) and passes
// each group's hyper-parameters here before a step; the update itself, and the
// per-parameter state, stay in C++ (one fused pass per parameter, GIL released).
#include <memory>

#include "common.h"

namespace tgpy {
namespace {

namespace O = tg::optim;

template <class T>
T get(const py::dict& d, const char* key) {
  if (!d.contains(key)) throw py::key_error(std::string("optimizer option '") + key + "' is missing");
  return d[key].cast<T>();
}

O::SGDOptions read_sgd(const py::dict& d) {
  return O::SGDOptions(get<double>(d, "lr")).momentum(get<double>(d, "momentum")).dampening(get<double>(d, "dampening"))
      .weight_decay(get<double>(d, "weight_decay")).nesterov(get<bool>(d, "nesterov"));
}

std::tuple<double, double> betas(const py::dict& d) {
  const auto b = get<py::sequence>(d, "betas");
  if (b.size() != 2) throw py::value_error("betas must be a pair (beta1, beta2)");
  return {b[0].cast<double>(), b[1].cast<double>()};
}

O::AdamOptions read_adam(const py::dict& d) {
  return O::AdamOptions(get<double>(d, "lr")).betas(betas(d)).eps(get<double>(d, "eps"))
      .weight_decay(get<double>(d, "weight_decay")).amsgrad(get<bool>(d, "amsgrad"));
}

O::AdamWOptions read_adamw(const py::dict& d) {
  return O::AdamWOptions(get<double>(d, "lr")).betas(betas(d)).eps(get<double>(d, "eps"))
      .weight_decay(get<double>(d, "weight_decay")).amsgrad(get<bool>(d, "amsgrad"));
}

O::RMSpropOptions read_rmsprop(const py::dict& d) {
  return O::RMSpropOptions(get<double>(d, "lr")).alpha(get<double>(d, "alpha")).eps(get<double>(d, "eps"))
      .weight_decay(get<double>(d, "weight_decay")).momentum(get<double>(d, "momentum"))
      .centered(get<bool>(d, "centered"));
}

std::vector<Tensor> params_of(py::handle seq) {
  std::vector<Tensor> out;
  for (py::handle h : seq) out.push_back(unwrap_checked(h));
  return out;
}

// groups: [(params, options dict), ...]; the first group's options are the defaults.
template <class Opt, class Options>
void def_optimizer(py::module_& m, const char* name, Options (*read)(const py::dict&)) {
  py::class_<Opt>(m, name)
      .def(py::init([read](const py::list& groups) {
        if (groups.empty()) throw py::value_error("optimizer got an empty parameter list");
        std::vector<O::OptimizerParamGroup> gs;
        for (py::handle g : groups) {
          const auto pair = g.cast<py::tuple>();
          gs.emplace_back(params_of(pair[0]), std::make_unique<Options>(read(pair[1].cast<py::dict>())));
        }
        const auto defaults = read(groups[0].cast<py::tuple>()[1].cast<py::dict>());
        return std::make_unique<Opt>(std::move(gs), defaults);
      }))
      .def("step", [](Opt& o) {
        py::gil_scoped_release release;
        o.step();
      })
      .def("zero_grad", [](Opt& o) { o.zero_grad(); })
      .def("set_options", [read](Opt& o, size_t group, const py::dict& d) {
        o.param_groups().at(group).set_options(std::make_unique<Options>(read(d)));
      })
      .def("add_param_group", [read](Opt& o, py::handle params, const py::dict& d) {
        o.add_param_group(O::OptimizerParamGroup(params_of(params), std::make_unique<Options>(read(d))));
      });
}

}  // namespace

void bind_optim(py::module_& m) {
  py::module_ optim = m.def_submodule("_optim", "the C++ optimizers behind tensorgrad.optim");
  def_optimizer<O::SGD, O::SGDOptions>(optim, "SGD", &read_sgd);
  def_optimizer<O::Adam, O::AdamOptions>(optim, "Adam", &read_adam);
  def_optimizer<O::AdamW, O::AdamWOptions>(optim, "AdamW", &read_adamw);
  def_optimizer<O::RMSprop, O::RMSpropOptions>(optim, "RMSprop", &read_rmsprop);
  // torch's Python zero_grad, for Module.zero_grad and Optimizer.zero_grad: each
  // gradient zeroed where it is, detached when it has a history, else only made not
  // to require grad (a gradient that is a view, which detach_() refuses, is zeroed
  // too; the C++ Optimizer::zero_grad, as libtorch's, detaches every gradient).
  optim.def("zero_grads", [](const py::iterable& params, bool set_to_none) {
    for (py::handle h : params) {
      Tensor& g = const_cast<Tensor&>(unwrap_checked(h)).mutable_grad();
      if (!g.defined()) continue;
      if (set_to_none) {
        g = Tensor();
        continue;
      }
      if (g.grad_fn()) g.detach_();
      else g.requires_grad_(false);
      g.zero_();
    }
  }, py::arg("params"), py::arg("set_to_none") = false);
}

}  // namespace tgpy
