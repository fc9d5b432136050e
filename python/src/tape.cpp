// tensorgrad.autograd.GradientTape (a context manager, as TensorFlow's tape) over
// tg::autograd::GradientTape, and the graph's picture and numbers: to_dot and
// graph_stats. gradient() and backward() run the engine without the GIL.
#include <sstream>
#include <string>
#include <thread>

#include "common.h"

namespace tgpy {
namespace {

using tg::autograd::GradientTape;

// A tape records on the thread that enabled it (its C++ state is per thread), so the
// Python object checks that it is enabled and disabled on one thread.
struct Tape {
  explicit Tape(bool persistent) : tape(persistent) {}
  GradientTape tape;
  std::thread::id owner;  // the thread that enabled it, while it is enabled

  bool on_other_thread() const { return tape.is_enabled() && owner != std::this_thread::get_id(); }
  void check_thread(const char* what) const {
    if (on_other_thread()) {
      throw std::runtime_error(std::string("GradientTape.") + what +
                               "(): the tape is enabled on another thread; tapes record on the thread that enabled them");
    }
  }
  void enable() {
    check_thread("enable");
    if (tape.is_enabled()) return;
    tape.enable();
    owner = std::this_thread::get_id();
  }
  void disable() {
    check_thread("disable");
    tape.disable();
  }
};

// A tape dropped by another thread than the one it records on stays alive (that
// thread's list of enabled tapes still points to it) rather than leave it dangling.
struct TapeDeleter {
  void operator()(Tape* t) const {
    if (!t->on_other_thread()) delete t;
  }
};

// A Tensor, or a list or tuple of them.
std::vector<Tensor> tensor_list(py::handle h, const char* what) {
  std::vector<Tensor> out;
  if (is_tensor(h)) {
    out.push_back(unwrap(h));
    return out;
  }
  if (!PyList_Check(h.ptr()) && !PyTuple_Check(h.ptr())) {
    throw py::type_error(std::string("GradientTape.") + what + "(): expected a Tensor or a list of Tensors, got " +
                         py::str(h.get_type().attr("__name__")).cast<std::string>());
  }
  for (py::handle item : h) out.push_back(unwrap_checked(item));
  return out;
}

py::object gradient(Tape& self, py::handle target, py::handle sources) {
  const Tensor& y = unwrap_checked(target);
  const std::vector<Tensor> xs = tensor_list(sources, "gradient");
  std::vector<Tensor> grads;
  {
    py::gil_scoped_release release;
    grads = self.tape.gradient(y, xs);
  }
  if (is_tensor(sources)) return wrap(std::move(grads[0]));
  py::list out(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) out[i] = wrap(std::move(grads[i]));
  return out;
}

std::string stats_text(const tg::autograd::GraphStats& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

}  // namespace

void bind_tape(py::module_& m) {
  using tg::autograd::GraphStats;
  py::class_<Tape, std::unique_ptr<Tape, TapeDeleter>>(m, "GradientTape", R"doc(
Records the operations run while it is enabled, for gradient() or backward().

    with tensorgrad.autograd.GradientTape() as tape:
        tape.watch(x)            # x need not require grad
        y = (x * x).sum()
    dx, = tape.gradient(y, [x])  # or tape.gradient(y, x) for a single tensor

persistent=False: one gradient()/backward() consumes the recording. Tapes nest: a
gradient computed while another tape is enabled is recorded by it (higher derivatives).)doc")
      .def(py::init<bool>(), py::arg("persistent") = false)
      .def("enable", &Tape::enable, "Starts recording on the calling thread.")
      .def("disable", &Tape::disable, "Stops recording.")
      .def("is_enabled", [](const Tape& t) { return t.tape.is_enabled(); })
      .def("__enter__", [](py::object self) {
        self.cast<Tape&>().enable();
        return self;
      })
      .def("__exit__", [](Tape& t, py::handle, py::handle, py::handle) { t.disable(); })
      .def("watch", [](Tape& t, py::handle tensors) { t.tape.watch(tensor_list(tensors, "watch")); },
           py::arg("tensor"), "Records operations on the tensor(s) as if they required grad (floating point only).")
      .def("watched", [](const Tape& t) {
        py::list out;
        for (const Tensor& w : t.tape.watched()) out.append(wrap(w));
        return out;
      })
      .def("gradient", &gradient, py::arg("target"), py::arg("sources"),
           "d(sum of target)/d(source): a list for a list of sources (None where the target does not depend on "
           "one), a tensor for a single tensor. Leaves .grad alone.")
      .def("backward", [](Tape& t) {
        py::gil_scoped_release release;
        t.tape.backward();
      }, "Backward from the last one-element result recorded, into the .grad of the leaves (and watched tensors).")
      .def("clear", [](Tape& t) { t.tape.clear(); }, "Frees what the tape recorded.")
      .def("num_recorded", [](const Tape& t) { return t.tape.num_recorded(); },
           "Operations recorded since the last clear().");

  py::class_<GraphStats>(m, "GraphStats", "The numbers of the backward graph behind a tensor (graph_stats()).")
      .def_readonly("nodes", &GraphStats::nodes)
      .def_readonly("leaves", &GraphStats::leaves)
      .def_readonly("depth", &GraphStats::depth)
      .def_readonly("saved_tensors", &GraphStats::saved_tensors)
      .def_readonly("saved_bytes", &GraphStats::saved_bytes)
      .def_readonly("saved_leaf_bytes", &GraphStats::saved_leaf_bytes)
      .def("_asdict", [](const GraphStats& s) {
        py::dict d;
        d["nodes"] = s.nodes;
        d["leaves"] = s.leaves;
        d["depth"] = s.depth;
        d["saved_tensors"] = s.saved_tensors;
        d["saved_bytes"] = s.saved_bytes;
        d["saved_leaf_bytes"] = s.saved_leaf_bytes;
        return d;
      })
      .def("__str__", &stats_text)
      .def("__repr__", [](const GraphStats& s) {
        return "GraphStats(nodes=" + std::to_string(s.nodes) + ", leaves=" + std::to_string(s.leaves) +
               ", depth=" + std::to_string(s.depth) + ", saved_tensors=" + std::to_string(s.saved_tensors) +
               ", saved_bytes=" + std::to_string(s.saved_bytes) +
               ", saved_leaf_bytes=" + std::to_string(s.saved_leaf_bytes) + ")";
      });

  m.def("to_dot", [](py::handle t) { return tg::autograd::to_dot(unwrap_checked(t)); }, py::arg("tensor"),
        "The backward graph behind the tensor in Graphviz DOT.");
  m.def("graph_stats", [](py::handle t) { return tg::autograd::graph_stats(unwrap_checked(t)); }, py::arg("tensor"),
        "Nodes, leaves, depth and saved-tensor memory of the backward graph behind the tensor.");
}

}  // namespace tgpy
