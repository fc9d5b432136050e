// tg::nn modules: registration and traversal, holders, train/eval, zero_grad,
// printing, default initialisation, the layers' forward passes and a small
// training run. Expected names, messages and printed forms are libtorch 1.13's
// (with tg:: for torch::), taken from running the same code against it.
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

using namespace tg;
namespace F = tg::nn::functional;

// ---- models used below (at global scope: name() is the demangled class name) --------------
struct NetImpl : nn::Module {
  NetImpl() {
    features = register_module(
        "features", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2)));
    fc1 = register_module("fc1", nn::Linear(16, 8));
    fc2 = register_module("fc2", nn::Linear(nn::LinearOptions(8, 2).bias(false)));
    register_buffer("running", zeros({2}));
    scale = register_parameter("scale", ones({1}));
  }
  Tensor forward(const Tensor& x) { return fc2(fc1(features->forward(x).flatten(1))) * scale; }

  nn::Sequential features{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr};
  Tensor scale;
};
TORCH_MODULE(Net);

// A module ported from libtorch code unchanged: TORCH_MODULE, holder members, forward.
struct TwoLayerImpl : nn::Module {
  TwoLayerImpl(int64_t in, int64_t hidden, int64_t out)
      : fc1(register_module("fc1", nn::Linear(in, hidden))), fc2(register_module("fc2", nn::Linear(hidden, out))) {}
  Tensor forward(Tensor x) { return fc2(tanh(fc1(x))); }
  nn::Linear fc1, fc2;
};
TORCH_MODULE(TwoLayer);

struct ScaleImpl : nn::Module {
  explicit ScaleImpl(double factor) : factor(factor) {}
  Tensor forward(const Tensor& x) { return x * factor; }
  double factor;
};
TG_MODULE(Scale);

// A module without forward(): its holder did not compile (the holder's call
// operator looked forward() up with the class).
struct EncoderImpl : nn::Module {
  EncoderImpl() { proj = register_module("proj", nn::Linear(2, 3)); }
  Tensor encode(const Tensor& x) { return proj(x); }
  nn::Linear proj{nullptr};
};
TORCH_MODULE(Encoder);

