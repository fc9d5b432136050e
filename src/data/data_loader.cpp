// tg::data::DataLoader: batches in a seeded per-epoch permutation when shuffling,
// gathered by the dataset's batch() or with one memcpy per sample from its tensors.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "data/gather.h"
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

}  // namespace

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

DataLoader::Source DataLoader::tensor_source(Tensor data, Tensor targets) {
  TG_CHECK(data.defined() && targets.defined(), "DataLoader: the dataset's data and targets must be defined tensors");
  TG_CHECK(data.dim() >= 1 && targets.dim() >= 1,
           "DataLoader: the dataset's data and targets need a first (sample) dimension, got shapes ", data.sizes(),
           " and ", targets.sizes());
  TG_CHECK(data.size(0) == targets.size(0), "DataLoader: the dataset has ", data.size(0), " samples but ",
           targets.size(0), " targets");
  Tensor d = data.detach().contiguous(), t = targets.detach().contiguous();
  return {d.size(0), [d, t](IntArrayRef rows) {
            const auto n = static_cast<int64_t>(rows.size());
            return Batch(gather_rows(d, rows.data(), n), gather_rows(t, rows.data(), n));
          }};
}

int64_t DataLoader::dataset_size(const optional<size_t>& n) {
  TG_CHECK(n.has_value(), "DataLoader: the dataset has no size");
  return static_cast<int64_t>(*n);
}

DataLoader::DataLoader(Tensor data, Tensor targets, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last)
    : DataLoader(tensor_source(std::move(data), std::move(targets)), batch_size, shuffle, seed, drop_last) {}

DataLoader::DataLoader(Source source, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last)
    : source_(std::move(source)), batch_size_(batch_size), shuffle_(shuffle), seed_(seed), drop_last_(drop_last) {
  TG_CHECK_VALUE(batch_size > 0, "batch_size should be a positive integer value, but got batch_size=", batch_size);
}

size_t DataLoader::size() const {
  const int64_t n = source_.size;
  // n + batch_size_ - 1 would overflow for a batch size near INT64_MAX.
  return static_cast<size_t>(n / batch_size_ + (!drop_last_ && n % batch_size_ != 0));
}

DataLoader::Iterator DataLoader::begin() {
  std::vector<int64_t> order(static_cast<size_t>(source_.size));
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
  batch_ = loader_->source_.gather(IntArrayRef(order_.data() + start, static_cast<size_t>(count)));
}

}  // namespace tg::data
