// tg::save / tg::load_tensors / tg::load in the safetensors format: round trips,
// the exact bytes written, files written by hand per the specification, truncated
// and corrupt files, atomic replacement, and modules.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include "support/test_support.h"

using namespace tg;
namespace fs = std::filesystem;

namespace {

using Bytes = std::string;
using tg::detail::str;

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}

Bytes le64(uint64_t v) {
  Bytes b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return b;
}

// A safetensors file with the given header text (unpadded) and data section.
Bytes safetensors_file(const std::string& header, const Bytes& data) { return le64(header.size()) + header + data; }

// The raw bytes of a contiguous tensor.
Bytes raw(const Tensor& t) {
  Tensor c = t.contiguous();
  return Bytes(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

// Bit-exact equality (NaNs included) of dtype, shape and data.
::testing::AssertionResult same(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) return ::testing::AssertionFailure() << a.dtype() << " != " << b.dtype();
  if (a.sizes().vec() != b.sizes().vec()) return ::testing::AssertionFailure() << a.sizes() << " != " << b.sizes();
  if (raw(a) != raw(b)) return ::testing::AssertionFailure() << "data differ";
  return ::testing::AssertionSuccess();
}

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tg_serialize_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    file = (dir / "ckpt.safetensors").string();
  }
  void TearDown() override { fs::remove_all(dir); }

  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Writes a hand-made file and expects load_tensors to reject it with `needle`.
  void expect_rejected(const Bytes& contents, const std::string& needle) {
    write_file(file, contents);
    EXPECT_THROW_MSG(load_tensors(file), str("'", file, "' is not a valid safetensors file: ", needle));
  }

  fs::path dir;
  std::string file;
};

std::map<std::string, Tensor> small_checkpoint() {
  return {{"w", tensor({{1.0f, 2.0f}, {3.0f, 4.0f}})},
          {"b", tensor({0.5, -0.5}, kDouble)},
          {"step", tensor(int64_t{12})},
          {"mask", tensor({true, false, true})},
          {"none", zeros({0, 2})}};
}

}  // namespace

// ---- round trips ---------------------------------------------------------------------------------

TEST_F(Files, RoundTripEveryDtypeAndShape) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Tensor base = arange(12, kDouble).reshape({3, 4});
  const std::map<std::string, Tensor> tensors = {
      {"f32", tensor({{1.5f, -0.0f, nan}, {inf, -inf, 1e-45f}})},
      {"f64", tensor({0.1, -1e300, 3.0}, kDouble)},
      {"i64",
       tensor(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0, std::numeric_limits<int64_t>::max()})
           .reshape({2, 2})},
      {"bool", tensor({true, false, false, true})},
      {"scalar", tensor(2.5f)},
      {"scalar_long", tensor(int64_t{-3})},
      {"empty", zeros({0, 3}, kDouble)},
      {"empty_bool", zeros({0}, kBool)},
      {"transposed", base.t()},
      {"strided", base.slice(1, 0, 4, 3)},
      {"a.dotted/name with spaces", ones({1, 1, 1})},
  };
  save(tensors, file);
  const std::map<std::string, Tensor> back = load_tensors(file);
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    ASSERT_TRUE(back.count(name)) << name;
    EXPECT_TRUE(same(back.at(name), t)) << name;
    EXPECT_FALSE(back.at(name).requires_grad());
  }
  EXPECT_TENSOR(back.at("transposed"), {4, 3}, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  EXPECT_TENSOR(back.at("strided"), {3, 2}, {0, 3, 4, 7, 8, 11});
  EXPECT_EQ(back.at("scalar").dim(), 0);
}

TEST_F(Files, RoundTripOfNoTensors) {
  save(std::map<std::string, Tensor>{}, file);
  EXPECT_EQ(read_file(file), le64(8) + "{}      ");
  EXPECT_TRUE(load_tensors(file).empty());
}