namespace {

std::string printed(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

template <class H>
std::string printed(const nn::ModuleHolder<H>& h) {
  std::ostringstream os;
  os << h;
  return os.str();
}

std::vector<int64_t> shape(const Tensor& t) { return t.sizes().vec(); }

double stddev(const Tensor& t) {
  Tensor d = t.to(kDouble);
  return (d - d.mean()).square().mean().sqrt().item<double>();
}

double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

// ---- OrderedDict -----------------------------------------------------------------------------
TEST(OrderedDict, KeepsInsertionOrderAndLooksUpByKeyAndIndex) {
  OrderedDict<std::string, int> d("Thing");
  d.insert("b", 2);
  d.insert("a", 1);
  d.insert("c", 3);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(d.values(), (std::vector<int>{2, 1, 3}));
  EXPECT_EQ(d["a"], 1);
  EXPECT_EQ(d[2].key(), "c");
  EXPECT_EQ(*d[0], 2);
  EXPECT_TRUE(d.contains("c"));
  EXPECT_EQ(d.find("z"), nullptr);
  d.erase("a");
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(d["c"], 3);
  EXPECT_THROW_MSG(d["z"], "Thing 'z' is not defined");
  EXPECT_THROW_MSG(d.insert("b", 5), "Thing 'b' already defined");
  EXPECT_THROW_MSG(d[7], "Index 7 is out of bounds");
  d.clear();
  EXPECT_TRUE(d.is_empty());
  EXPECT_THROW_MSG(d.front(), "Called front() on an empty OrderedDict");
}

// ---- registration and traversal ----------------------------------------------------------------
TEST(Module, NamedParametersOfANestedModelInRegistrationOrder) {
  Net net;
  auto params = net->named_parameters();
  EXPECT_EQ(params.keys(), (std::vector<std::string>{"scale", "features.0.weight", "features.0.bias", "fc1.weight",
                                                      "fc1.bias", "fc2.weight"}));
  std::vector<std::vector<int64_t>> shapes;
  for (auto& p : params) shapes.push_back(shape(p.value()));
  EXPECT_EQ(shapes, (std::vector<std::vector<int64_t>>{{1}, {4, 1, 3, 3}, {4}, {8, 16}, {8}, {2, 8}}));
  int64_t total = 0;
  for (const Tensor& p : net->parameters()) total += p.numel();
  EXPECT_EQ(total, 1 + 36 + 4 + 128 + 8 + 16);
  EXPECT_EQ(net->parameters().size(), 6u);
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.requires_grad() && p.is_leaf());
  // The dict's values are the module's tensors themselves, not copies.
  EXPECT_TRUE(params["fc1.weight"].is_same(net->fc1->weight));
  EXPECT_TRUE(params.values()[1].is_same(net->features[0]->named_parameters()["weight"]));
}

TEST(Module, NonRecursiveBuffersChildrenAndModules) {
  Net net;
  EXPECT_EQ(net->named_parameters(/*recurse=*/false).keys(), (std::vector<std::string>{"scale"}));
  EXPECT_EQ(net->named_buffers().keys(), (std::vector<std::string>{"running"}));
  EXPECT_FALSE(net->named_buffers()["running"].requires_grad());
  EXPECT_EQ(net->buffers().size(), 1u);
  EXPECT_EQ(net->named_children().keys(), (std::vector<std::string>{"features", "fc1", "fc2"}));
  EXPECT_EQ(net->children().size(), 3u);
  EXPECT_EQ(net->named_modules().keys(), (std::vector<std::string>{"", "features", "features.0", "features.1",
                                                                    "features.2", "fc1", "fc2"}));
  EXPECT_EQ(net->named_modules("net").keys()[3], "net.features.1");
  EXPECT_EQ(net->modules().size(), 7u);
  EXPECT_EQ(net->modules(/*include_self=*/false).size(), 6u);
  EXPECT_EQ(net->modules()[0].get(), net.get());
  EXPECT_EQ(net->named_children()["fc1"]->name(), "tg::nn::LinearImpl");
  EXPECT_EQ(net->name(), "NetImpl");
  EXPECT_EQ(nn::Module().name(), "tg::nn::Module");
  EXPECT_EQ(nn::Module("custom").name(), "custom");
}

TEST(Module, ApplyVisitsEveryModuleDepthFirstWithDottedNames) {
  Net net;
  std::vector<std::string> names;
  net->apply([&](const std::string& name, nn::Module& m) { names.push_back(name + "=" + m.name()); }, "root");
  EXPECT_EQ(names, (std::vector<std::string>{"root=NetImpl", "root.features=tg::nn::SequentialImpl",
                                             "root.features.0=tg::nn::Conv2dImpl",
                                             "root.features.1=tg::nn::ReLUImpl",
                                             "root.features.2=tg::nn::MaxPool2dImpl",
                                             "root.fc1=tg::nn::LinearImpl", "root.fc2=tg::nn::LinearImpl"}));
  int count = 0;
  net->apply([&](nn::Module&) { ++count; });
  EXPECT_EQ(count, 7);
  EXPECT_NE(net->fc1->as<nn::Linear>(), nullptr);
  EXPECT_EQ(net->fc1->as<nn::Linear>()->options.in_features(), 16);
  EXPECT_EQ(net->fc1->as<nn::Conv2dImpl>(), nullptr);
}

TEST(Module, UndefinedParametersAreRegisteredButSkipped) {
  nn::Module m;
  Tensor& u = m.register_parameter("u", Tensor());
  EXPECT_FALSE(u.defined());
  Tensor& v = m.register_parameter("v", ones({2}), /*requires_grad=*/false);
  EXPECT_FALSE(v.requires_grad());
  EXPECT_EQ(m.named_parameters().keys(), (std::vector<std::string>{"v"}));
  nn::Linear no_bias(nn::LinearOptions(3, 2).bias(false));
  EXPECT_FALSE(no_bias->bias.defined());
  EXPECT_EQ(no_bias->named_parameters().keys(), (std::vector<std::string>{"weight"}));
  nn::Conv2d conv(nn::Conv2dOptions(1, 4, 3).bias(false));
  EXPECT_EQ(conv->parameters().size(), 1u);
}

TEST(Module, RegistrationErrorsUseLibtorchMessages) {
  Net net;
  EXPECT_THROW_MSG(net->register_parameter("scale", ones({1})), "Parameter 'scale' already defined");
  EXPECT_THROW_MSG(net->register_parameter("a.b", ones({1})), "Parameter name must not contain a dot (got 'a.b')");
  EXPECT_THROW_MSG(net->register_parameter("", ones({1})), "Parameter name must not be empty");
  EXPECT_THROW_MSG(net->register_parameter("idx", ones({1}, kLong)), "floating point");
  EXPECT_THROW_MSG(net->register_buffer("running", ones({1})), "Buffer 'running' already defined");
  EXPECT_THROW_MSG(net->register_buffer("x.y", ones({1})), "Buffer name must not contain a dot (got 'x.y')");
  EXPECT_THROW_MSG(net->register_buffer("", ones({1})), "Buffer name must not be empty");
  EXPECT_THROW_MSG(net->register_module("fc1", nn::Linear(1, 1)), "Submodule 'fc1' already defined");
  EXPECT_THROW_MSG(net->register_module("a.b", nn::Linear(1, 1)), "Submodule name must not contain a dot (got 'a.b')");
  EXPECT_THROW_MSG(net->register_module("", nn::Linear(1, 1)), "Submodule name must not be empty");
  EXPECT_THROW_MSG(net->register_module("empty", nn::Linear(nullptr)), "Accessing empty ModuleHolder");
  EXPECT_THROW_MSG(net->named_parameters()["nope"], "Key 'nope' is not defined");
  EXPECT_THROW_MSG(net->unregister_module("nope"), "No Module with name `nope` is registered");
  EXPECT_EQ(net->named_parameters().size(), 6u);
}

TEST(Module, ModulesOfAStackModuleNeedIncludeSelfFalse) {
  nn::Module m;
  m.register_module("fc", nn::Linear(1, 1));
  EXPECT_THROW_MSG(m.modules(), "Use std::make_shared<tg::nn::Module> instead of creating your module on the stack");
  EXPECT_EQ(m.modules(/*include_self=*/false).size(), 1u);
}

TEST(Module, ReplaceAndUnregisterModule) {
  Net net;
  auto replacement = net->replace_module("fc1", nn::Linear(16, 3));
  EXPECT_EQ(replacement->options.out_features(), 3);
  EXPECT_EQ(shape(net->named_parameters()["fc1.weight"]), (std::vector<int64_t>{3, 16}));
  net->unregister_module("fc2");
  EXPECT_EQ(net->named_children().keys(), (std::vector<std::string>{"features", "fc1"}));
}

// ---- holders -----------------------------------------------------------------------------------
TEST(ModuleHolder, NullptrThenAssignedAndCopiesShareTheModule) {
  nn::Linear empty = nullptr;
  EXPECT_TRUE(empty.is_empty());
  EXPECT_FALSE(static_cast<bool>(empty));
  EXPECT_THROW_MSG(empty->forward(ones({1, 1})), "Accessing empty ModuleHolder");
  EXPECT_THROW_MSG(empty.ptr(), "Accessing empty ModuleHolder");
  EXPECT_THROW_MSG(empty(ones({1, 1})), "Accessing empty ModuleHolder");
  empty = nn::Linear(2, 3);
  EXPECT_FALSE(empty.is_empty());
  EXPECT_EQ(shape(empty->weight), (std::vector<int64_t>{3, 2}));
  nn::Linear copy = empty;
  EXPECT_EQ(copy.get(), empty.get());
  EXPECT_EQ(&*copy, empty.ptr().get());
  std::shared_ptr<nn::LinearImpl> p = copy.ptr();
  EXPECT_EQ(p.use_count(), 3);
  nn::Linear from_ptr(std::make_shared<nn::LinearImpl>(4, 5));
  EXPECT_EQ(from_ptr->options.in_features(), 4);
}

TEST(ModuleHolder, CustomModulesWithTorchModuleAndTgModule) {
  manual_seed(3);
  TwoLayer model(3, 5, 2);
  EXPECT_EQ(model->named_parameters().keys(),
            (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  Tensor x = tensor({{1.0f, -1.0f, 0.5f}});
  Tensor expected = model->fc2->forward(tanh(model->fc1->forward(x)));
  EXPECT_TRUE(model(x).equal(expected));
  EXPECT_TRUE(model->forward(x).equal(expected));
  EXPECT_EQ(shape(model(x)), (std::vector<int64_t>{1, 2}));
  Scale s(2.5);
  EXPECT_TENSOR(s(tensor({1.0f, -2.0f})), {2}, {2.5, -5.0});
  static_assert(std::is_same_v<Scale::Impl, ScaleImpl>);
  static_assert(std::is_same_v<Scale::ContainedType, ScaleImpl>);
}

TEST(ModuleHolder, ModulesAreFreedWithTheirLastOwner) {
  std::weak_ptr<nn::Module> child, top;
  Tensor weight;
  {
    Net net;
    top = net.ptr();
    child = net->fc1.ptr();
    weight = net->fc1->weight;
    EXPECT_GT(weight.use_count(), 1);
  }
  EXPECT_TRUE(top.expired());
  EXPECT_TRUE(child.expired());
  EXPECT_EQ(weight.use_count(), 1);
}

// ---- train / eval / zero_grad / to ---------------------------------------------------------------
TEST(Module, TrainAndEvalPropagateToChildren) {
  Net net;
  EXPECT_TRUE(net->is_training());
  net->eval();
  EXPECT_FALSE(net->is_training());
  EXPECT_FALSE(net->fc1->is_training());
  EXPECT_FALSE(net->features[0]->is_training());
  net->features->train();
  EXPECT_TRUE(net->features[2]->is_training());
  EXPECT_FALSE(net->is_training());
  net->train(true);
  for (const auto& m : net->modules()) EXPECT_TRUE(m->is_training());
}

TEST(Module, ZeroGradZeroesOrDropsGradients) {
  nn::Sequential seq(nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1));
  Tensor x = tensor({{1.0f, 2.0f}, {-1.0f, 0.5f}});
  seq->forward(x).sum().backward();
  auto& w = seq->ptr<nn::LinearImpl>(0)->weight;
  ASSERT_TRUE(w.grad().defined());
  EXPECT_GT(w.grad().abs().sum().item<float>(), 0.0f);
  seq->zero_grad();  // libtorch 1.13's default: set_to_none = false
  for (const Tensor& p : seq->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
  }
  seq->forward(x).sum().backward();
  seq->zero_grad(/*set_to_none=*/true);
  for (const Tensor& p : seq->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, ToDtypeConvertsInPlaceKeepingIdentity) {
  Net net;
  Tensor w = net->fc1->weight;
  Tensor before = w.clone();
  net->to(kDouble);
  EXPECT_EQ(w.dtype(), kDouble);
  EXPECT_EQ(net->fc1->weight.dtype(), kDouble);
  EXPECT_EQ(net->named_buffers()["running"].dtype(), kDouble);
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.allclose(before.to(kDouble)));
  for (const Tensor& p : net->parameters()) EXPECT_EQ(p.dtype(), kDouble);
}

// ---- printing --------------------------------------------------------------------------------------
TEST(Module, PrintsLikeLibtorch) {
  Net net;
  EXPECT_EQ(printed(net),
            "NetImpl(\n"
            "  (features): tg::nn::Sequential(\n"
            "    (0): tg::nn::Conv2d(1, 4, kernel_size=[3, 3], stride=[1, 1], padding=[1, 1])\n"
            "    (1): tg::nn::ReLU()\n"
            "    (2): tg::nn::MaxPool2d(kernel_size=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], "
            "ceil_mode=false)\n"
            "  )\n"
            "  (fc1): tg::nn::Linear(in_features=16, out_features=8, bias=true)\n"
            "  (fc2): tg::nn::Linear(in_features=8, out_features=2, bias=false)\n"
            ")");
  EXPECT_EQ(printed(*net), printed(net));
}

TEST(Module, PrintsEachLayerLikeLibtorch) {
  EXPECT_EQ(printed(nn::Conv2d(nn::Conv2dOptions(1, 4, {3, 2}).padding(kSame).dilation(2).bias(false))),
            "tg::nn::Conv2d(1, 4, kernel_size=[3, 2], stride=[1, 1], padding='same', dilation=[2, 2], bias=false)");
  EXPECT_EQ(printed(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(kValid))),
            "tg::nn::Conv2d(1, 4, kernel_size=[3, 3], stride=[1, 1], padding='valid')");
  EXPECT_EQ(printed(nn::Conv2d(nn::Conv2dOptions(2, 4, 3).stride(2).padding({1, 2}).groups(2))),
            "tg::nn::Conv2d(2, 4, kernel_size=[3, 3], stride=[2, 2], padding=[1, 2], groups=2)");
  EXPECT_EQ(printed(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1).dilation(2).ceil_mode(true))),
            "tg::nn::MaxPool2d(kernel_size=[3, 3], stride=[2, 2], padding=[1, 1], dilation=[2, 2], ceil_mode=true)");
  EXPECT_EQ(printed(nn::Embedding(10, 3)), "tg::nn::Embedding(num_embeddings=10, embedding_dim=3)");
  EXPECT_EQ(printed(nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(-2))),
            "tg::nn::Embedding(num_embeddings=10, embedding_dim=3, padding_idx=8)");
  EXPECT_EQ(printed(nn::LayerNorm(nn::LayerNormOptions({4, 5}).eps(1e-6).elementwise_affine(false))),
            "tg::nn::LayerNorm([4, 5], eps=1e-06, elementwise_affine=false)");
  EXPECT_EQ(printed(nn::LayerNorm(nn::LayerNormOptions({4}))),
            "tg::nn::LayerNorm([4], eps=1e-05, elementwise_affine=true)");
  EXPECT_EQ(printed(nn::Dropout(0.2)), "tg::nn::Dropout(p=0.2, inplace=false)");
  EXPECT_EQ(printed(nn::Dropout()), "tg::nn::Dropout(p=0.5, inplace=false)");
  EXPECT_EQ(printed(nn::Dropout(nn::DropoutOptions(0.3).inplace(true))), "tg::nn::Dropout(p=0.3, inplace=true)");
  EXPECT_EQ(printed(nn::ReLU()), "tg::nn::ReLU()");
  EXPECT_EQ(printed(nn::ReLU(true)), "tg::nn::ReLU(inplace=true)");
  EXPECT_EQ(printed(nn::GELU(nn::GELUOptions().approximate("tanh"))), "tg::nn::GELU()");
  EXPECT_EQ(printed(nn::Tanh()), "tg::nn::Tanh()");
  EXPECT_EQ(printed(nn::Sigmoid()), "tg::nn::Sigmoid()");
  EXPECT_EQ(printed(nn::Flatten()), "tg::nn::Flatten(start_dim=1, end_dim=-1)");
  EXPECT_EQ(printed(nn::Flatten(nn::FlattenOptions().start_dim(0).end_dim(2))),
            "tg::nn::Flatten(start_dim=0, end_dim=2)");
  EXPECT_EQ(printed(nn::Linear(3, 4)), "tg::nn::Linear(in_features=3, out_features=4, bias=true)");
  EXPECT_EQ(printed(nn::Sequential()), "tg::nn::Sequential");
  EXPECT_EQ(printed(nn::Sequential({{"a", nn::Linear(2, 3)}, {"b", nn::ReLU()}})),
            "tg::nn::Sequential(\n"
            "  (a): tg::nn::Linear(in_features=2, out_features=3, bias=true)\n"
            "  (b): tg::nn::ReLU()\n"
            ")");
  EXPECT_EQ(printed(Scale(2.0)), "ScaleImpl");
}

