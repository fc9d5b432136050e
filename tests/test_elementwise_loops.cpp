// The elementwise loop's walk over the dims outside the innermost one
// (src/kernels/elementwise.h): runs along the second-to-last dim with the dims
// before it worked out once per run, and short rows in blocks (Note [Short
// rows]). Operands broadcast along outer dims, on one thread and split over two
// at rows inside a run, give every element of the definition, computed here
// element by element.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace {

using tg::testing::values;

// The row-major index into `shape` of the element that output element `flat` of
// `out_shape` reads, `shape` broadcast to `out_shape`.
int64_t broadcast_index(int64_t flat, const std::vector<int64_t>& out_shape, const std::vector<int64_t>& shape) {
  int64_t index = 0, step = 1;
  const auto offset = static_cast<int64_t>(out_shape.size() - shape.size());
  for (auto d = static_cast<int64_t>(out_shape.size()) - 1; d >= 0; --d) {
    const int64_t i = flat % out_shape[static_cast<size_t>(d)];
    flat /= out_shape[static_cast<size_t>(d)];
    if (d < offset) continue;
    const int64_t size = shape[static_cast<size_t>(d - offset)];
    if (size != 1) index += i * step;
    step *= size;
  }
  return index;
}

// Every element of `got` equals fn of the operands' elements it reads, exactly.
::testing::AssertionResult matches_definition(const tg::Tensor& got, const std::vector<tg::Tensor>& operands,
                                              const std::function<double(const std::vector<double>&)>& fn) {
  const std::vector<int64_t> out_shape = got.sizes().vec();
  const std::vector<double> result = values(got);
  std::vector<std::vector<double>> in;
  for (const tg::Tensor& t : operands) in.push_back(values(t));
  std::vector<double> args(operands.size());
  for (int64_t i = 0; i < static_cast<int64_t>(result.size()); ++i) {
    for (size_t k = 0; k < operands.size(); ++k)
      args[k] = in[k][static_cast<size_t>(broadcast_index(i, out_shape, operands[k].sizes().vec()))];
    const double expected = fn(args);
    if (result[static_cast<size_t>(i)] != expected)
      return ::testing::AssertionFailure() << "element " << i << ": " << result[static_cast<size_t>(i)] << ", expected "
                                           << expected;
  }
  return ::testing::AssertionSuccess();
}

// Runs the body with `threads` kernel threads, then restores the count.
template <class F>
void with_threads(int threads, const F& body) {
  const int before = tg::get_num_threads();
  tg::set_num_threads(threads);
  body();
  tg::set_num_threads(before);
}

float f(double v) { return static_cast<float>(v); }

// x [5, 7, 37, 29]: 1,295 rows of 29, more than one elementwise grain (32,768
// elements), so two threads each take a range of rows, and the second range
// starts inside a run of 37 rows.
TEST(ElementwiseLoops, BroadcastsAlongOuterDimsGiveTheDefinitionOnEveryRow) {
  tg::manual_seed(3);
  const tg::Tensor x = tg::randn({5, 7, 37, 29});
  const tg::Tensor per_channel = tg::randn({7, 1, 29});
  const tg::Tensor per_image_row = tg::randn({5, 1, 37, 1});
  const tg::Tensor row = tg::randn({29});
  auto sum = [](const std::vector<double>& v) { return double{f(v[0]) + f(v[1])}; };
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    with_threads(threads, [&] {
      EXPECT_TRUE(matches_definition(x + per_channel, {x, per_channel}, sum));
      EXPECT_TRUE(matches_definition(x * per_image_row, {x, per_image_row},
                                     [](const std::vector<double>& v) { return double{f(v[0]) * f(v[1])}; }));
      EXPECT_TRUE(matches_definition(per_channel - x, {per_channel, x},
                                     [](const std::vector<double>& v) { return double{f(v[0]) - f(v[1])}; }));
      EXPECT_TRUE(matches_definition(x * row, {x, row},
                                     [](const std::vector<double>& v) { return double{f(v[0]) * f(v[1])}; }));
      EXPECT_TRUE(matches_definition(tg::where(x > 0, per_channel, per_image_row), {x, per_channel, per_image_row},
                                     [](const std::vector<double>& v) { return v[0] > 0 ? v[1] : v[2]; }));
      // The output's dims reordered to its memory order first (a permuted view
      // written in place), then walked in runs.
      tg::Tensor permuted = x.permute({2, 0, 3, 1}).clone().permute({1, 3, 0, 2});
      permuted.add_(per_channel);
      EXPECT_TRUE(matches_definition(permuted, {x, per_channel}, sum));
      // Rows of one element: one run over the whole outer extent.
      EXPECT_TRUE(matches_definition(x.reshape({-1, 1}) + row.narrow(0, 0, 1), {x.reshape({-1, 1}), row.narrow(0, 0, 1)},
                                     sum));
    });
  }
}

