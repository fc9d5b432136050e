#include "kernels/conv_direct.h"

#include <array>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include "core/allocator.h"

namespace tg::kernels {

// Note [Direct convolution]: oneDNN's direct convolution kernels (jit:avx512_core
// here) compute a convolution in place of im2col and a GEMM, in layouts blocked
// by 16 channels. One Zen 4 core, the CNN's second layer (32 -> 64 channels, 3x3,
// 14 x 14 images, 7.2 MFLOP an image): forward 56 us an image (129 GFLOP/s)
// against 74 by im2col and oneDNN's GEMM; input gradient 56 against 75 with
// col2im; weight gradient 63 against 71 with im2col. The plain NCHW tensors are
// reordered to the blocked layouts and back inside each call (1-3 us an image).
// With few channels the blocks are mostly padding, and a 1x1 kernel is already
// one GEMM without im2col: those keep the GEMM path.
//
// Each call runs on the calling thread: oneDNN is allowed one OpenMP thread while
// it makes a primitive (it sizes its work split then) and while it runs it, as
// for its GEMM, and tensorgrad's pool splits the images. A result depends only on
// the images of the call, so the callers cut batches into blocks fixed by the
// batch size, never by the thread count.
//
// The CNN's train step (batch 64, 2 threads, medians of 300 steps in alternating
// runs): 10.3-10.5 ms with im2col; 9.7-9.9 with the primitives' descriptors made
// on every call (4% of the step's CPU time went to oneDNN's library code outside
// the kernels, making them); 9.4-9.5 with them kept per thread and shape.
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

const dnnl::engine& cpu_engine() {
  static const auto* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

class OneOmpThread {
 public:
  OneOmpThread() : threads_(omp_get_max_threads()) {
    if (threads_ != 1) omp_set_num_threads(1);
  }
  ~OneOmpThread() {
    if (threads_ != 1) omp_set_num_threads(threads_);
  }
  OneOmpThread(const OneOmpThread&) = delete;
  OneOmpThread& operator=(const OneOmpThread&) = delete;

 private:
  int threads_;
};

// A blocked copy's memory, from the calling thread's storage cache: memory this
// thread used last (Note [Chunk affinity] in core/parallel.cpp).
class Scratch {
 public:
  explicit Scratch(size_t bytes) : block_(core::allocate_storage(bytes)) {}
  ~Scratch() { core::free_storage(block_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* get() const { return block_.ptr; }

 private:
  core::Block block_;
};

memory::desc plain_desc(int64_t n, int64_t c, int64_t h, int64_t w, Tag tag) {
  return memory::desc({n, c, h, w}, memory::data_type::f32, tag);
}

// One operand of a primitive: its plain tensor's layout, the layout the primitive
// reads or writes, and the reorder between them when they differ.
struct Operand {
  memory::desc plain, wanted;
  std::optional<dnnl::reorder> convert;

  Operand(const memory::desc& plain_desc, const memory::desc& wanted_desc, bool to_plain)
      : plain(plain_desc), wanted(wanted_desc) {
    if (wanted == plain) return;
    const memory from(to_plain ? wanted : plain, cpu_engine(), DNNL_MEMORY_NONE);
    const memory to(to_plain ? plain : wanted, cpu_engine(), DNNL_MEMORY_NONE);
    convert.emplace(from, to);
  }
};

// An operand's memory for one call: the plain tensor itself, or a copy in the
// wanted layout on this thread's storage cache.
class Bound {
 public:
  Bound(const Operand& op, const void* data)
      : op_(&op), plain_(op.plain, cpu_engine(), const_cast<void*>(data)) {
    if (!op.convert) {
      mem_ = plain_;
      return;
    }
    scratch_ = std::make_unique<Scratch>(op.wanted.get_size());
    mem_ = memory(op.wanted, cpu_engine(), scratch_->get());
  }
  // The plain tensor copied into the wanted layout (an input).
  void fill(dnnl::stream& stream) {
    if (op_->convert) op_->convert->execute(stream, plain_, mem_);
  }
  // The result copied back to the plain tensor (an output).
  void finish(dnnl::stream& stream) {
    if (op_->convert) op_->convert->execute(stream, mem_, plain_);
  }
  const memory& get() const { return mem_; }

 private:
  const Operand* op_;
  memory plain_, mem_;
  std::unique_ptr<Scratch> scratch_;
};

// A primitive with its operands, made once per thread and shape: making the
// primitive descriptor walks oneDNN's list of implementations, and made on every
// call it took 4% of the CNN train step's CPU time. Its scratchpad is ours (user
// mode), so the primitive is safe to run on several threads at once whatever
// oneDNN's build.
struct Prepared {
  dnnl::primitive primitive;
  memory::desc scratchpad;
  std::vector<std::pair<int, Operand>> operands;  // by DNNL_ARG_*: the inputs, then the output
};

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

enum class Pass { kForward, kForwardBias, kBackwardData, kBackwardWeights };

}  // namespace

struct DirectConv::State {
  ConvGeometry g;
  int64_t out_channels = 0;
  const float* weight = nullptr;
  memory::dims strides, dilates, pad_l, pad_r;

  memory::desc images(int64_t n, Tag tag) const { return plain_desc(n, g.channels, g.height, g.width, tag); }
  memory::desc outputs(int64_t n, Tag tag) const { return plain_desc(n, out_channels, g.out_h, g.out_w, tag); }
  memory::desc weights(Tag tag) const { return plain_desc(out_channels, g.channels, g.kernel_h, g.kernel_w, tag); }

  dnnl::convolution_forward::primitive_desc forward(int64_t n, bool bias, const dnnl::primitive_attr& attr = {}) const {
    const memory::desc bias_desc = bias ? memory::desc({out_channels}, memory::data_type::f32, Tag::x) : memory::desc();
    const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                            images(n, Tag::any), weights(Tag::any), bias_desc, outputs(n, Tag::any),
                                            strides, dilates, pad_l, pad_r);
    return {d, attr, cpu_engine()};
  }
  dnnl::convolution_backward_data::primitive_desc backward_data(int64_t n,
                                                                const dnnl::primitive_attr& attr = {}) const {
    const dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, images(n, Tag::any),
                                                  weights(Tag::any), outputs(n, Tag::any), strides, dilates, pad_l,
                                                  pad_r);
    return {d, attr, cpu_engine(), forward(n, false)};
  }
  dnnl::convolution_backward_weights::primitive_desc backward_weights(int64_t n,
                                                                      const dnnl::primitive_attr& attr = {}) const {
    const dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, images(n, Tag::any),
                                                     weights(Tag::any), memory::desc(), outputs(n, Tag::any), strides,
                                                     dilates, pad_l, pad_r);
    return {d, attr, cpu_engine(), forward(n, false)};
  }