TEST_F(Files, TensorsThatRequireGradAreSavedByValue) {
  Tensor w = tensor({1.0f, 2.0f}, requires_grad());
  save({{"w", w * 3}}, file);
  EXPECT_TENSOR(load_tensors(file).at("w"), {2}, {3, 6});
}

// ---- the bytes on disk ---------------------------------------------------------------------------

TEST_F(Files, ExactBytesOfASmallFile) {
  save({{"a", tensor({1.5f, -2.0f})}, {"b", tensor(int64_t{-7})}, {"c", tensor({true, false})}}, file);
  // 8-byte tensors first, then 4-byte, then 1-byte (each aligned to its element size),
  // the header padded with spaces to 168 = 21 * 8 bytes.
  const Bytes expected = Bytes("\xa8\x00\x00\x00\x00\x00\x00\x00", 8) +
                         R"({"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
                         R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                         R"("c":{"dtype":"BOOL","shape":[2],"data_offsets":[16,18]}})"
                         "     " +
                         Bytes("\xf9\xff\xff\xff\xff\xff\xff\xff", 8) +  // int64 -7
                         Bytes("\x00\x00\xc0\x3f\x00\x00\x00\xc0", 8) +  // float 1.5, -2
                         Bytes("\x01\x00", 2);
  EXPECT_EQ(read_file(file), expected);
}

