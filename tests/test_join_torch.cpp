// cat and stack row by row (Note [Joining rows] in src/ops/join.cpp) give
// libtorch's results: along inner dims, with rows enough to be shared among the
// threads, with tensors of other dtypes or layouts (copied one by one instead),
// with libtorch's skipped [0] tensors, and their gradients.
#include <torch/torch.h>

#include <vector>

#include "support/test_support.h"
#include "support/torch_support.h"

namespace {

using tg::testing::to_torch;

::testing::AssertionResult same(const tg::Tensor& got, const torch::Tensor& expected) {
  if (got.sizes().vec() != expected.sizes().vec())
    return ::testing::AssertionFailure() << "sizes " << got.sizes() << " vs libtorch " << expected.sizes();
  if (to_torch(got.dtype()) != expected.scalar_type())
    return ::testing::AssertionFailure() << "dtype " << got.dtype() << " vs libtorch " << expected.scalar_type();
  if (!got.is_contiguous()) return ::testing::AssertionFailure() << "not contiguous";
  if (!torch::equal(to_torch(got), expected)) return ::testing::AssertionFailure() << "values differ";
  return ::testing::AssertionSuccess();
}

std::vector<torch::Tensor> to_torch(const std::vector<tg::Tensor>& ts) {
  std::vector<torch::Tensor> out;
  for (const tg::Tensor& t : ts) out.push_back(to_torch(t));
  return out;
}

// On 1 and on 2 threads (the rows cut among them).
class Join : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { tg::set_num_threads(GetParam()); }
  void TearDown() override { tg::set_num_threads(saved_); }

 private:
  int saved_ = tg::get_num_threads();
};

TEST_P(Join, CatAlongInnerDimsMatchesLibtorch) {
  tg::manual_seed(3);
  // 3000 rows of 58 floats: rows enough for several chunks per thread.
  const std::vector<tg::Tensor> rows = {tg::randn({3000, 7}), tg::randn({3000, 1}), tg::randn({3000, 50})};
  EXPECT_TRUE(same(tg::cat(rows, 1), torch::cat(to_torch(rows), 1)));
  EXPECT_TRUE(same(tg::cat(rows, -1), torch::cat(to_torch(rows), -1)));
  const std::vector<tg::Tensor> cubes = {tg::randn({40, 5, 3}), tg::randn({40, 5, 6}), tg::randn({40, 5, 0})};
  EXPECT_TRUE(same(tg::cat(cubes, 2), torch::cat(to_torch(cubes), 2)));
  const std::vector<tg::Tensor> middle = {tg::randn({40, 2, 3}), tg::randn({40, 5, 3})};
  EXPECT_TRUE(same(tg::cat(middle, 1), torch::cat(to_torch(middle), 1)));
  const std::vector<tg::Tensor> longs = {tg::randint(0, 9, {600, 3}), tg::randint(0, 9, {600, 4})};
  EXPECT_TRUE(same(tg::cat(longs, 1), torch::cat(to_torch(longs), 1)));
  const std::vector<tg::Tensor> no_rows = {tg::randn({0, 3}), tg::randn({0, 2})};
  EXPECT_TRUE(same(tg::cat(no_rows, 1), torch::cat(to_torch(no_rows), 1)));
}

TEST_P(Join, CatOfOtherDtypesLayoutsAndSkippedTensorsMatchesLibtorch) {
  tg::manual_seed(4);
  const tg::Tensor a = tg::randn({500, 6}), b = tg::randn({9, 500});
  const std::vector<tg::Tensor> mixed_dtypes = {a, tg::randint(0, 9, {500, 2}), a.to(tg::kDouble)};
  EXPECT_TRUE(same(tg::cat(mixed_dtypes, 1), torch::cat(to_torch(mixed_dtypes), 1)));
  const torch::Tensor ta = to_torch(a), tb = to_torch(b);
  EXPECT_TRUE(same(tg::cat({a, b.t(), a}, 1), torch::cat({ta, tb.t(), ta}, 1)));
  EXPECT_TRUE(same(tg::cat({a.slice(1, 0, 6, 2), a}, 1), torch::cat({ta.slice(1, 0, 6, 2), ta}, 1)));
  const tg::Tensor skipped = tg::randn({0});
  EXPECT_TRUE(same(tg::cat({skipped, a, skipped, a}, 1), torch::cat({to_torch(skipped), ta, to_torch(skipped), ta}, 1)));
}

TEST_P(Join, StackAlongInnerDimsMatchesLibtorch) {
  tg::manual_seed(5);
  const std::vector<tg::Tensor> same_shape = {tg::randn({700, 30}), tg::randn({700, 30}), tg::randn({700, 30})};
  for (int64_t d : {0, 1, 2, -1})
    EXPECT_TRUE(same(tg::stack(same_shape, d), torch::stack(to_torch(same_shape), d))) << d;
  const std::vector<tg::Tensor> mixed = {same_shape[0], same_shape[1].t().contiguous().t(), tg::ones({700, 30}, tg::kLong)};
  for (int64_t d : {0, 1, 2})
    EXPECT_TRUE(same(tg::stack(mixed, d), torch::stack(to_torch(mixed), d))) << d;
}

TEST_P(Join, GradientsFlowBackToEachTensor) {
  tg::manual_seed(6);
  const tg::Tensor a = tg::randn({300, 4}).requires_grad_(), b = tg::randn({300, 3}).requires_grad_();
  const tg::Tensor w = tg::randn({300, 7});
  (tg::cat({a, b}, 1) * w).sum().backward();
  EXPECT_TRUE(tg::equal(a.grad(), w.slice(1, 0, 4)));
  EXPECT_TRUE(tg::equal(b.grad(), w.slice(1, 4, 7)));
  const tg::Tensor c = tg::randn({300, 4}).requires_grad_();
  const tg::Tensor v = tg::randn({300, 2, 4});
  (tg::stack({a, c}, 1) * v).sum().backward();
  EXPECT_TRUE(tg::equal(c.grad(), v.select(1, 1)));
}

INSTANTIATE_TEST_SUITE_P(Threads, Join, ::testing::Values(1, 2));

}  // namespace
