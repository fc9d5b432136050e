#include "tensorgrad/nn/modules/embedding.h"

#include <ostream>

#include "tensorgrad/autograd.h"
#include "tensorgrad/nn/functional.h"
#include "tensorgrad/nn/init.h"
#include "tensorgrad/ops.h"

namespace tg::nn {

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& options_) : options(options_) {
  const int64_t n = options.num_embeddings();
  if (options.padding_idx().has_value()) {
    const int64_t idx = *options.padding_idx();
    if (idx > 0) {
      TG_CHECK(idx < n, "Padding_idx must be within num_embeddings");
    } else if (idx < 0) {
      TG_CHECK(idx >= -n, "Padding_idx must be within num_embedding");
      options.padding_idx(n + idx);
    }
  }
  if (!options._weight().defined()) {
    weight = register_parameter("weight", tg::empty({n, options.embedding_dim()}));
    reset_parameters();
  } else {
    TG_CHECK(options._weight().sizes() == IntArrayRef({n, options.embedding_dim()}),
             "Shape of _weight does not match num_embeddings and embedding_dim");
    weight = register_parameter("weight", options._weight());
  }
}

void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx().has_value()) {
    autograd::NoGradGuard no_grad;
    weight[*options.padding_idx()].fill_(0);
  }
}

void EmbeddingImpl::pretty_print(std::ostream& stream) const {
  stream << "tg::nn::Embedding(num_embeddings=" << options.num_embeddings()
         << ", embedding_dim=" << options.embedding_dim();
  if (options.padding_idx().has_value()) stream << ", padding_idx=" << *options.padding_idx();
  stream << ")";
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  return functional::embedding(indices, weight, functional::EmbeddingFuncOptions().padding_idx(options.padding_idx()));
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options) {
  TG_CHECK(embeddings.dim() == 2, "Embeddings parameter is expected to be 2-dimensional");
  Embedding embedding(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                          ._weight(embeddings)
                          .padding_idx(options.padding_idx()));
  embedding->weight.set_requires_grad(!options.freeze());
  return embedding;
}

}  // namespace tg::nn
