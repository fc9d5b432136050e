// Gradient checkpointing's saving, in numbers: the saved-tensor memory of a
// 16-layer MLP's graph, plain and checkpointed every 2, 4 and 8 layers, with the
// gradients of both runs compared. (bench/checkpoint_memory measures the peak memory
// and the time of a training step.)
#include <tensorgrad/tensorgrad.h>

#include <cstdio>
#include <vector>

namespace {

struct Mlp {
  std::vector<tg::nn::Linear> layers;
  Mlp() {
    tg::manual_seed(0);
    for (int i = 0; i < 16; ++i) layers.emplace_back(256, 256);
  }
  tg::Tensor run(tg::Tensor h, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) h = tg::relu(layers[i]->forward(h));
    return h;
  }
  tg::Tensor loss(const tg::Tensor& x, size_t per) {
    tg::Tensor h = x;
    if (per == 0) h = run(h, 0, layers.size());
    for (size_t i = 0; per != 0 && i < layers.size(); i += per)
      h = tg::autograd::checkpoint([this, i, per](const tg::Tensor& in) { return run(in, i, i + per); }, h);
    return h.pow(2).mean();
  }
  tg::Tensor first_weight_grad() {
    tg::Tensor g = layers[0]->weight.grad().clone();
    for (auto& l : layers) {
      l->weight.zero_grad();
      l->bias.zero_grad();
    }
    return g;
  }
};

double mib(size_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

int main() {
  Mlp mlp;
  tg::Tensor x = tg::randn({512, 256});
  tg::Tensor plain_loss = mlp.loss(x, 0);
  const tg::autograd::GraphStats plain = tg::autograd::graph_stats(plain_loss);
  plain_loss.backward();
  const tg::Tensor plain_grad = mlp.first_weight_grad();
  const size_t plain_activations = plain.saved_bytes - plain.saved_leaf_bytes;

  std::printf("16 Linear+ReLU layers, 256 wide, batch 512 (one activation: %.2f MiB)\n\n", mib(512 * 256 * 4));
  std::printf("%-26s %6s %12s %14s %12s  %s\n", "", "nodes", "saved MiB", "activations", "of plain", "same gradients");
  std::printf("%-26s %6zu %12.2f %14.2f %11.0f%%\n", "plain", plain.nodes, mib(plain.saved_bytes),
              mib(plain_activations), 100.0);
  for (size_t per : {2, 4, 8}) {
    tg::Tensor loss = mlp.loss(x, per);
    const tg::autograd::GraphStats s = tg::autograd::graph_stats(loss);
    loss.backward();
    const bool same = mlp.first_weight_grad().equal(plain_grad);
    char label[64];
    std::snprintf(label, sizeof label, "checkpoint every %zu layers", per);
    std::printf("%-26s %6zu %12.2f %14.2f %11.0f%%  %s\n", label, s.nodes, mib(s.saved_bytes),
                mib(s.saved_bytes - s.saved_leaf_bytes),
                100.0 * static_cast<double>(s.saved_bytes - s.saved_leaf_bytes) / static_cast<double>(plain_activations),
                same ? "yes" : "NO");
  }
  std::printf("\n(saved MiB includes the weights the plain graph saves for backward; they exist anyway.\n"
              " A checkpointed segment's activations come back for a moment during backward,\n"
              " when the segment is recomputed.)\n");
  return 0;
}