// ---- initialisation --------------------------------------------------------------------------------
TEST(Init, LinearDefaultIsKaimingUniformWithBiasBound) {
  manual_seed(0);
  nn::Linear big(1000, 1000);
  // b = gain·√(3/fan_in) with gain = √(2/(1+5)) is 1/√fan_in.
  const double b = 1.0 / std::sqrt(1000.0);
  EXPECT_LE(max_abs(big->weight), b);
  EXPECT_GT(max_abs(big->weight), 0.999 * b);
  EXPECT_NEAR(big->weight.mean().item<float>(), 0.0, 0.002 * b);
  EXPECT_NEAR(stddev(big->weight), b / std::sqrt(3.0), 0.005 * b);
  EXPECT_LE(max_abs(big->bias), b);
  EXPECT_GT(max_abs(big->bias), 0.9 * b);
  EXPECT_EQ(big->weight.dtype(), kFloat);
  EXPECT_TRUE(big->weight.is_leaf());
  EXPECT_EQ(big->weight.grad_fn(), nullptr);
}

TEST(Init, Conv2dDefaultUsesFanInOverTheReceptiveField) {
  manual_seed(1);
  nn::Conv2d conv(nn::Conv2dOptions(32, 64, 3).groups(2));
  EXPECT_EQ(shape(conv->weight), (std::vector<int64_t>{64, 16, 3, 3}));
  const double b = 1.0 / std::sqrt(16.0 * 9.0);  // fan_in = 16·3·3 = 144
  EXPECT_LE(max_abs(conv->weight), b);
  EXPECT_GT(max_abs(conv->weight), 0.99 * b);
  EXPECT_NEAR(stddev(conv->weight), b / std::sqrt(3.0), 0.02 * b);
  EXPECT_LE(max_abs(conv->bias), b);
}