TEST_F(Files, ReadsAFileWrittenByHandPerTheSpecification) {
  // Unpadded header with whitespace, metadata, keys not in data order, a 0-dim F64.
  const std::string header = R"({ "__metadata__": {"format": "pt", "note": "by hand"},)"
                             R"(  "z": {"dtype": "F32", "shape": [2, 1], "data_offsets": [8, 16]},)"
                             R"(  "y": {"data_offsets": [0, 8], "shape": [], "dtype": "F64"},)"
                             R"(  "x": {"dtype": "I64", "shape": [0, 5], "data_offsets": [16, 16]},)"
                             R"(  "m": {"dtype": "BOOL", "shape": [3], "data_offsets": [16, 19]} })";
  const Bytes data = Bytes("\x00\x00\x00\x00\x00\x00\x04\xc0", 8) +  // double -2.5
                     Bytes("\x00\x00\x80\x3f\x00\x00\x00\x40", 8) +  // float 1, 2
                     Bytes("\x01\x01\x00", 3);
  write_file(file, safetensors_file(header, data));
  const auto t = load_tensors(file);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.at("y").dtype(), kDouble);
  EXPECT_TENSOR(t.at("y"), {}, {-2.5});
  EXPECT_EQ(t.at("z").dtype(), kFloat);
  EXPECT_TENSOR(t.at("z"), {2, 1}, {1, 2});
  EXPECT_EQ(t.at("x").dtype(), kLong);
  EXPECT_EQ(t.at("x").sizes().vec(), (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(t.at("m").dtype(), kBool);
  EXPECT_TENSOR(t.at("m"), {3}, {1, 1, 0});
}

// ---- truncated and corrupt files -------------------------------------------------------------

TEST_F(Files, TruncationAtEveryByteRaises) {
  save(small_checkpoint(), file);
  const Bytes full = read_file(file);
  ASSERT_GT(full.size(), 100u);
  const std::string truncated = (dir / "truncated.safetensors").string();
  write_file(truncated, full);
  for (size_t cut = full.size(); cut-- > 0;) {
    fs::resize_file(truncated, cut);
    EXPECT_THROW_MSG(load_tensors(truncated), str("'", truncated, "' is not a valid safetensors file")) << cut;
  }
  const auto back = load_tensors(file);
  for (const auto& [name, t] : small_checkpoint()) EXPECT_TRUE(same(back.at(name), t)) << name;
}

TEST_F(Files, TruncationMessagesSayWhatIsMissing) {
  save(small_checkpoint(), file);
  const Bytes full = read_file(file);
  expect_rejected(full.substr(0, 5), "the file holds 5 bytes, fewer than the 8 of the header length");
  expect_rejected(full.substr(0, 20), "its header length 288 exceeds the 12 bytes that follow it");
  expect_rejected(full.substr(0, full.size() - 1),
                  "tensor 'mask' has data_offsets [40, 43] beyond the data section (42 bytes; is the file truncated?)");
}

TEST_F(Files, CorruptHeadersRaise) {
  const Bytes f4 = Bytes("\x00\x00\x80\x3f", 4);
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})", f4),
                  "its header is not valid JSON: [json.exception.parse_error.101]");
  expect_rejected(safetensors_file(R"([{"a": 1}])", ""), "its header does not start with '{'");
  // The JSON reader stopped at a NUL and loaded the file, ignoring what followed.
  expect_rejected(safetensors_file(std::string(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})") +
                                       std::string(1, '\0') + R"(,"b": garbage ]]])",
                                   f4),
                  "its header contains a NUL byte");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", f4),
                  "tensor 'a' has dtype \"F16\", tensorgrad reads F32, F64, I64 and BOOL");
  expect_rejected(safetensors_file(R"({"a": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}})", f4),
                  "tensor 'a' has a dtype that is not a string: 32");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", f4),
                  "tensor 'a' has shape [-1], expected a list of sizes >= 0");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}})", f4),
                  "tensor 'a' has shape [1.0], expected a list of sizes >= 0");
  expect_rejected(
      safetensors_file(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", f4),
      "tensor 'a' has shape [4294967296,4294967296], too large to exist");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", f4),
                  "tensor 'a' (F32, shape [2]) needs 8 bytes but its data_offsets [0,4] span 4");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", f4),
                  "tensor 'a' has data_offsets [4,0], expected [begin, end] with begin <= end");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", f4),
                  "tensor 'a' has data_offsets [0], expected [begin, end]");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1]}})", f4), "tensor 'a' has no 'data_offsets'");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "extra": 1}})", f4),
                  "tensor 'a' has an unexpected field 'extra'");
  expect_rejected(safetensors_file(R"({"a": [1, 2]})", f4), "the header entry for tensor 'a' is not an object");
  expect_rejected(safetensors_file(R"({"__metadata__": {"n": 1}})", ""),
                  R"(its __metadata__ must map strings to strings, got {"n":1})");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                                   R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                                   f4),
                  "its header repeats the key 'a'");
  expect_rejected(
      safetensors_file(R"({"a": {"dtype": "F32", "dtype": "F64", "shape": [1], "data_offsets": [0, 4]}})", f4),
      "its header repeats the key 'dtype'");
  expect_rejected(safetensors_file(R"({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}})", "\x01\x02"),
                  "tensor 'm' (BOOL) holds the byte 2 at element 1, booleans must be 0 or 1");
  // An empty tensor whose other sizes overflow int64, as empty() refuses them.
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [0, 4611686018427387904, 4], )"
                                   R"("data_offsets": [0, 0]}})",
                                   ""),
                  "tensor 'a' has shape [0,4611686018427387904,4], too large to exist");
}

// Values in messages are cut short, and nesting is refused before anything dumps
// or compares it recursively: 200,000 brackets overflowed the stack.
TEST_F(Files, DeepOrLongHeaderValuesGiveShortMessages) {
  const Bytes f4 = Bytes("\x00\x00\x80\x3f", 4);
  expect_rejected(safetensors_file(R"({"a": {"dtype": [[1]], "shape": [1], "data_offsets": [0, 4]}})", f4),
                  "its header nests objects or arrays 4 deep; a safetensors header nests 3");
  const std::string deep(200000, '[');
  expect_rejected(safetensors_file(R"({"a": {"dtype": )" + deep, f4),
                  "its header nests objects or arrays 4 deep; a safetensors header nests 3");
  expect_rejected(safetensors_file(R"({"__metadata__": {"k": {"n": "v"}}})", ""),
                  "its __metadata__ must map strings to strings, got {\"k\":{\"n\":\"v\"}}");
  std::string long_shape = "[-1", shown = "[-1,";
  for (int i = 0; i < 10000; ++i) long_shape += ", 1";
  for (int i = 0; i < 28; ++i) shown += "1,";
  expect_rejected(
      safetensors_file(R"({"a": {"dtype": "F32", "shape": )" + long_shape + R"(], "data_offsets": [0, 4]}})", f4),
      "tensor 'a' has shape " + shown + "..., expected a list of sizes >= 0");
}

