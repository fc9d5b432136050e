// tg::data: MNIST reading of synthetic IDX files (plain and gzip, intact and corrupt),
// the DataLoader's batching and shuffling, and the real Fashion-MNIST when installed.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/test_support.h"

using namespace tg;
namespace fs = std::filesystem;
using data::datasets::MNIST;

namespace {

using Bytes = std::string;
using tg::detail::str;

// Concatenates message parts (std::string's operator+ trips GCC 12's -Wrestrict at -O3).
template <class... Args>
std::string cat(const Args&... args) {
  return str(args...);
}

void put32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<char>((v >> shift) & 0xff));
}

// The pixel of image i at (r, c) in the synthetic files: every value 0..255 occurs.
uint8_t pixel(int64_t i, int64_t r, int64_t c) { return static_cast<uint8_t>((i * 31 + r * 28 + c) % 256); }

Bytes images_idx(int64_t n, uint32_t rows = 28, uint32_t cols = 28, uint32_t magic = 0x803) {
  Bytes b;
  put32(b, magic);
  put32(b, static_cast<uint32_t>(n));
  put32(b, rows);
  put32(b, cols);
  for (int64_t i = 0; i < n; ++i)
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t c = 0; c < cols; ++c) b.push_back(static_cast<char>(pixel(i, r, c)));
  return b;
}

Bytes labels_idx(const std::vector<int>& labels, uint32_t magic = 0x801) {
  Bytes b;
  put32(b, magic);
  put32(b, static_cast<uint32_t>(labels.size()));
  for (int l : labels) b.push_back(static_cast<char>(l));
  return b;
}

void write_plain(const fs::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}

void write_gzip(const fs::path& p, const Bytes& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::vector<int> cycle_labels(int64_t n) {
  std::vector<int> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<int>((i * 7 + 3) % 10));
  return v;
}

class MnistFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tg_data_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
  }
  void TearDown() override { fs::remove_all(dir); }

  // Writes the training pair (plain or gzip) for n synthetic images.
  void write_train(int64_t n, bool gzip) {
    const std::string ext = gzip ? ".gz" : "";
    auto write = gzip ? write_gzip : write_plain;
    write(dir / cat("train-images-idx3-ubyte", ext), images_idx(n));
    write(dir / cat("train-labels-idx1-ubyte", ext), labels_idx(cycle_labels(n)));
  }

  fs::path dir;
};

// Checks every pixel and label of a dataset built from images_idx(n) / cycle_labels(n).
void expect_synthetic(const MNIST& ds, int64_t n) {
  ASSERT_EQ(ds.images().sizes().vec(), (std::vector<int64_t>{n, 1, 28, 28}));
  ASSERT_EQ(ds.targets().sizes().vec(), (std::vector<int64_t>{n}));
  ASSERT_EQ(ds.images().dtype(), kFloat);
  ASSERT_EQ(ds.targets().dtype(), kLong);
  const float* px = ds.images().data_ptr<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < 28; ++r)
      for (int64_t c = 0; c < 28; ++c)
        ASSERT_EQ(px[(i * 28 + r) * 28 + c], static_cast<float>(pixel(i, r, c)) / 255.0f) << i << " " << r << " " << c;
  const std::vector<int> labels = cycle_labels(n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(ds.targets().data_ptr<int64_t>()[i], labels[static_cast<size_t>(i)]);
}

}  // namespace

// ---- reading intact files ---------------------------------------------------------------

TEST_F(MnistFiles, PlainFilesRoundTrip) {
  write_train(3, false);
  MNIST ds(dir.string());
  ASSERT_TRUE(ds.size().has_value());
  EXPECT_EQ(*ds.size(), 3u);
  EXPECT_TRUE(ds.is_train());
  expect_synthetic(ds, 3);
  // Image 1, row 2, column 5 holds byte (31 + 56 + 5) = 92.
  EXPECT_FLOAT_EQ(ds.images()[1][0][2][5].item<float>(), 92.0f / 255.0f);
  EXPECT_EQ(ds.targets()[1].item<int64_t>(), 0);
}

TEST_F(MnistFiles, GzipFilesRoundTripWithAnyCount) {
  write_train(7, true);
  MNIST ds(dir.string(), MNIST::Mode::kTrain);
  EXPECT_EQ(*ds.size(), 7u);
  expect_synthetic(ds, 7);
}