TEST(Init, EmbeddingIsStandardNormalAndLayerNormOnesZeros) {
  manual_seed(2);
  nn::Embedding emb(nn::EmbeddingOptions(2000, 50).padding_idx(3));
  EXPECT_NEAR(emb->weight.mean().item<float>(), 0.0, 0.01);
  EXPECT_NEAR(stddev(emb->weight), 1.0, 0.01);
  EXPECT_TENSOR(emb->weight[3].sum(), {}, {0.0});
  EXPECT_EQ(emb->weight[3].abs().max().item<float>(), 0.0f);
  nn::LayerNorm ln(nn::LayerNormOptions({2, 3}));
  EXPECT_TENSOR(ln->weight, {2, 3}, {1, 1, 1, 1, 1, 1});
  EXPECT_TENSOR(ln->bias, {2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_EQ(ln->named_parameters().keys(), (std::vector<std::string>{"weight", "bias"}));
  nn::LayerNorm plain(nn::LayerNormOptions({4}).elementwise_affine(false));
  EXPECT_EQ(plain->parameters().size(), 0u);
  EXPECT_FALSE(plain->weight.defined());
}

TEST(Init, ManualSeedMakesInitialisationRepeatable) {
  manual_seed(7);
  nn::Linear a(3, 4);
  manual_seed(7);
  nn::Linear b(3, 4);
  EXPECT_TRUE(a->weight.equal(b->weight));
  EXPECT_TRUE(a->bias.equal(b->bias));
  nn::Linear c(3, 4);
  EXPECT_FALSE(a->weight.equal(c->weight));
}

TEST(Init, UniformNormalAndConstantFillInPlace) {
  manual_seed(4);
  Tensor t = empty({100000});
  Tensor r = nn::init::uniform_(t, -2, 3);
  EXPECT_TRUE(r.is_same(t));
  EXPECT_GE(t.min().item<float>(), -2.0f);
  EXPECT_LE(t.max().item<float>(), 3.0f);
  EXPECT_NEAR(t.mean().item<float>(), 0.5, 0.03);
  EXPECT_NEAR(stddev(t), 5.0 / std::sqrt(12.0), 0.02);
  nn::init::normal_(t, 1, 2);
  EXPECT_NEAR(t.mean().item<float>(), 1.0, 0.03);
  EXPECT_NEAR(stddev(t), 2.0, 0.03);
  Tensor d = empty({2, 2}, kDouble);
  nn::init::constant_(d, 2.5);
  EXPECT_TENSOR(d, {2, 2}, {2.5, 2.5, 2.5, 2.5});
  nn::init::zeros_(d);
  EXPECT_TENSOR(d, {2, 2}, {0, 0, 0, 0});
  nn::init::ones_(d);
  EXPECT_TENSOR(d, {2, 2}, {1, 1, 1, 1});
}

TEST(Init, InitialisersRunWithoutRecordingAndBumpTheVersion) {
  Tensor w = ones({2, 2}, requires_grad());
  const auto v0 = w._version();
  nn::init::uniform_(w, 0, 1);
  EXPECT_EQ(w._version(), v0 + 1);
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.requires_grad());
  nn::init::zeros_(w);
  EXPECT_EQ(w._version(), v0 + 2);
  EXPECT_EQ(w.grad_fn(), nullptr);
}

TEST(Init, KaimingAndXavierBoundsAndStatistics) {
  manual_seed(5);
  Tensor w = empty({200, 300});
  nn::init::kaiming_uniform_(w);  // a = 0, fan_in, leaky_relu: gain √(2/1.0)... with a = 0 it is √2
  const double b_in = std::sqrt(2.0) * std::sqrt(3.0 / 300.0);
  EXPECT_LE(max_abs(w), b_in);
  EXPECT_GT(max_abs(w), 0.999 * b_in);
  nn::init::kaiming_uniform_(w, 0, kFanOut);
  const double b_out = std::sqrt(2.0) * std::sqrt(3.0 / 200.0);
  EXPECT_LE(max_abs(w), b_out);
  EXPECT_GT(max_abs(w), 0.999 * b_out);
  nn::init::kaiming_normal_(w, 0, kFanIn, kReLU);
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / 300.0), 0.02 * std::sqrt(2.0 / 300.0));
  EXPECT_NEAR(w.mean().item<float>(), 0.0, 0.002);
  nn::init::kaiming_normal_(w, 0, kFanOut, kTanh);
  EXPECT_NEAR(stddev(w), (5.0 / 3.0) / std::sqrt(200.0), 0.02 * (5.0 / 3.0) / std::sqrt(200.0));
  nn::init::xavier_uniform_(w);
  const double bx = std::sqrt(6.0 / 500.0);
  EXPECT_LE(max_abs(w), bx);
  EXPECT_GT(max_abs(w), 0.999 * bx);
  nn::init::xavier_normal_(w, 2.0);
  EXPECT_NEAR(stddev(w), 2.0 * std::sqrt(2.0 / 500.0), 0.02 * 2.0 * std::sqrt(2.0 / 500.0));
}