  Prepared prepare(Pass pass, int64_t n) const {
    const dnnl::primitive_attr attr = user_scratchpad();
    Prepared p;
    switch (pass) {
      case Pass::kForward:
      case Pass::kForwardBias: {
        const auto pd = forward(n, pass == Pass::kForwardBias, attr);
        p.primitive = dnnl::convolution_forward(pd);
        p.scratchpad = pd.scratchpad_desc();
        p.operands.emplace_back(DNNL_ARG_SRC, Operand(images(n, Tag::nchw), pd.src_desc(), false));
        p.operands.emplace_back(DNNL_ARG_WEIGHTS, Operand(weights(Tag::oihw), pd.weights_desc(), false));
        if (pass == Pass::kForwardBias)
          p.operands.emplace_back(DNNL_ARG_BIAS, Operand(pd.bias_desc(), pd.bias_desc(), false));
        p.operands.emplace_back(DNNL_ARG_DST, Operand(outputs(n, Tag::nchw), pd.dst_desc(), true));
        break;
      }
      case Pass::kBackwardData: {
        const auto pd = backward_data(n, attr);
        p.primitive = dnnl::convolution_backward_data(pd);
        p.scratchpad = pd.scratchpad_desc();
        p.operands.emplace_back(DNNL_ARG_DIFF_DST, Operand(outputs(n, Tag::nchw), pd.diff_dst_desc(), false));
        p.operands.emplace_back(DNNL_ARG_WEIGHTS, Operand(weights(Tag::oihw), pd.weights_desc(), false));
        p.operands.emplace_back(DNNL_ARG_DIFF_SRC, Operand(images(n, Tag::nchw), pd.diff_src_desc(), true));
        break;
      }
      case Pass::kBackwardWeights: {
        const auto pd = backward_weights(n, attr);
        p.primitive = dnnl::convolution_backward_weights(pd);
        p.scratchpad = pd.scratchpad_desc();
        p.operands.emplace_back(DNNL_ARG_SRC, Operand(images(n, Tag::nchw), pd.src_desc(), false));
        p.operands.emplace_back(DNNL_ARG_DIFF_DST, Operand(outputs(n, Tag::nchw), pd.diff_dst_desc(), false));
        p.operands.emplace_back(DNNL_ARG_DIFF_WEIGHTS, Operand(weights(Tag::oihw), pd.diff_weights_desc(), true));
        break;
      }
    }
    return p;
  }