TEST_F(MnistFiles, PixelBytesMapToValuesInZeroOne) {
  write_train(9, false);  // 9 images cover all 256 byte values
  MNIST ds(dir.string());
  EXPECT_EQ(ds.images().min().item<float>(), 0.0f);
  EXPECT_EQ(ds.images().max().item<float>(), 1.0f);
}

TEST_F(MnistFiles, EmptyDataset) {
  write_train(0, true);
  MNIST ds(dir.string());
  EXPECT_EQ(*ds.size(), 0u);
  EXPECT_EQ(ds.images().sizes().vec(), (std::vector<int64_t>{0, 1, 28, 28}));
}

TEST_F(MnistFiles, TestModeReadsT10kFiles) {
  write_plain(dir / "t10k-images-idx3-ubyte", images_idx(2));
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", labels_idx({4, 8}));
  MNIST ds(dir.string(), MNIST::Mode::kTest);
  EXPECT_FALSE(ds.is_train());
  EXPECT_TENSOR(ds.targets(), {2}, {4, 8});
  EXPECT_THROW_MSG(MNIST(dir.string(), MNIST::Mode::kTrain), "train-images-idx3-ubyte");
}

TEST_F(MnistFiles, GetReturnsOneImageAndItsLabel) {
  write_train(4, false);
  MNIST ds(dir.string());
  data::Example<> ex = ds.get(3);
  EXPECT_EQ(ex.data.sizes().vec(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(ex.data.dtype(), kFloat);
  EXPECT_TENSOR(ex.data[0][0].slice(0, 0, 3), {3}, {93 / 255.0, 94 / 255.0, 95 / 255.0});
  EXPECT_EQ(ex.target.dim(), 0);
  EXPECT_EQ(ex.target.dtype(), kLong);
  EXPECT_EQ(ex.target.item<int64_t>(), 4);  // (3 * 7 + 3) % 10
  EXPECT_THROW_MSG(ds.get(4), "index 4 out of range");
}

TEST_F(MnistFiles, BatchConvertsTheChosenImagesAndLabels) {
  write_train(6, true);
  const MNIST ds(dir.string());
  const data::Example<> b = ds.batch({5, 0, 5});
  ASSERT_EQ(b.data.sizes().vec(), (std::vector<int64_t>{3, 1, 28, 28}));
  EXPECT_EQ(b.data.dtype(), kFloat);
  EXPECT_TENSOR(b.target, {3}, {8, 3, 8});  // (k * 7 + 3) % 10
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t k = i == 1 ? 0 : 5;
    for (int64_t c = 0; c < 28; c += 9)
      EXPECT_EQ(b.data[i][0][3][c].item<float>(), static_cast<float>(pixel(k, 3, c)) / 255.0f) << i << " " << c;
  }
  EXPECT_EQ(ds.batch({}).data.sizes().vec(), (std::vector<int64_t>{0, 1, 28, 28}));
  EXPECT_THROW_MSG(ds.batch({2, 6}), "MNIST::batch: index 6 is out of bounds for 6 samples");
  EXPECT_THROW_MSG(ds.batch({-1}), "MNIST::batch: index -1 is out of bounds for 6 samples");
}

TEST_F(MnistFiles, ABatchConvertedOverThreadsHoldsEveryChosenImage) {
  // 100 images in shuffled order, some twice: several chunks of the pool's threads.
  write_train(100, false);
  const MNIST ds(dir.string());
  std::vector<int64_t> chosen;
  for (int64_t k = 0; k < 100; ++k) chosen.push_back((k * 37 + 11) % 100);
  for (int64_t k = 0; k < 20; ++k) chosen.push_back(k * 5);
  const data::Example<> b = ds.batch(chosen);
  ASSERT_EQ(b.data.sizes().vec(), (std::vector<int64_t>{120, 1, 28, 28}));
  const float* px = b.data.data_ptr<float>();
  for (size_t i = 0; i < chosen.size(); ++i)
    for (int64_t r = 0; r < 28; ++r)
      for (int64_t c = 0; c < 28; ++c)
        ASSERT_EQ(px[(static_cast<int64_t>(i) * 28 + r) * 28 + c], static_cast<float>(pixel(chosen[i], r, c)) / 255.0f)
            << i << " " << r << " " << c;
}

TEST_F(MnistFiles, AFileOfMoreThanTwoMegabytesRoundTrips) {
  // 2,700 images (2.1 MB) are read into 2 MB pages (Note [Huge pages for the
  // payload] in src/data/idx.cpp), the last page partly used.
  write_train(2700, false);
  const MNIST ds(dir.string());
  expect_synthetic(ds, 2700);
}

TEST_F(MnistFiles, ImagesAreMadeOnceAndMatchEveryBatch) {
  write_train(5, false);
  const MNIST ds(dir.string());
  const MNIST copy = ds;  // shares the pixels and the images made from them
  const Tensor& all = ds.images();
  EXPECT_EQ(copy.images().data_ptr(), all.data_ptr());
  EXPECT_EQ(&ds.images(), &all);
  EXPECT_TRUE(all.equal(ds.batch({0, 1, 2, 3, 4}).data));
  EXPECT_TRUE(MNIST(copy).get(2).data.equal(all[2]));
}

TEST_F(MnistFiles, InPlaceEditsOfImagesReachGetBatchAndTheDataLoader) {
  // As in libtorch, whose get() reads its image tensor: a normalisation done in
  // place on images() is what every later sample and batch carries.
  write_train(6, false);
  MNIST ds(dir.string());
  const float before = ds.batch({4}).data[0][0][3][9].item<float>();
  EXPECT_EQ(before, static_cast<float>(pixel(4, 3, 9)) / 255.0f);
  ds.images().sub_(0.5).mul_(2);
  const float after = (before - 0.5f) * 2;
  EXPECT_EQ(ds.batch({4}).data[0][0][3][9].item<float>(), after);
  EXPECT_EQ(ds.get(4).data[0][3][9].item<float>(), after);
  data::DataLoader loader(ds, 6, false, 0, false);
  EXPECT_TRUE((*loader.begin()).data.equal(ds.images()));
}

// ---- missing and corrupt files ------------------------------------------------------------

TEST_F(MnistFiles, MissingDirectoryNamesItAndTheInstallCommand) {
  const std::string missing = (dir / "nowhere").string();
  EXPECT_THROW_MSG(MNIST{missing}, cat("directory '", missing, "' does not exist"));
  EXPECT_THROW_MSG(MNIST{missing}, "apt-get install dataset-fashion-mnist");
}

TEST_F(MnistFiles, MissingFileNamesBothCandidates) {
  write_plain(dir / "train-images-idx3-ubyte", images_idx(2));
  const std::string plain = (dir / "train-labels-idx1-ubyte").string();
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("found neither '", plain, "' nor '", plain, ".gz'"));
  EXPECT_THROW_MSG(MNIST{dir.string()}, "apt-get install dataset-fashion-mnist");
}

