// Printing tensors the way libtorch 1.13 does (ATen's Formatting.cpp): values in
// columns of one width chosen for the whole matrix (integers, fixed with 4 decimals,
// fixed with a common scale factor "1e+06 *", or scientific), matrices wider than
// 80 characters cut into "Columns i to j" blocks, tensors of 3 or more dims as
// their 2-D slices "(i,j,.,.) = ", then a footer "[ CPUFloatType{2,3} ]".
// A 0-dim tensor prints its value with the stream's own float format.
#include <cmath>
#include <iomanip>
#include <ios>
#include <ostream>
#include <utility>

#include "ops/op_helpers.h"

namespace tg {
namespace {

constexpr int64_t kLineSize = 80;

// Restores the stream's formatting (flags, precision, fill) on exit.
class FormatGuard {
 public:
  explicit FormatGuard(std::ostream& os) : os_(os), saved_(nullptr) { saved_.copyfmt(os); }
  ~FormatGuard() { os_.copyfmt(saved_); }
  FormatGuard(const FormatGuard&) = delete;
  FormatGuard& operator=(const FormatGuard&) = delete;

 private:
  std::ostream& os_;
  std::ios saved_;
};

void default_float(std::ostream& os) { os.unsetf(std::ios_base::floatfield); }

// Chooses the number format for `n` values (set on the stream) and returns the
// scale every value is divided by and the column width. Mirrors libtorch's
// choices exactly, including that a negative value never raises the largest
// exponent (libtorch compares the signed value there).
std::pair<double, int> choose_format(std::ostream& os, const double* v, int64_t n) {
  if (n == 0) return {1.0, 0};
  bool int_mode = true;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(v[i]) && v[i] != std::ceil(v[i])) {
      int_mode = false;
      break;
    }
  int64_t first = 0;
  while (first < n && !std::isfinite(v[first])) ++first;
  double exp_min = 1, exp_max = 1;
  if (first < n) {
    double lo = std::fabs(v[first]), hi = std::fabs(v[first]);
    for (int64_t i = first; i < n; ++i) {
      const double z = std::fabs(v[i]);
      if (!std::isfinite(z)) continue;
      if (z < lo) lo = z;
      if (v[i] > hi) hi = z;
    }
    exp_min = lo != 0 ? std::floor(std::log10(lo)) + 1 : 1;
    exp_max = hi != 0 ? std::floor(std::log10(hi)) + 1 : 1;
  }
  double scale = 1;
  int width;
  if (int_mode) {
    if (exp_max > 9) {
      width = 11;
      os << std::scientific << std::setprecision(4);
    } else {
      width = static_cast<int>(exp_max) + 1;
      default_float(os);
    }
  } else if (exp_max - exp_min > 4) {
    width = 11;
    if (std::fabs(exp_max) > 99 || std::fabs(exp_min) > 99) ++width;
    os << std::scientific << std::setprecision(4);
  } else {
    if (exp_max > 5 || exp_max < 0) {
      width = 7;
      scale = std::pow(10, exp_max - 1);
    } else {
      width = exp_max == 0 ? 7 : static_cast<int>(exp_max) + 6;
    }
    os << std::fixed << std::setprecision(4);
  }
  return {scale, width};
}

void print_indent(std::ostream& os, int64_t indent) {
  for (int64_t i = 0; i < indent; ++i) os << ' ';
}

void print_scale(std::ostream& os, double scale) {
  FormatGuard guard(os);
  default_float(os);
  os << scale << " *\n";
}

// A rows x cols matrix of contiguous doubles at v.
void print_matrix(std::ostream& os, const double* v, int64_t rows, int64_t cols, int64_t indent) {
  const auto [scale, width] = choose_format(os, v, rows * cols);
  print_indent(os, indent);
  const int64_t per_line = (kLineSize - indent) / (width + 1);
  int64_t first = 0;
  while (first < cols) {
    const int64_t last = first + per_line <= cols ? first + per_line - 1 : cols - 1;
    if (per_line < cols) {
      if (first != 0) os << '\n';
      os << "Columns " << first + 1 << " to " << last + 1;
      print_indent(os, indent);
    }
    if (scale != 1) {
      print_scale(os, scale);
      print_indent(os, indent);
    }
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = first; c <= last; ++c) {
        os << std::setw(width) << v[r * cols + c] / scale;
        if (c == last) {
          os << '\n';
          if (r != rows - 1) {
            print_indent(os, indent);
            if (scale != 1) os << ' ';
          }
        } else {
          os << ' ';
        }
      }
    }
    first = last + 1;
  }
}

}  // namespace

std::string Tensor::toString() const {
  if (!defined()) return "UndefinedType";
  return std::string("CPU") + to_string(dtype()) + "Type";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  FormatGuard guard(os);
  if (!t.defined()) return os << "[ Tensor (undefined) ]";
  Tensor c = ops::contiguous_raw(ops::cast(t.detach(), kDouble));
  const double* v = c.numel() > 0 ? c.data_ptr<double>() : nullptr;
  const int64_t nd = t.dim();
  if (nd == 0) {
    default_float(os);
    os << v[0] << '\n';
  } else if (nd == 1) {
    if (t.numel() > 0) {
      const auto [scale, width] = choose_format(os, v, t.numel());
      if (scale != 1) print_scale(os, scale);
      for (int64_t i = 0; i < t.numel(); ++i) os << std::setw(width) << v[i] / scale << '\n';
    }
  } else if (nd == 2) {
    if (t.numel() > 0) print_matrix(os, v, t.size(0), t.size(1), 0);
  } else if (t.numel() > 0) {
    // The 2-D slices, each headed by its (1-based) index, in libtorch's order: the
    // first leading dim varies fastest ((1,1), (2,1), (1,2), ...).
    const int64_t rows = t.size(-2), cols = t.size(-1), slices = t.numel() / (rows * cols);
    std::vector<int64_t> idx(static_cast<size_t>(nd - 2), 0);
    for (int64_t s = 0; s < slices; ++s) {
      if (s) os << '\n';
      os << '(';
      int64_t offset = 0;  // of the slice, in row-major order
      for (int64_t d = 0; d < nd - 2; ++d) {
        os << idx[static_cast<size_t>(d)] + 1 << ',';
        offset = offset * t.size(d) + idx[static_cast<size_t>(d)];
      }
      os << ".,.) = \n";
      print_matrix(os, v + offset * rows * cols, rows, cols, 1);
      for (int64_t d = 0; d < nd - 2; ++d) {
        if (++idx[static_cast<size_t>(d)] < t.size(d)) break;
        idx[static_cast<size_t>(d)] = 0;
      }
    }
  }
  os << "[ " << t.toString() << '{';
  for (int64_t d = 0; d < nd; ++d) os << (d ? "," : "") << t.size(d);
  return os << "} ]";
}

}  // namespace tg
