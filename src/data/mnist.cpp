// tg::data::datasets::MNIST: the image file's bytes, converted to float32 a batch at a time,
// and one label tensor.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <numeric>

#include "core/parallel.h"
#include "data/gather.h"
#include "data/idx.h"
#include "tensorgrad/data.h"
#include "tensorgrad/error.h"
#include "tensorgrad/ops.h"

namespace tg::data::datasets {
namespace {

constexpr int64_t kRows = 28;
constexpr int64_t kCols = 28;
constexpr int64_t kClasses = 10;
// Images per chunk of a batch converted over threads (12,544 pixels).
constexpr int64_t kImagesPerChunk = 16;
constexpr const char* kInstallHint =
    "Fashion-MNIST is in Debian's package dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`), "
    "which puts its files in /usr/share/datasets/fashion-mnist";

// The plain file if it exists, else the gzip-compressed one.
std::string locate(const std::filesystem::path& root, const std::string& name) {
  std::filesystem::path plain = root / name;
  std::filesystem::path gz = root / (name + ".gz");
  std::error_code ec;
  if (std::filesystem::exists(plain, ec)) return plain.string();
  if (std::filesystem::exists(gz, ec)) return gz.string();
  throw Error(detail::str("MNIST: found neither '", plain.string(), "' nor '", gz.string(), "'. ", kInstallHint));
}

idx::File read_images(const std::string& path) {
  idx::File f = idx::read_ubyte(path, 3);
  TG_CHECK(f.dims[1] == kRows && f.dims[2] == kCols, "MNIST: '", path, "' holds images of ", f.dims[1], " x ",
           f.dims[2], " pixels, expected ", kRows, " x ", kCols);
  return f;
}

Tensor read_labels(const std::string& path) {
  idx::File f = idx::read_ubyte(path, 1);
  Tensor labels = empty({f.dims[0]}, kLong);
  int64_t* out = labels.data_ptr<int64_t>();
  const uint8_t* in = f.bytes.get();
  uint8_t largest = 0;
  for (size_t i = 0; i < f.nbytes; ++i) {
    out[i] = in[i];
    largest = std::max(largest, in[i]);
  }
  if (largest >= kClasses) {
    const size_t at =
        static_cast<size_t>(std::find_if(in, in + f.nbytes, [](uint8_t v) { return v >= kClasses; }) - in);
    TG_CHECK(false, "MNIST: '", path, "' holds label ", int{in[at]}, " at index ", at, ", expected 0 to ",
             kClasses - 1);
  }
  return labels;
}

}  // namespace

// The image file's bytes, and the float32 tensor of all images once images() made it.
// From then on get() and batch() read that tensor, as libtorch's read its image
// tensor, so that in-place edits of images() (normalisation) reach them too.
struct MNIST::Pixels {
  idx::File file;
  std::once_flag images_made;
  std::atomic<bool> images_ready{false};
  Tensor images;

  const Tensor* made_images() const { return images_ready.load(std::memory_order_acquire) ? &images : nullptr; }

  int64_t count() const { return file.dims[0]; }

  // Images rows[0], ..., rows[n - 1] as float32 {n, 1, 28, 28}.
  Tensor to_float(const int64_t* rows, int64_t n) const {
    Tensor out = empty({n, 1, kRows, kCols}, kFloat);
    float* dst = out.data_ptr<float>();
    constexpr int64_t kPixels = kRows * kCols;
    // Each thread of the pool converts its own images: a batch is waiting on
    // memory more than computing (below), and a training step waits for it.
    core::parallel_for(n, kImagesPerChunk, [&](int64_t begin, int64_t end) {
      // A shuffled batch reads images scattered over the 47 MB file, each a cache
      // miss the hardware prefetcher cannot foresee. Asking for the image four rows
      // ahead took a batch of 128 from 52 to 16 us alone (AVX-512 Zen 5 VM), but
      // left the first four images of every chunk unasked; asking for 16 images at
      // a time before converting them took it from 23-29 to 16-19 us after 4 MB of
      // other work had evicted the file, and from 21.7 to about 20 ms per training
      // epoch.
      for (int64_t group = begin; group < end; group += kImagesPerChunk) {
        const int64_t group_end = std::min(end, group + kImagesPerChunk);
        for (int64_t i = group; i < group_end; ++i) {
          const uint8_t* image = file.bytes.get() + rows[i] * kPixels;
          for (int64_t line = 0; line < kPixels; line += 64) __builtin_prefetch(image + line);
        }
        for (int64_t i = group; i < group_end; ++i) {
          const uint8_t* src = file.bytes.get() + rows[i] * kPixels;
          // Divide (not multiply by 1/255) to give libtorch's values bit for bit.
          for (int64_t p = 0; p < kPixels; ++p) dst[i * kPixels + p] = static_cast<float>(src[p]) / 255.0f;
        }
      }
    });
    return out;
  }
};

MNIST::MNIST(const std::string& root, Mode mode) : pixels_(std::make_shared<Pixels>()), mode_(mode) {
  std::error_code ec;
  TG_CHECK(std::filesystem::is_directory(root, ec), "MNIST: directory '", root, "' does not exist. ", kInstallHint);
  const bool train = mode == Mode::kTrain;
  const std::string images_path = locate(root, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte");
  const std::string labels_path = locate(root, train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte");
  pixels_->file = read_images(images_path);
  targets_ = read_labels(labels_path);
  TG_CHECK(pixels_->count() == targets_.size(0), "MNIST: '", images_path, "' holds ", pixels_->count(),
           " images but '", labels_path, "' holds ", targets_.size(0), " labels");
}

Example<> MNIST::get(size_t index) {
  // libtorch's get() selects from its image tensor, hence select's message.
  TG_CHECK_INDEX(index < static_cast<size_t>(pixels_->count()), "select(): index ", index,
                 " out of range for tensor of size [", pixels_->count(), ", 1, ", kRows, ", ", kCols,
                 "] at dimension 0");
  const auto row = static_cast<int64_t>(index);
  if (const Tensor* images = pixels_->made_images()) return {(*images)[row], targets_[row]};
  return {pixels_->to_float(&row, 1)[0], targets_[row]};
}

Example<> MNIST::batch(IntArrayRef indices) const {
  const int64_t n = static_cast<int64_t>(indices.size());
  for (int64_t i : indices) {
    TG_CHECK_INDEX(i >= 0 && i < pixels_->count(), "MNIST::batch: index ", i, " is out of bounds for ",
                   pixels_->count(), " samples");
  }
  const Tensor* images = pixels_->made_images();
  return {images ? gather_rows(*images, indices.data(), n) : pixels_->to_float(indices.data(), n),
          gather_rows(targets_, indices.data(), n)};
}

optional<size_t> MNIST::size() const { return static_cast<size_t>(pixels_->count()); }

bool MNIST::is_train() const noexcept { return mode_ == Mode::kTrain; }

const Tensor& MNIST::images() const {
  Pixels& p = *pixels_;
  std::call_once(p.images_made, [&p] {
    std::vector<int64_t> all(static_cast<size_t>(p.count()));
    std::iota(all.begin(), all.end(), int64_t{0});
    p.images = p.to_float(all.data(), p.count());
    p.images_ready.store(true, std::memory_order_release);
  });
  return p.images;
}

const Tensor& MNIST::targets() const { return targets_; }

}  // namespace tg::data::datasets