TEST_F(MnistFiles, TruncatedImagesAtEveryRegionRaise) {
  const Bytes full = images_idx(3);
  write_plain(dir / "train-labels-idx1-ubyte", labels_idx(cycle_labels(3)));
  const std::string path = (dir / "train-images-idx3-ubyte").string();
  for (size_t cut : {size_t{0}, size_t{3}, size_t{4}, size_t{15}}) {
    write_plain(path, full.substr(0, cut));
    EXPECT_THROW_MSG(MNIST{dir.string()},
                     cat("'", path, "' is truncated: its header needs 16 bytes but the file holds ", cut))
        << cut;
  }
  for (size_t cut : {size_t{16}, size_t{17}, size_t{16 + 784}, full.size() - 1}) {
    write_plain(path, full.substr(0, cut));
    EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path,
                                              "' is truncated: its header announces 3 x 28 x 28 = 2352 bytes "
                                              "of data but the file holds ",
                                              cut - 16))
        << cut;
  }
}

TEST_F(MnistFiles, TruncatedLabelsRaise) {
  write_plain(dir / "train-images-idx3-ubyte", images_idx(3));
  const std::string path = (dir / "train-labels-idx1-ubyte").string();
  write_plain(path, labels_idx({1, 2, 3}).substr(0, 10));
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path,
                                            "' is truncated: its header announces 3 = 3 bytes of data but "
                                            "the file holds 2"));
  write_plain(path, labels_idx({1, 2, 3}).substr(0, 6));
  EXPECT_THROW_MSG(MNIST{dir.string()},
                   cat("'", path, "' is truncated: its header needs 8 bytes but the file holds 6"));
}

