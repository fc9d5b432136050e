// tg::data::datasets::MNIST: the IDX files into one image tensor and one label tensor.
#include <algorithm>
#include <filesystem>

#include "data/idx.h"
#include "tensorgrad/data.h"
#include "tensorgrad/error.h"
#include "tensorgrad/ops.h"

namespace tg::data::datasets {
namespace {

constexpr int64_t kRows = 28;
constexpr int64_t kCols = 28;
constexpr int64_t kClasses = 10;
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

Tensor read_images(const std::string& path) {
  idx::File f = idx::read_ubyte(path, 3);
  TG_CHECK(f.dims[1] == kRows && f.dims[2] == kCols, "MNIST: '", path, "' holds images of ", f.dims[1], " x ",
           f.dims[2], " pixels, expected ", kRows, " x ", kCols);
  Tensor images = empty({f.dims[0], 1, kRows, kCols}, kFloat);
  float* out = images.data_ptr<float>();
  const uint8_t* in = f.bytes.get();
  // Divide (not multiply by 1/255) to give libtorch's values bit for bit.
  for (size_t i = 0; i < f.nbytes; ++i) out[i] = static_cast<float>(in[i]) / 255.0f;
  return images;
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

MNIST::MNIST(const std::string& root, Mode mode) : mode_(mode) {
  std::error_code ec;
  TG_CHECK(std::filesystem::is_directory(root, ec), "MNIST: directory '", root, "' does not exist. ", kInstallHint);
  const bool train = mode == Mode::kTrain;
  const std::string images_path = locate(root, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte");
  const std::string labels_path = locate(root, train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte");
  images_ = read_images(images_path);
  targets_ = read_labels(labels_path);
  TG_CHECK(images_.size(0) == targets_.size(0), "MNIST: '", images_path, "' holds ", images_.size(0), " images but '",
           labels_path, "' holds ", targets_.size(0), " labels");
}

Example<> MNIST::get(size_t index) {
  return {images_[static_cast<int64_t>(index)], targets_[static_cast<int64_t>(index)]};
}

optional<size_t> MNIST::size() const { return static_cast<size_t>(images_.size(0)); }

bool MNIST::is_train() const noexcept { return mode_ == Mode::kTrain; }

const Tensor& MNIST::images() const { return images_; }

const Tensor& MNIST::targets() const { return targets_; }

}  // namespace tg::data::datasets