// Short rows by the thousand: a row operand in blocks of copies in every element
// size, one value per run of rows, a column in blocks of its values (16 a row) and
// row by row (48 a row); and an operand with a gap between its rows (a slice),
// row by row.
TEST(ElementwiseLoops, ShortRowsGiveTheDefinition) {
  tg::manual_seed(4);
  const tg::Tensor x = tg::randn({4096, 16});
  const tg::Tensor row = tg::randn({16}), column = tg::randn({4096, 1});
  const tg::Tensor wide = tg::randn({64, 33, 32});
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    with_threads(threads, [&] {
      EXPECT_TRUE(matches_definition(x + row, {x, row},
                                     [](const std::vector<double>& v) { return double{f(v[0]) + f(v[1])}; }));
      EXPECT_TRUE(matches_definition(row * x, {row, x},
                                     [](const std::vector<double>& v) { return double{f(v[0]) * f(v[1])}; }));
      EXPECT_TRUE(matches_definition(x.to(tg::kDouble) - row.to(tg::kDouble), {x, row},
                                     [](const std::vector<double>& v) { return v[0] - v[1]; }));
      EXPECT_TRUE(matches_definition(x > row, {x, row},
                                     [](const std::vector<double>& v) { return v[0] > v[1] ? 1.0 : 0.0; }));
      EXPECT_TRUE(matches_definition((x > 0) == (row > 0), {x, row},
                                     [](const std::vector<double>& v) { return (v[0] > 0) == (v[1] > 0) ? 1.0 : 0.0; }));
      const tg::Tensor x_long = (x * 8).to(tg::kLong), row_long = (row * 8).to(tg::kLong);
      EXPECT_TRUE(matches_definition(x_long + row_long, {x_long, row_long},
                                     [](const std::vector<double>& v) { return v[0] + v[1]; }));
      // One value per run of 16 rows: a scalar within each block.
      const tg::Tensor x3 = x.reshape({256, 16, 16}), per_sample = tg::randn({256, 1, 1});
      EXPECT_TRUE(matches_definition(x3 * per_sample, {x3, per_sample},
                                     [](const std::vector<double>& v) { return double{f(v[0]) * f(v[1])}; }));
      EXPECT_TRUE(matches_definition(tg::where(x3 > 0, row, per_sample), {x3, row, per_sample},
                                     [](const std::vector<double>& v) { return v[0] > 0 ? v[1] : v[2]; }));
      EXPECT_TRUE(matches_definition(x - column, {x, column},
                                     [](const std::vector<double>& v) { return double{f(v[0]) - f(v[1])}; }));
      // Columns of 4, 8 and 32 in blocks, 8 bytes and 1 byte an element.
      for (int64_t L : {4, 8, 32}) {
        SCOPED_TRACE("rows of " + std::to_string(L));
        const tg::Tensor xs = x.reshape({-1}).narrow(0, 0, 512 * L).reshape({512, L}).to(tg::kDouble);
        const tg::Tensor cs = column.narrow(0, 0, 512).to(tg::kDouble), flags = cs > 0, negated = -xs;
        EXPECT_TRUE(matches_definition(xs * cs, {xs, cs}, [](const std::vector<double>& v) { return v[0] * v[1]; }));
        EXPECT_TRUE(matches_definition(tg::where(flags, xs, negated), {flags, xs, negated},
                                       [](const std::vector<double>& v) { return v[0] != 0 ? v[1] : v[2]; }));
      }
      // A column along rows too long for blocks of its values, beside a row.
      const tg::Tensor x48 = x.reshape({-1}).narrow(0, 0, 1024 * 48).reshape({1024, 48});
      const tg::Tensor column48 = column.narrow(0, 0, 1024), row48 = x.reshape({-1}).narrow(0, 0, 48);
      EXPECT_TRUE(matches_definition(tg::where(x48 > 0, column48, row48), {x48, column48, row48},
                                     [](const std::vector<double>& v) { return v[0] > 0 ? v[1] : v[2]; }));
      const tg::Tensor gapped = wide.narrow(2, 3, 16).narrow(1, 1, 32);
      const tg::Tensor slab = x.reshape({64, 64, 16}).narrow(1, 0, 32);
      EXPECT_TRUE(matches_definition(gapped * slab, {gapped, slab},
                                     [](const std::vector<double>& v) { return double{f(v[0]) * f(v[1])}; }));
    });
  }
}

}  // namespace
