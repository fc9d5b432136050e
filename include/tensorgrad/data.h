#pragma once
// tg::data: the MNIST dataset as in libtorch 1.13 (reads MNIST and Fashion-MNIST,
// plain or gzip-compressed) and a simple batching DataLoader of tensorgrad's own.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensorgrad/tensor.h"

namespace tg::data {

// A sample (or a batch) of a dataset: data and its target, as libtorch's Example.
template <typename Data = Tensor, typename Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;

  Example() = default;
  Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}

  Data data;
  Target target;
};

namespace datasets {

// The MNIST dataset: the four IDX files of http://yann.lecun.com/exdb/mnist, plain or
// gzip-compressed (train-images-idx3-ubyte[.gz], ...), so it reads Fashion-MNIST too
// (Debian: apt-get install dataset-fashion-mnist, in /usr/share/datasets/fashion-mnist).
// The number of images comes from the file headers.
//
// The pixels are kept as the file's bytes (a quarter of float32's memory: 47 MB rather
// than 188 MB for Fashion-MNIST's training set); get(), batch() and the DataLoader
// convert the images they return. images() makes the float32 tensor of all images on
// its first call; from then on get(), batch() and the DataLoader read that tensor, so
// they see in-place edits of it (such as normalisation). Copies of a dataset share
// the pixels.
class MNIST {
 public:
  enum class Mode { kTrain, kTest };

  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);

  // Image {1, 28, 28} float32 in [0, 1] and its label (0-dim int64).
  Example<> get(size_t index);
  optional<size_t> size() const;
  bool is_train() const noexcept;
  // All images {N, 1, 28, 28} float32 in [0, 1] (made on the first call, then kept)
  // and all labels {N} int64.
  const Tensor& images() const;
  const Tensor& targets() const;
  // [tg] The images {B, 1, 28, 28} float32 in [0, 1] and labels {B} int64 of the
  // samples `indices`, which must be in [0, size()).
  Example<> batch(IntArrayRef indices) const;

 private:
  struct Pixels;
  std::shared_ptr<Pixels> pixels_;
  Tensor targets_;
  Mode mode_;
};

}  // namespace datasets

// What a DataLoader yields: data {B, ...} and target {B, ...}.
using Batch = Example<>;

// Iterates over a dataset in batches. Each iteration (each begin()) is a new epoch;
// with shuffle, epoch e visits the samples in a permutation determined by (seed, e).
// The dataset is either anything with `size()` (an optional or an integer) and
// `batch(IntArrayRef indices)` returning a Batch, such as MNIST, which the loader
// copies; or anything with images() and targets() whose first dimensions match.
class DataLoader {
 public:
  template <class Dataset>
  explicit DataLoader(const Dataset& dataset, int64_t batch_size = 1, bool shuffle = false, uint64_t seed = 0,
                      bool drop_last = false)
      : DataLoader(source_of(dataset), batch_size, shuffle, seed, drop_last) {}
  DataLoader(Tensor data, Tensor targets, int64_t batch_size = 1, bool shuffle = false, uint64_t seed = 0,
             bool drop_last = false);

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = Batch*;
    using reference = Batch&;

    Iterator() = default;
    Batch& operator*() { return batch_; }
    Batch* operator->() { return &batch_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::vector<int64_t> order, size_t index);
    void load();

    const DataLoader* loader_ = nullptr;
    std::vector<int64_t> order_;
    size_t index_ = 0;
    Batch batch_;
  };

  // Starts a new epoch.
  Iterator begin();
  Iterator end() const;
  // The number of batches in an epoch.
  size_t size() const;
  int64_t batch_size() const { return batch_size_; }
  // The number of epochs begun so far.
  uint64_t epoch() const { return epoch_; }

 private:
  // Where batches come from: the number of samples and a function gathering the
  // samples at some indices (called once per batch).
  struct Source {
    int64_t size;
    std::function<Batch(IntArrayRef)> gather;
  };
  template <class Dataset>
  static Source source_of(const Dataset& dataset) {
    if constexpr (requires(const Dataset& d, IntArrayRef rows) { d.batch(rows); }) {
      return {dataset_size(dataset.size()), [dataset](IntArrayRef rows) { return Batch(dataset.batch(rows)); }};
    } else {
      return tensor_source(dataset.images(), dataset.targets());
    }
  }
  static int64_t dataset_size(const optional<size_t>& n);
  static int64_t dataset_size(int64_t n) { return n; }
  static Source tensor_source(Tensor data, Tensor targets);
  DataLoader(Source source, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last);

  Source source_;
  int64_t batch_size_;
  bool shuffle_;
  uint64_t seed_;
  bool drop_last_;
  uint64_t epoch_ = 0;
};

}  // namespace tg::data