TEST(Init, GainsFansAndErrors) {
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(kLinear), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(kConv2D), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(kSigmoid), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(kTanh), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(kReLU), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(kLeakyReLU), std::sqrt(2.0 / 1.0001));
  EXPECT_NEAR(nn::init::calculate_gain(kLeakyReLU, std::sqrt(5.0)), 0.57735027, 1e-8);
  EXPECT_EQ(nn::init::_calculate_fan_in_and_fan_out(empty({4, 3, 5, 2})), std::make_tuple(int64_t(30), int64_t(40)));
  EXPECT_EQ(nn::init::_calculate_fan_in_and_fan_out(empty({7, 3})), std::make_tuple(int64_t(3), int64_t(7)));
  EXPECT_THROW_MSG(nn::init::kaiming_uniform_(empty({3})),
                   "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  EXPECT_THROW_MSG(nn::init::xavier_normal_(empty({3})),
                   "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  EXPECT_THROW_MSG(nn::init::uniform_(empty({3}), 1, 0),
                   "uniform_ expects to return a [from, to) range, but found from=1 > to=0");
  EXPECT_THROW_MSG(nn::init::normal_(empty({3}), 0, -1), "normal expects std >= 0.0, but found std -1");
  EXPECT_THROW_MSG(nn::init::uniform_(empty({3}, kLong)), "\"check_uniform_bounds\" not implemented for 'Long'");
  EXPECT_THROW_MSG(nn::init::normal_(empty({3}, kLong)), "\"normal_kernel_cpu\" not implemented for 'Long'");
}