TEST_F(Files, InconsistentOffsetsRaise) {
  const Bytes d12(12, '\0');
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                                   R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                                   d12),
                  "tensor 'b' (bytes [4, 12)) overlaps tensor 'a' (bytes [0, 8))");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                                   R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                                   d12),
                  "bytes [4, 8) of the data section belong to no tensor");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", d12),
                  "the data section holds 12 bytes but its tensors cover only 8");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}})", d12),
                  "tensor 'a' has data_offsets [0, 16] beyond the data section (12 bytes; is the file truncated?)");
  expect_rejected(safetensors_file(R"({"a": {"dtype": "F32", "shape": [1],)"
                                   R"( "data_offsets": [18446744073709551612, 18446744073709551616]}})",
                                   d12),
                  "tensor 'a' has data_offsets [18446744073709551612,1.8446744073709552e+19]");
}

TEST_F(Files, HeaderLengthBeyondTheFileOrTheLimitRaises) {
  expect_rejected(le64(1000) + "{}", "its header length 1000 exceeds the 2 bytes that follow it");
  expect_rejected(le64(~uint64_t{0}) + "{}", "its header length 18446744073709551615 exceeds the 2 bytes");
  // A sparse file larger than the limit, so that only the limit can reject it.
  write_file(file, le64(100'000'008) + "{");
  fs::resize_file(file, 100'000'100);
  EXPECT_THROW_MSG(load_tensors(file), "its header length 100000008 exceeds the format's limit of 100000000 bytes");
}

TEST_F(Files, LoadingWhatIsNotAFileRaises) {
  EXPECT_THROW_MSG(load_tensors((dir / "absent").string()),
                   str("load: cannot open '", (dir / "absent").string(), "': No such file or directory"));
  EXPECT_THROW_MSG(load_tensors(dir.string()), str("load: '", dir.string(), "' is not a regular file"));
}

// ---- atomic saves ---------------------------------------------------------------------------------

TEST_F(Files, SaveIntoAMissingDirectoryRaises) {
  const std::string target = (dir / "missing" / "ckpt.safetensors").string();
  EXPECT_THROW_MSG(save(small_checkpoint(), target),
                   str("save: cannot create a temporary file beside '", target, "': No such file or directory"));
}

TEST_F(Files, FailedRenameLeavesNoTemporaryFile) {
  fs::create_directories(dir / "occupied" / "child");
  const std::string target = (dir / "occupied").string();
  EXPECT_THROW_MSG(save(small_checkpoint(), target), str("save: replacing '", target, "' failed: "));
  EXPECT_EQ(listing(), (std::vector<std::string>{"occupied"}));
  EXPECT_TRUE(fs::is_directory(dir / "occupied" / "child"));
}

TEST_F(Files, SaveThatFailsMidWriteLeavesThePreviousFileIntact) {
  save(small_checkpoint(), file);
  const Bytes before = read_file(file);

  // Let writes fail with EFBIG once a file reaches 4 KiB (SIGXFSZ would kill the process).
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_THROW_MSG(save({{"big", ones({100, 100})}}, file),
                   str("save: writing '", file, "' failed: File too large (any previous '", file, "' is unchanged)"));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(read_file(file), before);
  EXPECT_EQ(listing(), (std::vector<std::string>{"ckpt.safetensors"}));
  const auto back = load_tensors(file);
  for (const auto& [name, t] : small_checkpoint()) EXPECT_TRUE(same(back.at(name), t)) << name;
}

