// tg::data::DataLoader: batches gathered with one memcpy per sample, in a seeded
// per-epoch permutation when shuffling.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "tensorgrad/data.h"
#include "tensorgrad/error.h"
#include "tensorgrad/ops.h"

namespace tg::data {
namespace {

// Fisher-Yates with our own bounded draw: std::uniform_int_distribution differs between
// standard libraries, and the order must depend only on (seed, epoch).
void shuffle_in_place(std::vector<int64_t>& order, uint64_t seed, uint64_t epoch) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch),
                    static_cast<uint32_t>(epoch >> 32)};
  std::mt19937_64 gen(seq);
  for (size_t i = order.size(); i > 1; --i) {
    const uint64_t bound = i;
    const uint64_t reject_below = (0 - bound) % bound;  // makes the accepted range a multiple of bound
    uint64_t r = gen();
    while (r < reject_below) r = gen();
    std::swap(order[i - 1], order[r % bound]);
  }
}

// The rows rows[0], ..., rows[count - 1] of a contiguous tensor, stacked into a new tensor.
Tensor gather_rows(const Tensor& source, const int64_t* rows, int64_t count) {
  std::vector<int64_t> sizes(source.sizes().begin(), source.sizes().end());
  sizes[0] = count;
  Tensor out = empty(sizes, source.dtype());
  if (out.numel() == 0) return out;
  const size_t row_bytes = source.nbytes() / static_cast<size_t>(source.size(0));
  const auto* src = static_cast<const char*>(source.data_ptr());
  auto* dst = static_cast<char*>(out.data_ptr());
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(dst + static_cast<size_t>(i) * row_bytes, src + static_cast<size_t>(rows[i]) * row_bytes, row_bytes);
  }
  return out;
}

}  // namespace

DataLoader::DataLoader(Tensor data, Tensor targets, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last)
    : batch_size_(batch_size), shuffle_(shuffle), seed_(seed), drop_last_(drop_last) {
  TG_CHECK(data.defined() && targets.defined(), "DataLoader: the dataset's data and targets must be defined tensors");
  TG_CHECK(data.dim() >= 1 && targets.dim() >= 1,
           "DataLoader: the dataset's data and targets need a first (sample) dimension, got shapes ", data.sizes(),
           " and ", targets.sizes());
  TG_CHECK(data.size(0) == targets.size(0), "DataLoader: the dataset has ", data.size(0), " samples but ",
           targets.size(0), " targets");
  TG_CHECK_VALUE(batch_size > 0, "batch_size should be a positive integer value, but got batch_size=", batch_size);
  data_ = data.detach().contiguous();
  targets_ = targets.detach().contiguous();
}

size_t DataLoader::size() const {
  const int64_t n = data_.size(0);
  return static_cast<size_t>(drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_);
}

DataLoader::Iterator DataLoader::begin() {
  std::vector<int64_t> order(static_cast<size_t>(data_.size(0)));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (shuffle_) shuffle_in_place(order, seed_, epoch_);
  ++epoch_;
  return Iterator(this, std::move(order), 0);
}

DataLoader::Iterator DataLoader::end() const {
  Iterator it;
  it.index_ = size();
  return it;
}

DataLoader::Iterator::Iterator(const DataLoader* loader, std::vector<int64_t> order, size_t index)
    : loader_(loader), order_(std::move(order)), index_(index) {
  load();
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  load();
  return *this;
}

void DataLoader::Iterator::load() {
  if (index_ >= loader_->size()) {
    batch_ = Batch();
    return;
  }
  const int64_t start = static_cast<int64_t>(index_) * loader_->batch_size_;
  const int64_t count = std::min(loader_->batch_size_, static_cast<int64_t>(order_.size()) - start);
  batch_.data = gather_rows(loader_->data_, order_.data() + start, count);
  batch_.target = gather_rows(loader_->targets_, order_.data() + start, count);
}

}  // namespace tg::data