// ---- layers ----------------------------------------------------------------------------------------
TEST(Layers, LinearForwardWithSetWeights) {
  nn::Linear fc(2, 3);
  {
    autograd::NoGradGuard no_grad;
    fc->weight.copy_(tensor({{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}}));
    fc->bias.copy_(tensor({0.5f, -0.5f, 1.0f}));
  }
  Tensor x = tensor({{1.0f, 1.0f}, {2.0f, -1.0f}});
  EXPECT_TENSOR(fc(x), {2, 3}, {3.5, 6.5, 12.0, 0.5, 1.5, 5.0});
  nn::Linear nb(nn::LinearOptions(2, 1).bias(false));
  {
    autograd::NoGradGuard no_grad;
    nb->weight.copy_(tensor({{2.0f, -3.0f}}));
  }
  EXPECT_TENSOR(nb(x), {2, 1}, {-1.0, 7.0});
  Tensor out = fc(x).sum();
  out.backward();
  EXPECT_TENSOR(fc->bias.grad(), {3}, {2, 2, 2});
  EXPECT_TENSOR(fc->weight.grad(), {3, 2}, {3, 0, 3, 0, 3, 0});
}

TEST(Layers, Conv2dShapesAndOptionErrors) {
  Tensor x = ones({2, 3, 8, 8});
  EXPECT_EQ(shape(nn::Conv2d(nn::Conv2dOptions(3, 6, 3).padding(1))(x)), (std::vector<int64_t>{2, 6, 8, 8}));
  EXPECT_EQ(shape(nn::Conv2d(nn::Conv2dOptions(3, 6, 3).stride(2))(x)), (std::vector<int64_t>{2, 6, 3, 3}));
  EXPECT_EQ(shape(nn::Conv2d(nn::Conv2dOptions(3, 4, {3, 5}).padding(kSame))(x)), (std::vector<int64_t>{2, 4, 8, 8}));
  EXPECT_EQ(shape(nn::Conv2d(nn::Conv2dOptions(3, 6, 3).groups(3).dilation(2))(x)),
            (std::vector<int64_t>{2, 6, 4, 4}));
  nn::Conv2d one(nn::Conv2dOptions(1, 1, 2).bias(false));
  {
    autograd::NoGradGuard no_grad;
    one->weight.copy_(tensor({{{{1.0f, 2.0f}, {3.0f, 4.0f}}}}));
  }
  Tensor img = arange(9, kFloat).reshape({1, 1, 3, 3});
  // [[0,1,2],[3,4,5],[6,7,8]] correlated with [[1,2],[3,4]].
  EXPECT_TENSOR(one(img), {1, 1, 2, 2}, {27, 37, 57, 67});
  EXPECT_THROW_MSG(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).groups(2)), "in_channels must be divisible by groups");
  EXPECT_THROW_MSG(nn::Conv2d(nn::Conv2dOptions(4, 3, 3).groups(2)), "out_channels must be divisible by groups");
  EXPECT_THROW_MSG(nn::Conv2d(nn::Conv2dOptions(4, 4, 3).stride(2).padding(kSame)),
                   "padding='same' is not supported for strided convolutions");
  EXPECT_THROW_MSG(nn::Conv2d(nn::Conv2dOptions(4, 4, 3).groups(0)), "non-positive groups is not supported");
}