  // This thread's prepared primitive for the pass over n images.
  const Prepared& prepared(Pass pass, int64_t n) const {
    thread_local std::map<Key, Prepared> cache;
    const Key k = key(static_cast<int64_t>(pass), n);
    auto it = cache.find(k);
    if (it != cache.end()) return it->second;
    // A program that runs many shapes keeps only the latest ones.
    if (cache.size() >= kMaxCached) cache.clear();
    return cache.emplace(k, prepare(pass, n)).first->second;
  }

  // Whether oneDNN has direct kernels for all three passes (asked once per thread
  // and geometry: each question makes primitive descriptors).
  bool available() const {
    thread_local std::map<Key, bool> cache;
    const Key k = key(-1, 0);
    auto it = cache.find(k);
    if (it != cache.end()) return it->second;
    if (cache.size() >= kMaxCached) cache.clear();
    return cache.emplace(k, has_direct_kernels()).first->second;
  }

  // Runs the pass over n images: args are the operands' plain tensors, in the
  // order prepare() lists them.
  void run(Pass pass, int64_t n, std::initializer_list<const void*> args) const {
    OneOmpThread one;
    const Prepared& p = prepared(pass, n);
    dnnl::stream stream(cpu_engine());
    std::vector<Bound> bound;
    bound.reserve(p.operands.size());
    auto data = args.begin();
    for (const auto& [arg, operand] : p.operands) bound.emplace_back(operand, *data++);
    const size_t inputs = p.operands.size() - 1;
    std::unordered_map<int, memory> exec_args;
    for (size_t i = 0; i < bound.size(); ++i) {
      if (i < inputs) bound[i].fill(stream);
      exec_args.emplace(p.operands[i].first, bound[i].get());
    }
    std::optional<Scratch> scratchpad;
    if (p.scratchpad.get_size() > 0) {
      scratchpad.emplace(p.scratchpad.get_size());
      exec_args.emplace(DNNL_ARG_SCRATCHPAD, memory(p.scratchpad, cpu_engine(), scratchpad->get()));
    }
    p.primitive.execute(stream, exec_args);
    bound.back().finish(stream);
    stream.wait();
  }

  using Key = std::array<int64_t, 16>;
  Key key(int64_t pass, int64_t n) const {
    return {pass,       n,          out_channels, g.channels, g.height, g.width,      g.kernel_h,   g.kernel_w,
            g.stride_h, g.stride_w, g.pad_h,      g.pad_w,    g.out_h,  g.dilation_h, g.dilation_w, g.out_w};
  }

  bool has_direct_kernels() const {
    const auto direct = [](const char* impl) { return std::strncmp(impl, "jit", 3) == 0; };
    OneOmpThread one;
    try {
      return direct(forward(1, true).impl_info_str()) && direct(backward_data(1).impl_info_str()) &&
             direct(backward_weights(1).impl_info_str());
    } catch (const dnnl::error&) {
      return false;  // a geometry oneDNN does not take (the GEMM path takes every one)
    }
  }

  static constexpr size_t kMaxCached = 64;
};

namespace {
// Below this many channels in or out the 16-channel blocks are mostly padding.
constexpr int64_t kMinChannels = 16;
}  // namespace

std::unique_ptr<DirectConv> DirectConv::make(const ConvGeometry& g, int64_t out_channels, const float* weight) {
  if (g.channels < kMinChannels || out_channels < kMinChannels || g.is_identity()) return nullptr;
  auto s = std::make_unique<State>();
  s->g = g;
  s->out_channels = out_channels;
  s->weight = weight;
  // oneDNN counts dilation from 0 and takes the bottom / right padding explicitly
  // (negative when the last rows or columns are not reached).
  s->strides = {g.stride_h, g.stride_w};
  s->dilates = {g.dilation_h - 1, g.dilation_w - 1};
  s->pad_l = {g.pad_h, g.pad_w};
  s->pad_r = {(g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1 - g.height - g.pad_h,
              (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1 - g.width - g.pad_w};
  if (!s->available()) return nullptr;
  return std::unique_ptr<DirectConv>(new DirectConv(std::move(s)));
}

DirectConv::DirectConv(std::unique_ptr<State> state) : state_(std::move(state)) {}
DirectConv::~DirectConv() = default;

void DirectConv::forward(const float* x, const float* bias, float* out, int64_t images) const {
  if (bias) state_->run(Pass::kForwardBias, images, {x, state_->weight, bias, out});
  else state_->run(Pass::kForward, images, {x, state_->weight, out});
}

void DirectConv::backward_data(const float* gy, float* gx, int64_t images) const {
  state_->run(Pass::kBackwardData, images, {gy, state_->weight, gx});
}

void DirectConv::backward_weights(const float* x, const float* gy, float* gw, int64_t images) const {
  state_->run(Pass::kBackwardWeights, images, {x, gy, gw});
}

}  // namespace tg::kernels