TEST_F(Files, SaveReplacesThePreviousFile) {
  save(small_checkpoint(), file);
  save({{"only", tensor({7.0f})}}, file);
  const auto back = load_tensors(file);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TENSOR(back.at("only"), {1}, {7});
  EXPECT_EQ(listing(), (std::vector<std::string>{"ckpt.safetensors"}));
}

TEST_F(Files, SaveKilledAtAnyMomentLeavesTheOldOrTheNewCheckpoint) {
  // A child process saves checkpoints A and B in turn over the same path until it
  // is killed (SIGKILL, at a random moment: during a write, the fsync, the rename
  // or between saves). The file then always loads as exactly A or exactly B; the
  // killed save's temporary file may remain beside it.
  const std::map<std::string, Tensor> a = {{"w", full({512, 512}, 1.0f)}, {"step", tensor(int64_t{1})}};
  const std::map<std::string, Tensor> b = {{"w", full({512, 512}, 2.0f)}, {"step", tensor(int64_t{2})}};
  save(a, file);
  std::mt19937 gen(7);
  int saw_a = 0, saw_b = 0;
  for (int round = 0; round < 20; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      try {
        for (int i = 0;; ++i) save(i % 2 ? a : b, file);
      } catch (...) {
      }
      _exit(1);  // never run the rest of the suite in the child
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(gen)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
    const auto back = load_tensors(file);
    ASSERT_EQ(back.size(), 2u);
    const int64_t step = back.at("step").item<int64_t>();
    ASSERT_TRUE(step == 1 || step == 2) << step;
    EXPECT_TRUE(same(back.at("w"), step == 1 ? a.at("w") : b.at("w"))) << "round " << round;
    (step == 1 ? saw_a : saw_b)++;
  }
  EXPECT_EQ(saw_a + saw_b, 20);
  for (const std::string& name : listing())
    EXPECT_TRUE(name == "ckpt.safetensors" || name.starts_with("ckpt.safetensors.tmp-")) << name;
}

TEST_F(Files, SaveRejectsBadInput) {
  EXPECT_THROW_MSG(save({{"u", Tensor()}}, file), str("save: '", file, "': tensor 'u' is undefined"));
  EXPECT_THROW_MSG(save({{"__metadata__", ones({1})}}, file),
                   "the tensor name '__metadata__' is reserved by the safetensors format");
  EXPECT_THROW_MSG(save({{"\xff", ones({1})}}, file), "a tensor name is not valid UTF-8");
  EXPECT_EQ(listing(), std::vector<std::string>{});
}

// ---- modules -------------------------------------------------------------------------------------

namespace {

struct BlockImpl : nn::Module {
  BlockImpl() {
    weight = register_parameter("weight", zeros({2, 3}));
    running = register_buffer("running", zeros({3}, kDouble));
  }
  Tensor forward(const Tensor& x) { return x.matmul(weight.t()); }
  Tensor weight, running;
};
TG_MODULE(Block);

struct NetImpl : nn::Module {
  explicit NetImpl(int64_t width = 2) {
    scale = register_parameter("scale", zeros({width}));
    count = register_buffer("count", zeros({}, kLong));
    block = register_module("block", Block());
  }
  Tensor forward(const Tensor& x) { return block(x) * scale; }
  Tensor scale, count;
  Block block{nullptr};
};
TG_MODULE(Net);

void fill(Net& net, double start) {
  NoGradGuard guard;
  for (auto& t : net->parameters()) t.copy_(arange(t.numel(), kDouble).reshape(t.sizes()) + start);
  for (auto& t : net->buffers()) t.copy_(full(t.sizes(), start + 100, kDouble));
}

}  // namespace