TEST_F(MnistFiles, TruncatedGzipStreamRaises) {
  write_train(5, true);
  const fs::path path = dir / "train-images-idx3-ubyte.gz";
  const Bytes gz = read_file(path);
  for (size_t cut : {gz.size() / 2, gz.size() - 4}) {
    write_plain(path, gz.substr(0, cut));
    EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path.string(), "' is truncated")) << cut;
    EXPECT_THROW_MSG(MNIST{dir.string()}, "unexpected end of file") << cut;
  }
}

TEST_F(MnistFiles, CorruptGzipDataRaises) {
  write_train(5, true);
  const fs::path path = dir / "train-labels-idx1-ubyte.gz";
  Bytes gz = read_file(path);
  gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 0x5a);  // inside the CRC-32 of the trailer
  write_plain(path, gz);
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path.string(), "' is corrupt: incorrect data check"));
}

TEST_F(MnistFiles, BadMagicNumberRaises) {
  write_train(2, false);
  const std::string path = (dir / "train-images-idx3-ubyte").string();
  write_plain(path, images_idx(2, 28, 28, 0x801));
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path,
                                            "' has the wrong magic number 0x00000801, expected 0x00000803 "
                                            "(an IDX file of unsigned bytes with 3 dimensions)"));
  const std::string labels = (dir / "train-labels-idx1-ubyte").string();
  write_plain(path, images_idx(2));
  write_plain(labels, labels_idx({1, 2}, 0x00000803));
  EXPECT_THROW_MSG(MNIST{dir.string()},
                   cat("'", labels, "' has the wrong magic number 0x00000803, expected 0x00000801"));
}

TEST_F(MnistFiles, CountMismatchNamesBothFiles) {
  write_plain(dir / "train-images-idx3-ubyte", images_idx(3));
  write_plain(dir / "train-labels-idx1-ubyte", labels_idx({1, 2, 3, 4}));
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", (dir / "train-images-idx3-ubyte").string(), "' holds 3 images but '",
                                            (dir / "train-labels-idx1-ubyte").string(), "' holds 4 labels"));
}

TEST_F(MnistFiles, WrongImageSizeRaises) {
  write_train(2, false);
  const std::string path = (dir / "train-images-idx3-ubyte").string();
  write_plain(path, images_idx(2, 28, 27));
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path, "' holds images of 28 x 27 pixels, expected 28 x 28"));
}

TEST_F(MnistFiles, TrailingDataRaises) {
  write_train(2, false);
  const std::string path = (dir / "train-images-idx3-ubyte").string();
  write_plain(path, images_idx(2) + "x");
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path,
                                            "' holds more data than the 2 x 28 x 28 = 1568 bytes its header "
                                            "announces"));
}

TEST_F(MnistFiles, HugeDeclaredCountIsATruncationNotAnAllocation) {
  write_train(2, false);
  Bytes b = images_idx(2);
  b[4] = b[5] = b[6] = b[7] = static_cast<char>(0xff);
  const std::string path = (dir / "train-images-idx3-ubyte").string();
  write_plain(path, b);
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", path,
                                            "' is truncated: its header announces 4294967295 x 28 x 28 = "
                                            "3367254359280 bytes of data but the file holds 1568"));
}

TEST_F(MnistFiles, LabelOutOfRangeRaises) {
  write_plain(dir / "train-images-idx3-ubyte", images_idx(3));
  write_plain(dir / "train-labels-idx1-ubyte", labels_idx({1, 10, 2}));
  EXPECT_THROW_MSG(MNIST{dir.string()}, cat("'", (dir / "train-labels-idx1-ubyte").string(),
                                            "' holds label 10 at index 1, expected 0 to 9"));
}

// ---- DataLoader ------------------------------------------------------------------------------

namespace {

// The smallest dataset a DataLoader accepts: sample i has data {i, 10 i} and target i.
struct Numbered {
  explicit Numbered(int64_t n) {
    images_ = arange(n, kFloat).unsqueeze(1) * tensor({1.0f, 10.0f});
    targets_ = arange(n, kLong);
  }
  const Tensor& images() const { return images_; }
  const Tensor& targets() const { return targets_; }
  Tensor images_, targets_;
};

// The targets of every batch of one epoch, in order.
std::vector<std::vector<int64_t>> epoch_targets(data::DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (auto& batch : loader) {
    const int64_t* p = batch.target.data_ptr<int64_t>();
    out.emplace_back(p, p + batch.target.numel());
  }
  return out;
}

}  // namespace

