// tensorgrad's errors as Python exceptions with the same message: tg::Error is a
// RuntimeError, its IndexError / TypeError / ValueError / NotImplementedError
// subclasses become the Python exceptions of those names (as PyTorch raises them).
#include "common.h"

namespace tgpy {

void bind_errors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tg::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const tg::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const tg::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const tg::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const tg::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace tgpy
