// The specification's graph, L = (x*y + 5)^2 at x = 2, y = 3, drawn by tensorgrad:
// writes L.dot (Graphviz DOT) and, when Graphviz's dot is installed, L.svg. Saved
// tensors show their shape and bytes; after backward they show "freed".
#include <tensorgrad/tensorgrad.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  const std::string stem = argc > 1 ? argv[1] : "L";
  tg::Tensor x = tg::tensor(2.0f, tg::requires_grad()), y = tg::tensor(3.0f, tg::requires_grad());
  tg::Tensor L = (x * y + 5).pow(2);

  std::cout << "L = " << L.item<float>() << "; its graph: " << tg::autograd::graph_stats(L) << "\n\n";
  const std::string dot = tg::autograd::to_dot(L);
  std::cout << dot;
  std::ofstream(stem + ".dot") << dot;
  std::cout << "\nwrote " << stem << ".dot\n";
  const std::string render = "dot -Tsvg " + stem + ".dot -o " + stem + ".svg";
  if (std::system("command -v dot > /dev/null 2>&1") == 0 && std::system(render.c_str()) == 0)
    std::cout << "wrote " << stem << ".svg\n";
  else
    std::cout << "Graphviz's dot is not installed: render with `" << render << "`\n";

  L.backward();
  std::cout << "\nafter L.backward(): dL/dx = " << x.grad().item<float>() << ", dL/dy = " << y.grad().item<float>()
            << "; the graph now holds " << tg::autograd::graph_stats(L).saved_bytes << " saved bytes\n";
  return 0;
}