TEST(Layers, MaxPool2dAndFlatten) {
  Tensor img = arange(16, kFloat).reshape({1, 1, 4, 4});
  EXPECT_TENSOR(nn::MaxPool2d(2)(img), {1, 1, 2, 2}, {5, 7, 13, 15});
  EXPECT_EQ(shape(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1))(img)), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(shape(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).ceil_mode(true))(ones({1, 1, 6, 6}))),
            (std::vector<int64_t>{1, 1, 3, 3}));
  EXPECT_EQ(shape(nn::Flatten()(ones({2, 3, 4}))), (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(shape(nn::Flatten(nn::FlattenOptions().start_dim(0).end_dim(1))(ones({2, 3, 4}))),
            (std::vector<int64_t>{6, 4}));
}

TEST(Layers, EmbeddingLookupPaddingIdxAndPretrained) {
  nn::Embedding emb(nn::EmbeddingOptions(10, 3).padding_idx(-2));
  EXPECT_EQ(*emb->options.padding_idx(), 8);
  Tensor idx = tensor({{1, 8}, {1, 0}});
  Tensor out = emb(idx);
  EXPECT_EQ(shape(out), (std::vector<int64_t>{2, 2, 3}));
  EXPECT_TRUE(out[0][0].equal(emb->weight[1]));
  EXPECT_TRUE(out[1][0].equal(emb->weight[1]));
  EXPECT_TENSOR(out[0][1], {3}, {0, 0, 0});
  out.sum().backward();
  EXPECT_TENSOR(emb->weight.grad()[1], {3}, {2, 2, 2});
  EXPECT_TENSOR(emb->weight.grad()[8], {3}, {0, 0, 0});
  EXPECT_THROW_MSG(nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(10)),
                   "Padding_idx must be within num_embeddings");
  EXPECT_THROW_MSG(nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(-11)),
                   "Padding_idx must be within num_embedding");

  Tensor table = tensor({{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}});
  nn::Embedding frozen = nn::Embedding::from_pretrained(table);
  EXPECT_FALSE(frozen->weight.requires_grad());
  EXPECT_EQ(frozen->options.num_embeddings(), 3);
  EXPECT_TENSOR(frozen(tensor({2, 0})), {2, 2}, {5, 6, 1, 2});
  nn::Embedding trainable =
      nn::Embedding::from_pretrained(table.clone(), nn::EmbeddingFromPretrainedOptions().freeze(false));
  EXPECT_TRUE(trainable->weight.requires_grad());
  EXPECT_THROW_MSG(nn::Embedding::from_pretrained(ones({3})), "Embeddings parameter is expected to be 2-dimensional");
  EXPECT_THROW_MSG(nn::Embedding(nn::EmbeddingOptions(4, 2)._weight(ones({3, 2}))),
                   "Shape of _weight does not match num_embeddings and embedding_dim");
}

TEST(Layers, LayerNormNormalisesTheTrailingDims) {
  nn::LayerNorm ln(nn::LayerNormOptions({4}));
  Tensor x = tensor({{1.0f, 2.0f, 3.0f, 4.0f}, {2.0f, 2.0f, 2.0f, 2.0f}});
  // Row 1: mean 2.5, biased variance 1.25.
  const double s = 1.0 / std::sqrt(1.25 + 1e-5);
  EXPECT_TENSOR(ln(x), {2, 4}, {-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0, 0, 0, 0}, 1e-5);
  {
    autograd::NoGradGuard no_grad;
    ln->weight.fill_(2.0);
    ln->bias.fill_(1.0);
  }
  EXPECT_TENSOR(ln(x), {2, 4}, {1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s, 1, 1, 1, 1}, 1e-5);
}

TEST(Layers, DropoutIsTheIdentityInEvalAndScalesInTraining) {
  nn::Dropout drop(0.5);
  Tensor x = ones({10000});
  drop->eval();
  EXPECT_TRUE(drop(x).equal(x));
  drop->train();
  manual_seed(11);
  Tensor y = drop(x);
  const double kept = y.ne(0).to(kDouble).mean().item<double>();
  EXPECT_NEAR(kept, 0.5, 0.03);
  EXPECT_EQ(y.max().item<float>(), 2.0f);  // survivors scaled by 1/(1-p)
  EXPECT_TRUE(nn::Dropout(0.0)(x).equal(x));
  EXPECT_EQ(nn::Dropout(1.0)(x).abs().sum().item<float>(), 0.0f);
  EXPECT_THROW_MSG(nn::Dropout(1.5), "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_THROW_MSG(nn::Dropout(-0.1), "dropout probability has to be between 0 and 1, but got -0.1");
}

TEST(Layers, Activations) {
  Tensor x = tensor({-1.0f, 0.0f, 2.0f});
  EXPECT_TENSOR(nn::ReLU()(x), {3}, {0, 0, 2});
  EXPECT_TENSOR(nn::Tanh()(x), {3}, {std::tanh(-1.0), 0, std::tanh(2.0)});
  EXPECT_TENSOR(nn::Sigmoid()(x), {3}, {1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-2.0))});
  // Exact GELU: x·Φ(x); with tanh: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
  auto phi = [](double v) { return 0.5 * (1 + std::erf(v / std::sqrt(2.0))); };
  EXPECT_TENSOR(nn::GELU()(x), {3}, {-phi(-1.0), 0, 2 * phi(2.0)});
  auto tanh_gelu = [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  };
  EXPECT_TENSOR(nn::GELU(nn::GELUOptions().approximate("tanh"))(x), {3}, {tanh_gelu(-1.0), 0, tanh_gelu(2.0)});
  EXPECT_EQ(nn::GELU(nn::GELUOptions().approximate("tanh"))->options.approximate(), "tanh");
}

