// The worked examples of the specification documents (../shared/seeds), each run
// with tensorgrad and printed beside the number the document gives.
#include <tensorgrad/tensorgrad.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

namespace {

using tg::Tensor;

// "[a, b, ...]" for a tensor of any shape (row-major), or its value for one element.
std::string flat(const Tensor& t) {
  Tensor c = t.detach().to(tg::kDouble).contiguous().reshape({-1});
  std::ostringstream s;
  if (t.dim() > 0) s << "[";
  for (int64_t i = 0; i < c.numel(); ++i) {
    if (i) s << ", ";
    s << c[i].item<double>();
  }
  if (t.dim() > 0) s << "]";
  return s.str();
}

void show(const std::string& what, const Tensor& value, const std::string& document) {
  std::printf("  %-44s %-22s (the document: %s)\n", what.c_str(), flat(value).c_str(), document.c_str());
}

void section(const char* title) { std::printf("\n%s\n", title); }

}  // namespace

int main() {
  using tg::requires_grad;
  using tg::tensor;

  section("000/002 README: y = x * 3");
  {
    Tensor x = tensor({2.0}, requires_grad());
    (x * 3).backward();
    show("x.grad", x.grad(), "[3.0]");
  }

  section("001 module source: L = (x * y + 5)^2 at x = 2, y = 3");
  {
    Tensor x = tensor(2.0, requires_grad()), y = tensor(3.0, requires_grad());
    Tensor L = (x * y + 5).pow(2);
    L.backward();
    show("L", L, "121");
    show("dL/dx = 2(xy+5) y", x.grad(), "66");
    show("dL/dy = 2(xy+5) x", y.grad(), "44");
  }

  section("001: slicing, y = x[:3], loss = y.sum()");
  {
    Tensor x = tensor({1.0, 2.0, 3.0, 4.0, 5.0}, requires_grad());
    x.index({tg::indexing::Slice(tg::indexing::None, 3)}).sum().backward();
    show("x.grad", x.grad(), "[1, 1, 1, 0, 0]");
  }

  section("001 unit test: Function classes, a = [1, 2, 3], b = [4, 5, 6], grad_output = ones");
  {
    Tensor a = tensor({1.0, 2.0, 3.0}, requires_grad()), b = tensor({4.0, 5.0, 6.0}, requires_grad());
    (a + b).backward(tg::ones({3}));
    show("AddBackward: grad_a", a.grad(), "grad_output");
    show("AddBackward: grad_b", b.grad(), "grad_output");
    a.zero_grad();
    b.zero_grad();
    (a * b).backward(tg::ones({3}));
    show("MulBackward: grad_a", a.grad(), "b");
    show("MulBackward: grad_b", b.grad(), "a");
    Tensor am = tensor({{1.0, 2.0}, {3.0, 4.0}}, requires_grad()), bm = tensor({{5.0, 6.0}, {7.0, 8.0}}, requires_grad());
    am.matmul(bm).backward(tg::ones({2, 2}));
    show("MatmulBackward: grad_a = ones @ b.T", am.grad(), "shape of a");
    show("MatmulBackward: grad_b = a.T @ ones", bm.grad(), "shape of b");
  }

  section("001 unit test: Tensor autograd");
  {
    Tensor x = tensor({2.0}, requires_grad());
    (x * 3 + 1).backward();
    show("d(3x+1)/dx", x.grad(), "[3.0]");
    Tensor a = tensor({{1.0, 2.0}}, requires_grad()), b = tensor({{3.0}, {4.0}}, requires_grad());
    Tensor c = a.matmul(b);
    c.backward();
    show("c = a @ b", c, "[[11.0]]");
    show("a.grad", a.grad(), "[[3.0, 4.0]]");
    show("b.grad", b.grad(), "[[1.0], [2.0]]");
    Tensor v = tensor({1.0, 2.0}, requires_grad());
    (v * 2).sum().backward();
    show("(x * 2).sum(): x.grad", v.grad(), "[2.0, 2.0]");
  }

  section("001 integration: x -> Linear -> Linear -> loss = h2 * h2");
  {
    Tensor x = tensor({{1.0, 2.0}}, requires_grad());
    Tensor W1 = tensor({{0.5, 0.3, 0.1}, {0.2, 0.4, 0.6}}, requires_grad());
    Tensor b1 = tensor({{0.1, 0.2, 0.3}}, requires_grad());
    Tensor W2 = tensor({{0.1}, {0.2}, {0.3}}, requires_grad());
    Tensor h1 = x.matmul(W1) + b1;
    Tensor h2 = h1.matmul(W2);
    (h2 * h2).backward();
    show("h2", h2, "shape (1, 1)");
    show("x.grad", x.grad(), "shape of x");
    show("W1.grad", W1.grad(), "shape of W1");
    show("b1.grad", b1.grad(), "not None");
    show("W2.grad", W2.grad(), "not None");
  }

  section("001 integration: gradient accumulation, y1 = x * 3 then y2 = x * 5");
  {
    Tensor x = tensor({2.0}, requires_grad());
    (x * 3).backward();
    show("after y1.backward()", x.grad(), "first_grad");
    (x * 5).backward();
    show("after y2.backward()", x.grad(), "first_grad + 5.0");
  }

  section("001 integration: ((a @ b) + a) * b summed");
  {
    Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}, requires_grad()), b = tensor({{2.0, 1.0}, {1.0, 2.0}}, requires_grad());
    ((a.matmul(b) + a) * b).sum().backward();
    show("a.grad", a.grad(), "shape of a");
    show("b.grad", b.grad(), "shape of b");
  }

  section("001 summary: y = x.matmul(W.T), loss = (y - 1.0) ** 2, x = [2.0], W = [[0.5, 0.3]]");
  try {
    Tensor x = tensor({2.0}, requires_grad()), W = tensor({{0.5, 0.3}}, requires_grad());
    (x.matmul(W.t()) - 1.0).pow(2).backward();
  } catch (const tg::Error& e) {
    // A [1] vector times a [2, 1] matrix: numpy refuses it too.
    std::printf("  as written, not a valid product: %s\n", e.what());
  }

  section("003 course page: manual tests");
  {
    Tensor x = tensor({3.0}, requires_grad());
    (x * x).backward();
    show("d(x^2)/dx at x=3", x.grad(), "6.0");
    Tensor x2 = tensor({2.0}, requires_grad());
    Tensor u = x2 * x2, v = x2 * x2 * x2;
    (u * v).backward();
    show("d(x^5)/dx at x=2 (u = x^2, v = x^3, y = uv)", x2.grad(), "80.0");
    Tensor x3 = tensor({2.0}, requires_grad());
    Tensor g = x3 * x3;
    (g + g + g).backward();
    show("d(3x^2)/dx at x=2 (f = g + g + g)", x3.grad(), "12.0");
    Tensor x4 = tensor({1.0}, requires_grad());
    ((x4 + x4) + (x4 * 3)).backward();
    show("dz/dx, z = (x + x) + 3x", x4.grad(), "5.0");
  }

  section("003: complete network, loss = (output ** 2).sum()");
  {
    Tensor x = tensor({{1.0, 2.0, 3.0}}, requires_grad());
    Tensor W1 = tensor({{0.5, 0.3}, {0.2, 0.4}, {0.1, 0.6}}, requires_grad());
    Tensor b1 = tensor({{0.1, 0.2}}, requires_grad());
    Tensor W2 = tensor({{0.3}, {0.5}}, requires_grad());
    Tensor output = (x.matmul(W1) + b1).matmul(W2);
    output.pow(2).sum().backward();
    std::cout << "  x.grad shape " << x.grad().sizes() << ", W1.grad shape " << W1.grad().sizes()
              << ", b1.grad shape " << b1.grad().sizes() << ", W2.grad shape " << W2.grad().sizes()
              << "   (the document: (1, 3), (3, 2), (1, 2), (2, 1))\n";
    show("W2.grad", W2.grad(), "values not given");
  }

  section("003: how it maps to PyTorch, y = x @ w, loss = y.mean()");
  {
    Tensor x = tensor({{1.0, 2.0}}, requires_grad()), w = tensor({{0.5}, {0.7}}, requires_grad());
    x.matmul(w).mean().backward();
    show("x.grad", x.grad(), "w.T = [[0.5, 0.7]]");
    show("w.grad", w.grad(), "x.T = [[1], [2]]");
  }

  section("004 Mojo README: GradientTape quick start, z = x * y, loss = z.sum(), tape.backward()");
  {
    Tensor x = tg::zeros({3, 4}, requires_grad()), y = tg::ones({3, 4}, requires_grad());
    tg::autograd::GradientTape tape;
    tape.enable();
    Tensor loss = (x * y).sum();
    tape.backward();
    show("x.grad (dloss/dx = y)", x.grad().sum(), "all ones: sum 12");
    show("y.grad (dloss/dy = x)", y.grad().sum(), "all zeros: sum 0");
  }

  section("004: y = x + 2, z = y * 3, tape.backward(), tape.disable(), tape.clear()");
  {
    Tensor x = tensor(1.0, requires_grad());
    tg::autograd::GradientTape tape;
    tape.enable();
    Tensor z = (x + 2) * 3;
    tape.backward();
    tape.disable();
    tape.clear();
    show("z", z, "3(x + 2)");
    show("x.grad", x.grad(), "dz/dx = 3");
  }
  return 0;
}
