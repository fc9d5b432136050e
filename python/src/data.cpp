// tensorgrad._C._data: the MNIST / Fashion-MNIST reader and the batching
// DataLoader; batches are assembled in C++ with the GIL released.
#include <memory>

#include "common.h"

namespace tgpy {
namespace {

namespace D = tg::data;

// One epoch over a DataLoader, as a Python iterator of (data, target) pairs.
struct EpochIterator {
  std::shared_ptr<D::DataLoader> loader;
  D::DataLoader::Iterator it;
  D::DataLoader::Iterator end;
  bool started = false;
};

}  // namespace

void bind_data(py::module_& m) {
  py::module_ data = m.def_submodule("_data", "the C++ datasets and DataLoader behind tensorgrad.data");
  py::class_<D::datasets::MNIST>(data, "MNIST")
      .def(py::init([](const std::string& root, bool train) {
        py::gil_scoped_release release;
        return std::make_unique<D::datasets::MNIST>(root, train ? D::datasets::MNIST::Mode::kTrain
                                                                : D::datasets::MNIST::Mode::kTest);
      }), py::arg("root"), py::arg("train") = true)
      .def_property_readonly("images", &D::datasets::MNIST::images)
      .def_property_readonly("targets", &D::datasets::MNIST::targets)
      .def_property_readonly("train", &D::datasets::MNIST::is_train)
      .def("batch", [](const D::datasets::MNIST& d, std::vector<int64_t> indices) {
        tg::data::Example<> e;
        {
          py::gil_scoped_release release;
          e = d.batch(indices);
        }
        return py::make_tuple(wrap(e.data), wrap(e.target));
      }, py::arg("indices"))
      .def("__len__", [](const D::datasets::MNIST& d) { return *d.size(); })
      .def("__getitem__", [](D::datasets::MNIST& d, int64_t i) {
        const auto n = static_cast<int64_t>(*d.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) throw py::index_error("index " + std::to_string(i) + " is out of range for a dataset of " + std::to_string(n));
        auto e = d.get(static_cast<size_t>(i));
        return py::make_tuple(wrap(e.data), wrap(e.target));
      });

  py::class_<EpochIterator>(data, "_EpochIterator")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](EpochIterator& e) {
        {
          py::gil_scoped_release release;
          if (e.started) ++e.it;
          e.started = true;
        }
        if (e.it == e.end) throw py::stop_iteration();
        return py::make_tuple(wrap(e.it->data), wrap(e.it->target));
      });

  py::class_<D::DataLoader, std::shared_ptr<D::DataLoader>>(data, "DataLoader")
      .def(py::init([](const Tensor& images, const Tensor& targets, int64_t batch_size, bool shuffle, uint64_t seed,
                       bool drop_last) {
        return std::make_shared<D::DataLoader>(images, targets, batch_size, shuffle, seed, drop_last);
      }), py::arg("images"), py::arg("targets"), py::arg("batch_size") = 1, py::arg("shuffle") = false,
           py::arg("seed") = 0, py::arg("drop_last") = false)
      // From an MNIST dataset: batches converted from its pixel bytes, so the float32
      // copy of the whole set (188 MB for the training set) is never made.
      .def(py::init([](const D::datasets::MNIST& dataset, int64_t batch_size, bool shuffle, uint64_t seed,
                       bool drop_last) {
        return std::make_shared<D::DataLoader>(dataset, batch_size, shuffle, seed, drop_last);
      }), py::arg("dataset"), py::arg("batch_size") = 1, py::arg("shuffle") = false, py::arg("seed") = 0,
           py::arg("drop_last") = false)
      .def("__len__", &D::DataLoader::size)
      .def_property_readonly("batch_size", &D::DataLoader::batch_size)
      .def_property_readonly("epoch", &D::DataLoader::epoch)
      .def("__iter__", [](const std::shared_ptr<D::DataLoader>& l) {
        EpochIterator e{l, {}, {}, false};
        {
          py::gil_scoped_release release;
          e.it = l->begin();
          e.end = l->end();
        }
        return e;
      });
}

}  // namespace tgpy
