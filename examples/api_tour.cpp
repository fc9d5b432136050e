// A short tour of tensorgrad's API: creating tensors, broadcasting arithmetic,
// views that share storage, backward and gradients, no_grad, and printing.
// The same code compiles against libtorch with `torch` in place of `tg`.
#include <tensorgrad/tensorgrad.h>

#include <iostream>

int main() {
  using namespace tg::indexing;

  std::cout << "== creation\n";
  tg::Tensor a = tg::arange(6, tg::kFloat).reshape({2, 3});
  tg::Tensor v = tg::ones({3});
  tg::Tensor ids = tg::tensor({3, 1, 2});
  std::cout << "a =\n" << a << "\nids (integers give int64) =\n" << ids << "\n";

  std::cout << "\n== broadcasting arithmetic ([2,3] with [3] and [2,1]; scalars on either side)\n";
  tg::Tensor col = tg::tensor({{10.0f}, {20.0f}});
  std::cout << "a + v * 2 + col =\n" << a + v * 2 + col << "\n";
  std::cout << "1 - a / 2 =\n" << 1 - a / 2 << "\n";
  std::cout << "a.sum(1) =\n" << a.sum({1}) << "\na.mean().item<float>() = " << a.mean().item<float>() << "\n";

  std::cout << "\n== views share storage with their base\n";
  tg::Tensor at = a.t();
  tg::Tensor row1 = a[1];
  tg::Tensor cols = a.index({Slice(), Slice(1, None)});
  std::cout << "a.t() sizes " << at.sizes() << " strides " << at.strides()
            << " contiguous " << at.is_contiguous() << "\n";
  std::cout << "a.index({Slice(), Slice(1, None)}) =\n" << cols << "\n";
  row1.mul_(10);  // writes through the view into a
  std::cout << "after a[1].mul_(10), a =\n" << a << "\n";

  std::cout << "\n== autograd: y = sum(sigmoid(w * x + b))\n";
  tg::Tensor x = tg::tensor({1.0, 2.0, 3.0});
  tg::Tensor w = tg::tensor({0.5, -0.5, 0.25}, tg::requires_grad());
  tg::Tensor b = tg::zeros({}, tg::requires_grad().dtype(tg::kDouble));
  tg::Tensor y = (w * x + b).sigmoid().sum();
  y.backward();
  std::cout << "y = " << y.item<double>() << " (grad_fn " << y.grad_fn()->name() << ")\n";
  std::cout << "w.grad() =\n" << w.grad() << "\nb.grad() (double, like b) =\n" << b.grad() << "\n";

  std::cout << "\n== no_grad: nothing is recorded (an optimizer step)\n";
  {
    tg::NoGradGuard no_grad;
    w.sub_(w.grad() * 0.1);
    tg::Tensor z = w * 2;
    std::cout << "z.requires_grad() = " << z.requires_grad() << ", w.is_leaf() = " << w.is_leaf() << "\n";
  }
  std::cout << "w after the step =\n" << w << "\n";
  return 0;
}