TEST(DataLoader, BatchCountsWithAndWithoutDropLast) {
  Numbered ds(10);
  data::DataLoader keep(ds, 3);
  EXPECT_EQ(keep.size(), 4u);
  EXPECT_EQ(epoch_targets(keep), (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}));
  data::DataLoader drop(ds, 3, false, 0, true);
  EXPECT_EQ(drop.size(), 3u);
  EXPECT_EQ(epoch_targets(drop), (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}}));
  data::DataLoader exact(ds, 5, false, 0, true);
  EXPECT_EQ(exact.size(), 2u);
  data::DataLoader larger(ds, 16);
  EXPECT_EQ(larger.size(), 1u);
  data::DataLoader none(ds, 16, false, 0, true);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_TRUE(epoch_targets(none).empty());
}

TEST(DataLoader, BatchesCarryDataWithItsTargets) {
  Numbered ds(5);
  data::DataLoader loader(ds, 2, true, 3);
  int64_t seen = 0;
  for (auto& batch : loader) {
    ASSERT_EQ(batch.data.size(0), batch.target.size(0));
    for (int64_t i = 0; i < batch.target.size(0); ++i) {
      const auto t = static_cast<double>(batch.target[i].item<int64_t>());
      EXPECT_TENSOR(batch.data[i], {2}, {t, 10 * t});
    }
    seen += batch.target.size(0);
  }
  EXPECT_EQ(seen, 5);
}

TEST(DataLoader, ShuffleVisitsEverySampleOncePerEpoch) {
  Numbered ds(23);
  data::DataLoader loader(ds, 4, true, 7);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::multiset<int64_t> seen;
    for (const auto& b : epoch_targets(loader)) seen.insert(b.begin(), b.end());
    std::multiset<int64_t> all;
    for (int64_t i = 0; i < 23; ++i) all.insert(i);
    EXPECT_EQ(seen, all) << "epoch " << epoch;
  }
  EXPECT_EQ(loader.epoch(), 3u);
}

TEST(DataLoader, ShuffleIsDeterministicPerSeedAndChangesEachEpoch) {
  Numbered ds(10);
  data::DataLoader a(ds, 10, true, 42);
  data::DataLoader b(ds, 10, true, 42);
  data::DataLoader c(ds, 10, true, 43);
  const auto a1 = epoch_targets(a), a2 = epoch_targets(a);
  EXPECT_EQ(a1, epoch_targets(b));
  EXPECT_EQ(a2, epoch_targets(b));
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, epoch_targets(c));
  // The order is part of the format of a reproducible run: pin it.
  EXPECT_EQ(a1[0], (std::vector<int64_t>{0, 6, 5, 1, 3, 9, 7, 8, 4, 2}));
}

TEST(DataLoader, WithoutShuffleEveryEpochIsInOrder) {
  Numbered ds(4);
  data::DataLoader loader(ds, 2);
  EXPECT_EQ(epoch_targets(loader), epoch_targets(loader));
  EXPECT_EQ(epoch_targets(loader)[1], (std::vector<int64_t>{2, 3}));
}

TEST(DataLoader, BatchesAreCopiesOfTheDataset) {
  Numbered ds(4);
  data::DataLoader loader(ds, 4);
  for (auto& batch : loader) batch.data.fill_(-1.0f);
  EXPECT_TENSOR(ds.images().select(1, 0), {4}, {0, 1, 2, 3});
}

TEST(DataLoader, RejectsBadArguments) {
  Numbered ds(4);
  EXPECT_THROW_MSG(data::DataLoader(ds, 0), "batch_size should be a positive integer value, but got batch_size=0");
  EXPECT_THROW_MSG(data::DataLoader(zeros({4, 2}), zeros({3}, kLong), 2),
                   "DataLoader: the dataset has 4 samples but 3 targets");
}

namespace {
// A dataset that builds its batches itself: sample i has data {i} and target 2 i;
// it counts the batch() calls.
struct BatchBuilt {
  optional<size_t> size() const { return 5; }
  data::Batch batch(IntArrayRef indices) const {
    ++*calls;
    Tensor t = tensor(indices.vec(), kLong);
    return {t.unsqueeze(1).to(kFloat), t * 2};
  }
  std::shared_ptr<int> calls = std::make_shared<int>(0);
};
}  // namespace

