#include "core/shape.h"

#include <sstream>

#include "tensorgrad/error.h"

namespace tg::core {

int64_t numel_of(IntArrayRef sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

DimSplit split_at(IntArrayRef sizes, int64_t d) {
  DimSplit s;
  for (int64_t i = 0; i < static_cast<int64_t>(sizes.size()); ++i) {
    if (i < d) s.outer *= sizes[i];
    else if (i == d) s.size = sizes[i];
    else s.inner *= sizes[i];
  }
  return s;
}

bool is_contiguous(IntArrayRef sizes, IntArrayRef strides) {
  // An empty tensor is contiguous whatever its strides (libtorch).
  for (int64_t s : sizes)
    if (s == 0) return true;
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] != 1 && strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}

DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector st(sizes.size(), 1);
  int64_t n = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    st[i] = n;
    n *= sizes[i] == 0 ? 1 : sizes[i];
  }
  return st;
}

DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b) {
  size_t n = std::max(a.size(), b.size());
  DimVector out(n, 1);
  // From the last dim, so that a mismatch names the dim libtorch names.
  for (size_t i = n; i-- > 0;) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TG_CHECK(da == db || da == 1 || db == 1, "The size of tensor a (", da, ") must match the size of tensor b (",
             db, ") at non-singleton dimension ", i);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, bool scalar_as_1d) {
  if (ndim <= 0) {
    TG_CHECK_INDEX(scalar_as_1d, "dimension specified as ", dim, " but tensor has no dimensions");
    ndim = 1;
  }
  int64_t lo = -ndim, hi = ndim - 1;
  TG_CHECK_INDEX(dim >= lo && dim <= hi, "Dimension out of range (expected to be in range of [", lo, ", ", hi,
                 "], but got ", dim, ")");
  return dim < 0 ? dim + ndim : dim;
}

uint64_t dims_mask(IntArrayRef dims, int64_t ndim, const char* op) {
  TG_CHECK(ndim <= 64, op, ": tensors with more than 64 dimensions are not supported");
  if (dims.empty()) return ndim == 0 ? 0 : (ndim == 64 ? ~uint64_t(0) : (uint64_t(1) << ndim) - 1);
  // A 0-d tensor's dims wrap as a 1-d one's (so {0, 0} repeats a dim), but none
  // is reduced.
  uint64_t mask = 0;
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, ndim);
    TG_CHECK(!(mask >> w & 1), "dim ", w, " appears multiple times in the list of dims");
    mask |= uint64_t(1) << w;
  }
  return ndim == 0 ? 0 : mask;
}

bool view_strides(IntArrayRef oldshape, IntArrayRef oldstride, IntArrayRef newshape, DimVector& newstride) {
  newstride.resize(newshape.size());
  if (oldshape.empty()) {
    for (auto& s : newstride) s = 1;
    return true;
  }
  int64_t numel = numel_of(oldshape);
  if (numel == 0 && oldshape.equals(newshape)) {
    newstride.assign(oldstride.begin(), oldstride.end());
    return true;
  }
  if (numel == 0) {
    DimVector st = contiguous_strides(newshape);
    newstride = st;
    return true;
  }
  // Walk the old dims in chunks that are contiguous with each other and match them
  // to runs of new dims with the same element count (libtorch's algorithm).
  int64_t view_d = static_cast<int64_t>(newshape.size()) - 1;
  int64_t chunk_base_stride = oldstride.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(oldshape.size()) - 1; tensor_d >= 0; tensor_d--) {
    tensor_numel *= oldshape[tensor_d];
    if (tensor_d == 0 || (oldshape[tensor_d - 1] != 1 && oldstride[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || newshape[view_d] == 1)) {
        newstride[view_d] = view_numel * chunk_base_stride;
        view_numel *= newshape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = oldstride[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

DimVector infer_size(IntArrayRef shape, int64_t numel) {
  // Sizes beyond int64 fit no input, even beside a size-0 dim (checked_numel;
  // a -1, counted as a size, changes the product's sign, not its magnitude).
  // Checked first, so that the product below cannot overflow.
  TG_CHECK(!checked_numel(shape).overflow, "shape '", shape_str(shape), "' is invalid for input of size ", numel);
  DimVector res(shape);
  int64_t newsize = 1;
  int64_t infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      TG_CHECK(infer < 0, "only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      TG_CHECK(shape[i] >= 0, "invalid shape dimension ", shape[i]);
      newsize *= shape[i];
    }
  }
  if (numel == newsize || (infer >= 0 && newsize > 0 && numel % newsize == 0)) {
    if (infer >= 0) {
      TG_CHECK(newsize != 0,
               "cannot reshape tensor of 0 elements into shape ", shape_str(shape),
               " because the unspecified dimension size -1 can be any value and is ambiguous");
      res[infer] = numel / newsize;
    }
    return res;
  }
  throw Error(detail::str("shape '", shape_str(shape), "' is invalid for input of size ", numel));
}

std::string shape_str(IntArrayRef sizes) {
  std::ostringstream os;
  os << sizes;
  return os.str();
}

}  // namespace tg::core
