// Uses tensorgrad through its installed headers and library only: a small
// broadcasting computation, its gradients, and a check of the numbers.
#include <tensorgrad/tensorgrad.h>

#include <cmath>
#include <iostream>

namespace {

bool near(const tg::Tensor& t, std::initializer_list<double> expected) {
  tg::Tensor flat = t.to(tg::kDouble).contiguous().reshape({-1});
  if (flat.numel() != static_cast<int64_t>(expected.size())) return false;
  int64_t i = 0;
  for (double e : expected)
    if (std::abs(flat[i++].item<double>() - e) > 1e-6) return false;
  return true;
}

}  // namespace

int main() {
  // loss = sum((x * w + b)^2) with x: [2,3], w: [3] and b: [] broadcast over it.
  tg::Tensor x = tg::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  tg::Tensor w = tg::tensor({0.5, -1.0, 2.0}, tg::requires_grad());
  tg::Tensor b = tg::tensor(1.0, tg::requires_grad());
  tg::Tensor y = x * w + b;          // [[1.5, -1, 7], [3, -4, 13]]
  tg::Tensor loss = (y * y).sum();   // 2.25 + 1 + 49 + 9 + 16 + 169
  loss.backward();

  // d loss/dw_j = sum_i 2 y_ij x_ij;  d loss/db = sum 2 y
  bool ok = near(loss, {246.25}) && near(w.grad(), {27.0, -44.0, 198.0}) && near(b.grad(), {39.0});
  std::cout << "loss = " << loss.item<double>() << "\nw.grad =\n" << w.grad() << "\nb.grad = " << b.grad()
            << "\n";
  if (!ok) {
    std::cerr << "consumer: wrong values\n";
    return 1;
  }
  std::cout << "consumer: ok\n";
  return 0;
}
