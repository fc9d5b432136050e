#pragma once
// tg::optim::Optimizer: parameter groups with their own options, per-parameter
// state, step() and zero_grad(), as libtorch 1.13's torch::optim::Optimizer.
#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "tensorgrad/arg.h"
#include "tensorgrad/tensor.h"

namespace tg::optim {

// What an optimizer remembers about one parameter between steps (momentum
// buffers, moment estimates, step counts).
class OptimizerParamState {
 public:
  virtual ~OptimizerParamState() = default;
  virtual std::unique_ptr<OptimizerParamState> clone() const = 0;
};

template <class Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
 public:
  std::unique_ptr<OptimizerParamState> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// The hyper-parameters of an optimizer; each parameter group holds its own copy.
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
};

template <class Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// Parameters optimised with the same options. A group made without options
// takes the optimizer's defaults when it is added to an optimizer.
class OptimizerParamGroup {
 public:
  OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}  // NOLINT: implicit, as in libtorch
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&& other) noexcept = default;
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(OptimizerParamGroup&& other) noexcept = default;

  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

class Optimizer {
 public:
  // A closure that recomputes the loss (gradients included) and returns it.
  using LossClosure = std::function<Tensor()>;
  // Per-parameter state, keyed by the parameter's TensorImpl.
  using StateMap = std::unordered_map<void*, std::unique_ptr<OptimizerParamState>>;

  Optimizer(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  explicit Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults);
  explicit Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults);
  virtual ~Optimizer() = default;

  // Adds a group; it gets a copy of the defaults when it has no options. Its
  // parameters must be leaves and in no other group.
  void add_param_group(const OptimizerParamGroup& param_group);
  // Appends parameters to the first group.
  void add_parameters(const std::vector<Tensor>& parameters);

  // Updates every parameter that has a gradient; with a closure, first runs it
  // with grad mode on and returns the loss it gives (else an undefined tensor).
  virtual Tensor step(LossClosure closure = nullptr) = 0;
  // Sets every defined gradient to zero (and detaches it), keeping the tensor.
  void zero_grad();

  // The parameters of the first group.
  const std::vector<Tensor>& parameters() const;
  std::vector<Tensor>& parameters();
  // The number of parameters over all groups.
  size_t size() const noexcept;

  OptimizerOptions& defaults() noexcept { return *defaults_; }
  const OptimizerOptions& defaults() const noexcept { return *defaults_; }
  std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
  StateMap& state() noexcept { return state_; }
  const StateMap& state() const noexcept { return state_; }

 protected:
  // Runs the closure of step(), if any, with grad mode on.
  static Tensor run_closure(const LossClosure& closure);

  std::vector<OptimizerParamGroup> param_groups_;
  StateMap state_;
  std::unique_ptr<OptimizerOptions> defaults_;
};

}  // namespace tg::optim