TEST_F(Files, ModuleRoundTripCopiesInPlace) {
  Net saved;
  fill(saved, 1.0);
  save(saved, file);
  const auto names = load_tensors(file);
  std::vector<std::string> keys;
  for (const auto& [name, t] : names) keys.push_back(name);
  EXPECT_EQ(keys, (std::vector<std::string>{"block.running", "block.weight", "count", "scale"}));

  Net net;
  const void* weight_data = net->block->weight.data_ptr();
  load(net, file);
  EXPECT_EQ(net->block->weight.data_ptr(), weight_data);
  EXPECT_TRUE(net->block->weight.requires_grad());
  EXPECT_TRUE(net->block->weight.is_leaf());
  EXPECT_TENSOR(net->scale, {2}, {1, 2});
  EXPECT_TENSOR(net->block->weight, {2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_TENSOR(net->block->running, {3}, {101, 101, 101});
  EXPECT_EQ(net->count.dtype(), kLong);
  EXPECT_EQ(net->count.item<int64_t>(), 101);
}

TEST_F(Files, ModuleOverloadsTakeHoldersPointersAndModules) {
  Net saved;
  fill(saved, 5.0);
  save(saved.ptr(), file);
  Net net;
  load(*net, file);
  EXPECT_TENSOR(net->scale, {2}, {5, 6});
  Net other;
  load(other.ptr(), file);
  EXPECT_TENSOR(other->scale, {2}, {5, 6});
  save(static_cast<const nn::Module&>(*other), file);
  EXPECT_EQ(load_tensors(file).size(), 4u);
}

TEST_F(Files, ModuleLoadRejectsMismatchesAndCopiesNothing) {
  Net saved;
  fill(saved, 1.0);
  save(saved, file);

  Net wider(3);
  EXPECT_THROW_MSG(load(wider, file), str("size mismatch for scale: copying a tensor with shape [2] from '", file,
                                          "', the shape in the current module is [3]"));
  EXPECT_TENSOR(wider->block->weight, {2, 3}, {0, 0, 0, 0, 0, 0});

  auto tensors = load_tensors(file);
  tensors.erase("count");
  tensors["extra"] = ones({1});
  save(tensors, file);
  Net net;
  EXPECT_THROW_MSG(load(net, file), str("Error(s) in loading '", file,
                                        "' into (anonymous namespace)::NetImpl: Missing key(s): \"count\". "
                                        "Unexpected key(s): \"extra\"."));
  EXPECT_TENSOR(net->scale, {2}, {0, 0});
}

TEST_F(Files, ModuleLoadOfATruncatedCheckpointRaisesAndCopiesNothing) {
  Net saved;
  fill(saved, 1.0);
  save(saved, file);
  const Bytes full = read_file(file);
  Net net;
  fill(net, 5.0);
  for (size_t cut = 0; cut < full.size(); ++cut) {
    write_file(file, full.substr(0, cut));
    EXPECT_THROW_MSG(load(net, file), str("'", file, "' is not a valid safetensors file")) << cut;
  }
  EXPECT_TENSOR(net->scale, {2}, {5, 6});
  EXPECT_TENSOR(net->block->weight, {2, 3}, {5, 6, 7, 8, 9, 10});
  EXPECT_TENSOR(net->count, {}, {105});
  write_file(file, full);
  load(net, file);
  EXPECT_TENSOR(net->scale, {2}, {1, 2});
}

TEST_F(Files, ModuleLoadConvertsTheDtype) {
  save({{"scale", tensor({1.25, 2.5}, kDouble)},
        {"count", tensor(int64_t{4})},
        {"block.weight", ones({2, 3}, kDouble)},
        {"block.running", ones({3})}},
       file);
  Net net;
  load(net, file);
  EXPECT_EQ(net->scale.dtype(), kFloat);
  EXPECT_TENSOR(net->scale, {2}, {1.25, 2.5});
  EXPECT_EQ(net->block->running.dtype(), kDouble);
}
