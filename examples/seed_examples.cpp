// The worked examples of the specification documents (../shared/seeds), each run
// with tensorgrad and printed beside the number the document gives. Where the
// document gives numbers they are checked: the program exits with 1 if any differs
// (ctest runs it).
#include <tensorgrad/tensorgrad.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

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

int mismatches = 0;

void show(const std::string& what, const Tensor& value, const std::string& document) {
  std::printf("  %-44s %-22s (the document: %s)\n", what.c_str(), flat(value).c_str(), document.c_str());
}

// show(), and compares value (row-major) with the document's numbers.
void check(const std::string& what, const Tensor& value, const std::vector<double>& expected,
           const std::string& document) {
  show(what, value, document);
  Tensor c = value.detach().to(tg::kDouble).contiguous().reshape({-1});
  bool same = c.numel() == static_cast<int64_t>(expected.size());
  for (int64_t i = 0; same && i < c.numel(); ++i) {
    const double want = expected[static_cast<size_t>(i)];
    same = std::abs(c[i].item<double>() - want) <= 1e-6 * (1 + std::abs(want));
  }
  if (!same) {
    std::printf("  MISMATCH: %s\n", what.c_str());
    ++mismatches;
  }
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
    check("x.grad", x.grad(), {3}, "[3.0]");
  }

  section("001 module source: L = (x * y + 5)^2 at x = 2, y = 3");
  {
    Tensor x = tensor(2.0, requires_grad()), y = tensor(3.0, requires_grad());
    Tensor L = (x * y + 5).pow(2);
    L.backward();
    check("L", L, {121}, "121");
    check("dL/dx = 2(xy+5) y", x.grad(), {66}, "66");
    check("dL/dy = 2(xy+5) x", y.grad(), {44}, "44");
  }

  section("001: slicing, y = x[:3], loss = y.sum()");
  {
    Tensor x = tensor({1.0, 2.0, 3.0, 4.0, 5.0}, requires_grad());
    x.index({tg::indexing::Slice(tg::indexing::None, 3)}).sum().backward();
    check("x.grad", x.grad(), {1, 1, 1, 0, 0}, "[1, 1, 1, 0, 0]");
  }

  section("001 unit test: Function classes, a = [1, 2, 3], b = [4, 5, 6], grad_output = ones");
  {
    Tensor a = tensor({1.0, 2.0, 3.0}, requires_grad()), b = tensor({4.0, 5.0, 6.0}, requires_grad());
    (a + b).backward(tg::ones({3}));
    check("AddBackward: grad_a", a.grad(), {1, 1, 1}, "grad_output");
    check("AddBackward: grad_b", b.grad(), {1, 1, 1}, "grad_output");
    a.zero_grad();
    b.zero_grad();
    (a * b).backward(tg::ones({3}));
    check("MulBackward: grad_a", a.grad(), {4, 5, 6}, "b");
    check("MulBackward: grad_b", b.grad(), {1, 2, 3}, "a");
    Tensor am = tensor({{1.0, 2.0}, {3.0, 4.0}}, requires_grad()), bm = tensor({{5.0, 6.0}, {7.0, 8.0}}, requires_grad());
    am.matmul(bm).backward(tg::ones({2, 2}));
    check("MatmulBackward: grad_a = ones @ b.T", am.grad(), {11, 15, 11, 15}, "shape of a");
    check("MatmulBackward: grad_b = a.T @ ones", bm.grad(), {4, 4, 6, 6}, "shape of b");
  }

  section("001 unit test: Tensor autograd");
  {
    Tensor x = tensor({2.0}, requires_grad());
    (x * 3 + 1).backward();
    check("d(3x+1)/dx", x.grad(), {3}, "[3.0]");
    Tensor a = tensor({{1.0, 2.0}}, requires_grad()), b = tensor({{3.0}, {4.0}}, requires_grad());
    Tensor c = a.matmul(b);
    c.backward();
    check("c = a @ b", c, {11}, "[[11.0]]");
    check("a.grad", a.grad(), {3, 4}, "[[3.0, 4.0]]");
    check("b.grad", b.grad(), {1, 2}, "[[1.0], [2.0]]");
    Tensor v = tensor({1.0, 2.0}, requires_grad());
    (v * 2).sum().backward();
    check("(x * 2).sum(): x.grad", v.grad(), {2, 2}, "[2.0, 2.0]");
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
    check("after y1.backward()", x.grad(), {3}, "first_grad");
    (x * 5).backward();
    check("after y2.backward()", x.grad(), {8}, "first_grad + 5.0");
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
    check("d(x^2)/dx at x=3", x.grad(), {6}, "6.0");
    Tensor x2 = tensor({2.0}, requires_grad());
    Tensor u = x2 * x2, v = x2 * x2 * x2;
    (u * v).backward();
    check("d(x^5)/dx at x=2 (u = x^2, v = x^3, y = uv)", x2.grad(), {80}, "80.0");
    Tensor x3 = tensor({2.0}, requires_grad());
    Tensor g = x3 * x3;
    (g + g + g).backward();
    check("d(3x^2)/dx at x=2 (f = g + g + g)", x3.grad(), {12}, "12.0");
    Tensor x4 = tensor({1.0}, requires_grad());
    ((x4 + x4) + (x4 * 3)).backward();
    check("dz/dx, z = (x + x) + 3x", x4.grad(), {5}, "5.0");
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
    check("x.grad", x.grad(), {0.5, 0.7}, "w.T = [[0.5, 0.7]]");
    check("w.grad", w.grad(), {1, 2}, "x.T = [[1], [2]]");
  }

  section("004 Mojo README: GradientTape quick start, z = x * y, loss = z.sum(), tape.backward()");
  {
    Tensor x = tg::zeros({3, 4}, requires_grad()), y = tg::ones({3, 4}, requires_grad());
    tg::autograd::GradientTape tape;
    tape.enable();
    Tensor loss = (x * y).sum();
    tape.backward();
    check("x.grad (dloss/dx = y)", x.grad().sum(), {12}, "all ones: sum 12");
    check("y.grad (dloss/dy = x)", y.grad().sum(), {0}, "all zeros: sum 0");
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
    check("z", z, {9}, "3(x + 2)");
    check("x.grad", x.grad(), {3}, "dz/dx = 3");
  }
  if (mismatches) std::printf("\n%d result(s) differ from the documents\n", mismatches);
  return mismatches ? 1 : 0;
}
