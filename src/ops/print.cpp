// Printing tensors the way libtorch does: values in columns, then a footer
// "[ CPUFloatType{2,3} ]".
#include <cmath>
#include <iomanip>
#include <sstream>

#include "ops/op_helpers.h"

namespace tg {
namespace {

struct Format {
  bool integral = true;   // every value is a whole number
  bool scientific = false;
  int width = 1;
};

Format choose_format(const std::vector<double>& values, bool is_float) {
  Format f;
  double max_abs = 0, min_abs = INFINITY;
  bool finite_seen = false;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    finite_seen = true;
    if (v != std::floor(v)) f.integral = false;
    max_abs = std::max(max_abs, std::abs(v));
    if (v != 0) min_abs = std::min(min_abs, std::abs(v));
  }
  if (!is_float) f.integral = true;
  if (finite_seen && is_float && !f.integral && (max_abs >= 1e8 || (min_abs < 1e-4 && max_abs / min_abs > 1e3)))
    f.scientific = true;
  if (finite_seen && is_float && f.integral && max_abs >= 1e8) {
    f.integral = false;
    f.scientific = true;
  }
  for (double v : values) {
    std::ostringstream os;
    if (f.scientific) os << std::scientific << std::setprecision(4) << v;
    else if (f.integral || !std::isfinite(v)) os << (std::isfinite(v) ? std::llround(v) : 0) << "";
    else os << std::fixed << std::setprecision(4) << v;
    std::string s = os.str();
    if (!std::isfinite(v)) s = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    f.width = std::max<int>(f.width, static_cast<int>(s.size()));
  }
  return f;
}

std::string format_value(double v, const Format& f) {
  std::ostringstream os;
  if (std::isnan(v)) os << "nan";
  else if (std::isinf(v)) os << (v > 0 ? "inf" : "-inf");
  else if (f.scientific) os << std::scientific << std::setprecision(4) << v;
  else if (f.integral) os << std::llround(v);
  else os << std::fixed << std::setprecision(4) << v;
  return os.str();
}

void print_matrix(std::ostream& os, const Tensor& m, const std::vector<double>& vals, int64_t base, const Format& f) {
  const int64_t rows = m.dim() == 1 ? m.size(0) : m.size(0);
  const int64_t cols = m.dim() == 1 ? 1 : m.size(1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      os << (c ? " " : " ") << std::setw(f.width) << format_value(vals[base + r * cols + c], f);
    os << "\n";
  }
}

}  // namespace

std::string Tensor::toString() const {
  if (!defined()) return "UndefinedType";
  return std::string("CPU") + to_string(dtype()) + "Type";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "[ Tensor (undefined) ]";
  Tensor c = ops::contiguous_raw(ops::cast(t.detach(), kDouble));
  std::vector<double> vals(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  const Format f = choose_format(vals, t.is_floating_point());
  if (t.dim() == 0) {
    os << format_value(vals[0], f) << "\n";
  } else if (t.numel() == 0) {
    os << "[ Tensor (empty) ]\n";
  } else if (t.dim() <= 2) {
    print_matrix(os, c, vals, 0, f);
  } else {
    // Print 2-D slices, each headed by its index: (i,j,.,.) =
    const int64_t rows = t.size(-2), cols = t.size(-1);
    const int64_t nslices = t.numel() / (rows * cols);
    Tensor slice_shape = ops::empty({rows, cols}, kDouble);
    for (int64_t s = 0; s < nslices; ++s) {
      os << "(";
      int64_t rem = s;
      std::vector<int64_t> idx(t.dim() - 2);
      for (int64_t d = t.dim() - 3; d >= 0; --d) {
        idx[d] = rem % t.size(d);
        rem /= t.size(d);
      }
      for (int64_t i : idx) os << i + 1 << ",";
      os << ".,.) = \n";
      print_matrix(os, slice_shape, vals, s * rows * cols, f);
      if (s + 1 < nslices) os << "\n";
    }
  }
  os << "[ " << t.toString() << "{";
  for (int64_t d = 0; d < t.dim(); ++d) os << (d ? "," : "") << t.size(d);
  return os << "} ]";
}

}  // namespace tg
