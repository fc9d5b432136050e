#pragma once
// Embedding: a lookup table of num_embeddings rows, as libtorch's.
#include <iosfwd>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

// weight [num_embeddings, embedding_dim] ~ N(0, 1), the padding_idx row zeroed; a
// negative padding_idx is stored as num_embeddings + padding_idx.
class EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(const EmbeddingOptions& options_);

  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  // indices: int64 of any shape; the result has shape indices.sizes() + [embedding_dim].
  Tensor forward(const Tensor& indices);

  EmbeddingOptions options;
  Tensor weight;
};

class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  // An Embedding whose weight is `embeddings` (2-D), trainable unless options.freeze().
  static Embedding from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options = {});
};

}  // namespace tg::nn
