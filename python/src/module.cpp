// tensorgrad._C: the compiled half of the `tensorgrad` Python package.
#include "common.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "tensorgrad's C++ engine: tensors, autograd, nn functional ops, optimizers and data";
  tgpy::bind_errors(m);
  tgpy::bind_dtypes(m);
  py::class_<tg::Tensor> tensor(m, "Tensor");
  tgpy::bind_tensor_class(m, tensor);
  tgpy::bind_tensor_math(tensor);
  tgpy::bind_tensor_shape(tensor);
  tgpy::bind_tensor_reduce(m, tensor);
  tgpy::bind_indexing(tensor);
  tgpy::bind_creation(m);
  tgpy::bind_autograd(m);
  tgpy::bind_tape(m);
  tgpy::bind_function(m);
  tgpy::bind_gradcheck(m);
  tgpy::bind_nn(m);
  tgpy::bind_optim(m);
  tgpy::bind_data(m);
  tgpy::bind_serialize(m);
}