TEST(DataLoader, UsesTheDatasetsOwnBatchOncePerBatch) {
  BatchBuilt ds;
  data::DataLoader loader(ds, 2);
  EXPECT_EQ(loader.size(), 3u);
  EXPECT_EQ(epoch_targets(loader), (std::vector<std::vector<int64_t>>{{0, 2}, {4, 6}, {8}}));
  EXPECT_EQ(*ds.calls, 3);  // the loader's copy shares the counter
  data::DataLoader shuffled(ds, 5, true, 3);
  std::vector<std::vector<int64_t>> once = epoch_targets(shuffled);
  ASSERT_EQ(once.size(), 1u);
  std::sort(once[0].begin(), once[0].end());
  EXPECT_EQ(once[0], (std::vector<int64_t>{0, 2, 4, 6, 8}));
}

TEST_F(MnistFiles, DataLoaderOverMnistGivesImageBatches) {
  write_train(10, true);
  MNIST ds(dir.string());
  data::DataLoader loader(ds, 4, true, 1, false);
  ASSERT_EQ(loader.size(), 3u);
  std::vector<int64_t> sizes;
  for (auto& batch : loader) {
    EXPECT_EQ(batch.data.dtype(), kFloat);
    EXPECT_EQ(batch.target.dtype(), kLong);
    EXPECT_EQ(batch.data.sizes().slice(1).vec(), (std::vector<int64_t>{1, 28, 28}));
    sizes.push_back(batch.data.size(0));
    for (int64_t i = 0; i < batch.data.size(0); ++i) {
      // Image k starts with byte 31 k mod 256, which tells the ten images apart.
      const auto first = std::lround(batch.data[i][0][0][0].item<float>() * 255.0f);
      int64_t k = 0;
      while (k < 10 && (k * 31) % 256 != first) ++k;
      EXPECT_EQ(batch.target[i].item<int64_t>(), (k * 7 + 3) % 10);
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
}

// ---- the real Fashion-MNIST (Debian package dataset-fashion-mnist) ---------------------------

namespace {
const char* kFashion = "/usr/share/datasets/fashion-mnist";
}

TEST(FashionMnist, TrainingSet) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MNIST ds(kFashion, MNIST::Mode::kTrain);
  EXPECT_EQ(*ds.size(), 60000u);
  EXPECT_EQ(ds.images().sizes().vec(), (std::vector<int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(ds.images().min().item<float>(), 0.0f);
  EXPECT_EQ(ds.images().max().item<float>(), 1.0f);
  EXPECT_TENSOR(ds.targets().slice(0, 0, 10), {10}, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  EXPECT_EQ(ds.targets()[59999].item<int64_t>(), 5);
  // Row 14 of the first image (an ankle boot), as bytes.
  EXPECT_TENSOR(
      ds.images()[0][0][14] * 255.0f, {28},
      {0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216, 223, 229, 215, 218, 255, 77, 0},
      1e-5);
  EXPECT_NEAR(ds.images()[0].sum().item<float>() * 255.0f, 76247.0f, 0.5f);
  for (int64_t c = 0; c < 10; ++c) EXPECT_EQ(ds.targets().eq(c).sum().item<int64_t>(), 6000) << c;
}

TEST(FashionMnist, TestSet) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MNIST ds(kFashion, MNIST::Mode::kTest);
  EXPECT_EQ(*ds.size(), 10000u);
  EXPECT_FALSE(ds.is_train());
  EXPECT_TENSOR(ds.targets().slice(0, 0, 10), {10}, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7});
  EXPECT_EQ(ds.targets()[9999].item<int64_t>(), 5);
  EXPECT_TENSOR(
      ds.images()[0][0][14] * 255.0f, {28},
      {0, 0, 0, 0, 0, 0, 2, 4, 1, 0, 0, 0, 98, 136, 110, 109, 110, 162, 135, 144, 149, 159, 167, 144, 158, 169, 119, 0},
      1e-5);
  EXPECT_NEAR(ds.images()[9999].sum().item<float>() * 255.0f, 24390.0f, 0.5f);
  data::DataLoader loader(ds, 128, false, 0, false);
  EXPECT_EQ(loader.size(), 79u);
}
