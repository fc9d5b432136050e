// Autograd from Python: grad mode and anomaly mode switches, backward() and
// grad() over lists of tensors (GIL released while the engine runs), and the
// graph's nodes (grad_fn) with name() and next_functions.
#include <string>

#include "common.h"

namespace tgpy {
namespace {

using tg::autograd::Node;

std::vector<Tensor> tensors_or_one(py::handle h, const char* what) {
  std::vector<Tensor> out;
  if (h.is_none()) return out;
  if (is_tensor(h)) {
    out.push_back(unwrap(h));
    return out;
  }
  if (!PySequence_Check(h.ptr())) {
    throw py::type_error(std::string(what) + " must be a Tensor or a sequence of Tensors");
  }
  for (py::handle item : h) out.push_back(unwrap_checked(item));
  return out;
}

// Gradients may be given as None (undefined) or as data convertible to tensors.
std::vector<Tensor> gradients(py::handle h, size_t n) {
  std::vector<Tensor> out;
  if (h.is_none()) return out;
  if (is_tensor(h)) {
    out.push_back(unwrap(h));
  } else {
    for (py::handle item : h) out.push_back(item.is_none() ? Tensor() : to_tensor(item));
  }
  if (out.size() != n) {
    throw py::value_error("grad requires one gradient per output: got " + std::to_string(out.size()) +
                          " gradients for " + std::to_string(n) + " outputs");
  }
  return out;
}

std::optional<bool> optional_bool(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return h.cast<bool>();
}

py::tuple next_functions(const Node& node) {
  const auto& edges = node.next_edges();
  py::tuple out(edges.size());
  for (size_t i = 0; i < edges.size(); ++i) {
    const auto& e = edges[i];
    py::object fn = e.function ? py::cast(e.function) : py::none();
    out[i] = py::make_tuple(fn, e.input_nr);
  }
  return out;
}

}  // namespace

void bind_autograd(py::module_& m) {
  m.def("is_grad_enabled", &tg::autograd::GradMode::is_enabled);
  m.def("_set_grad_enabled", &tg::autograd::GradMode::set_enabled);
  m.def("is_anomaly_enabled", &tg::autograd::AnomalyMode::is_enabled);
  m.def("_set_anomaly_enabled", &tg::autograd::AnomalyMode::set_enabled);

  m.def("_backward", [](py::handle tensors, py::handle grad_tensors, py::handle retain_graph, bool create_graph,
                        py::handle inputs) {
    const auto roots = tensors_or_one(tensors, "tensors");
    const auto grads = gradients(grad_tensors, roots.size());
    const auto ins = tensors_or_one(inputs, "inputs");
    const auto retain = optional_bool(retain_graph);
    py::gil_scoped_release release;
    tg::autograd::backward(roots, grads, retain, create_graph, ins);
  }, py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = py::none(),
        py::arg("create_graph") = false, py::arg("inputs") = py::none());

  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, py::handle retain_graph,
                    bool create_graph, bool allow_unused) {
    const auto outs = tensors_or_one(outputs, "outputs");
    const auto ins = tensors_or_one(inputs, "inputs");
    const auto grads = gradients(grad_outputs, outs.size());
    const auto retain = optional_bool(retain_graph);
    std::vector<Tensor> result;
    {
      py::gil_scoped_release release;
      result = tg::autograd::grad(outs, ins, grads, retain, create_graph, allow_unused);
    }
    return wrap_all(result);
  }, py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs") = py::none(), py::arg("retain_graph") = py::none(),
        py::arg("create_graph") = false, py::arg("allow_unused") = false);

  py::class_<Node, tg::intrusive_ptr<Node>>(m, "Node")
      .def("name", &Node::name)
      .def_property_readonly("next_functions", &next_functions)
      .def("_sequence_nr", &Node::sequence_nr)
      .def("__repr__", [](const Node& n) {
        return "<" + n.name() + " object at " + std::to_string(reinterpret_cast<uintptr_t>(&n)) + ">";
      })
      .def("__eq__", [](const Node& a, py::handle b) {
        return py::isinstance<Node>(b) && &a == &b.cast<const Node&>();
      })
      .def("__hash__", [](const Node& n) { return reinterpret_cast<intptr_t>(&n); });
}

}  // namespace tgpy