// ---- Sequential ------------------------------------------------------------------------------------
TEST(Sequential, HoldsModulesOfDifferentTypes) {
  nn::Sequential seq(nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1));
  EXPECT_EQ(seq->size(), 3u);
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(seq[1]->name(), "tg::nn::ReLUImpl");
  EXPECT_EQ(seq->ptr<nn::LinearImpl>(2)->options.in_features(), 3);
  EXPECT_EQ(seq->at<nn::LinearImpl>(0).options.out_features(), 3);
  std::vector<std::string> types;
  for (auto& m : *seq) types.push_back(m.ptr()->name());
  EXPECT_EQ(types, (std::vector<std::string>{"tg::nn::LinearImpl", "tg::nn::ReLUImpl", "tg::nn::LinearImpl"}));
  Tensor x = tensor({{1.0f, -2.0f}});
  Tensor by_hand = seq->at<nn::LinearImpl>(2).forward(relu(seq->at<nn::LinearImpl>(0).forward(x)));
  EXPECT_TRUE(seq->forward(x).equal(by_hand));
  EXPECT_TRUE(seq(x).equal(by_hand));
  EXPECT_THROW_MSG(seq->ptr<nn::LinearImpl>(1),
                   "Attempted to cast module of type tg::nn::ReLUImpl to type tg::nn::LinearImpl");
  EXPECT_THROW_MSG(seq->ptr(5), "Index out of range");
  EXPECT_THROW_MSG(seq[3], "Index out of range");
}

TEST(Sequential, PushBackNamedConstructionNestingAndErrors) {
  nn::Sequential seq;
  EXPECT_THROW_MSG(seq->forward(ones({1})), "Cannot call forward() on an empty Sequential");
  seq->push_back(nn::Linear(2, 2));
  seq->push_back("named", nn::Tanh());
  seq->push_back(nn::ReLUImpl());
  seq->push_back(std::make_shared<ScaleImpl>(3.0));
  seq->push_back(nn::Sequential(nn::Linear(2, 1)));
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"0", "named", "2", "3", "4"}));
  EXPECT_EQ(seq->named_parameters().keys(),
            (std::vector<std::string>{"0.weight", "0.bias", "4.0.weight", "4.0.bias"}));
  EXPECT_THROW_MSG(seq->push_back("named", nn::Tanh()), "Submodule 'named' already defined");
  EXPECT_EQ(seq->size(), 5u);
  EXPECT_EQ(shape(seq(ones({3, 2}))), (std::vector<int64_t>{3, 1}));

  nn::Sequential named({{"fc", nn::Linear(2, 4)}, {"act", nn::GELU()}, {"out", std::make_shared<nn::LinearImpl>(4, 1)}});
  EXPECT_EQ(named->named_parameters().keys(),
            (std::vector<std::string>{"fc.weight", "fc.bias", "out.weight", "out.bias"}));
  nn::Sequential extended;
  extended->extend(*named);
  EXPECT_EQ(extended->size(), 3u);
  EXPECT_EQ(extended[2].get(), named[2].get());

  nn::AnyModule any(nn::Linear(3, 2));
  EXPECT_EQ(any.get<nn::Linear>()->options.in_features(), 3);
  EXPECT_TRUE(any.type_info() == typeid(nn::LinearImpl));
  EXPECT_EQ(shape(any.forward(ones({1, 3}))), (std::vector<int64_t>{1, 2}));
  EXPECT_THROW_MSG(nn::AnyModule().forward(ones({1})), "Cannot call forward() on an empty AnyModule");
}

// ---- training ----------------------------------------------------------------------------------------
TEST(Training, SmallMlpLearnsALinearMapWithManualSgd) {
  // 16 points on a 4x4 grid in [-1, 1]², target 0.5a - 0.8b + 0.2.
  std::vector<float> xs, ys;
  for (int i = 0; i < 16; ++i) {
    const float a = -1 + 2.0f * static_cast<float>(i % 4) / 3, b = -1 + 2.0f * static_cast<float>(i / 4) / 3;
    xs.push_back(a);
    xs.push_back(b);
    ys.push_back(0.5f * a - 0.8f * b + 0.2f);
  }
  Tensor X = tensor(xs).reshape({16, 2}), Y = tensor(ys).reshape({16, 1});
  manual_seed(0);
  nn::Sequential model(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 1));
  auto loss_of = [&] { return (model->forward(X) - Y).square().mean(); };
  const float initial = loss_of().item<float>();
  for (int step = 0; step < 50; ++step) {
    model->zero_grad();
    loss_of().backward();
    autograd::NoGradGuard no_grad;
    for (Tensor& p : model->parameters()) p -= 0.1 * p.grad();
  }
  const float final_loss = loss_of().item<float>();
  // libtorch over 300 seeds: initial loss 0.21 to 1.1, final at most 0.018.
  EXPECT_GT(initial, 0.15f);
  EXPECT_LT(final_loss, 0.03f);
}

TEST(Module, AHolderNeedsNoForward) {
  Encoder e;
  EXPECT_EQ(e->named_parameters().size(), 2u);
  EXPECT_EQ(shape(e->encode(ones({4, 2}))), (std::vector<int64_t>{4, 3}));
}
