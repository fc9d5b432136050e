// The elementwise loop's walk over the dims outside the innermost one (runs along
// the second-to-last dim, the dims before it worked out once per run:
// src/kernels/elementwise.h): operands broadcast along outer dims, split over two
// threads at rows that fall inside a run, give libtorch's bits.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "support/test_support.h"
#include "support/torch_support.h"

namespace {

using tg::testing::to_torch;

::testing::AssertionResult same_bits(const tg::Tensor& got, const torch::Tensor& expected) {
  if (got.sizes().vec() != expected.sizes().vec())
    return ::testing::AssertionFailure() << "shape " << got.sizes() << " vs libtorch " << expected.sizes();
  if (!torch::equal(to_torch(got), expected.contiguous()))
    return ::testing::AssertionFailure() << "values differ from libtorch's";
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

// x [5, 7, 37, 29]: 1,295 rows of 29, more than one elementwise grain (32,768
// elements), so two threads each take a range of rows, and the second range
// starts inside a run of 37 rows.
TEST(ElementwiseLoops, BroadcastsAlongOuterDimsMatchLibtorchOnEveryRow) {
  tg::manual_seed(3);
  const tg::Tensor x = tg::randn({5, 7, 37, 29});
  const tg::Tensor per_channel = tg::randn({7, 1, 29});
  const tg::Tensor per_image_row = tg::randn({5, 1, 37, 1});
  const tg::Tensor row = tg::randn({29});
  const torch::Tensor tx = to_torch(x), tc = to_torch(per_channel), tr = to_torch(per_image_row),
                      trow = to_torch(row);
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    with_threads(threads, [&] {
      EXPECT_TRUE(same_bits(x + per_channel, tx + tc));
      EXPECT_TRUE(same_bits(x * per_image_row, tx * tr));
      EXPECT_TRUE(same_bits(per_channel - x, tc - tx));
      EXPECT_TRUE(same_bits(x * row, tx * trow));
      EXPECT_TRUE(same_bits(tg::where(x > 0, per_channel, per_image_row), torch::where(tx > 0, tc, tr)));
      // The output's dims reordered to its memory order first (a permuted view
      // written in place), then walked in runs.
      tg::Tensor permuted = x.permute({2, 0, 3, 1}).clone().permute({1, 3, 0, 2});
      torch::Tensor tpermuted = tx.permute({2, 0, 3, 1}).clone().permute({1, 3, 0, 2});
      permuted.add_(per_channel);
      tpermuted.add_(tc);
      EXPECT_TRUE(same_bits(permuted, tpermuted));
      // Rows of one element: the run is the whole outer extent of a 2-d operand.
      const tg::Tensor column = x.reshape({-1, 1});
      EXPECT_TRUE(same_bits(column + row.narrow(0, 0, 1), tx.reshape({-1, 1}) + trow.narrow(0, 0, 1)));
    });
  }
}

// Short rows (16 floats) by the thousand, a row operand, a column operand, and a
// 3-d operand with a gap between its rows (a slice).
TEST(ElementwiseLoops, ShortRowsAndStridedOperandsMatchLibtorch) {
  tg::manual_seed(4);
  const tg::Tensor x = tg::randn({4096, 16});
  const tg::Tensor row = tg::randn({16}), column = tg::randn({4096, 1});
  const tg::Tensor wide = tg::randn({64, 33, 32});
  const torch::Tensor tx = to_torch(x), trow = to_torch(row), tcolumn = to_torch(column), twide = to_torch(wide);
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    with_threads(threads, [&] {
      EXPECT_TRUE(same_bits(x + row, tx + trow));
      EXPECT_TRUE(same_bits(x - column, tx - tcolumn));
      const tg::Tensor gapped = wide.narrow(2, 3, 16).narrow(1, 1, 32);
      const torch::Tensor tgapped = twide.narrow(2, 3, 16).narrow(1, 1, 32);
      EXPECT_TRUE(same_bits(gapped * x.reshape({64, 64, 16}).narrow(1, 0, 32),
                            tgapped * tx.reshape({64, 64, 16}).narrow(1, 0, 32)));
    });
  }
}

}  // namespace
