// The optimizer updates (ApplyGradientDescent, ApplyMomentum, ApplyAdam, AssignAdd/Sub) as library kernels: the
// same per-element formulas as the reference kernels (graph/ops/training_updates.h), split over the
// thread pool. A training step ends with one update per variable; on one thread the updates of
// cnn's million parameters took a sixth of its step.
//
// The Executable hands these kernels the variables' current buffers (ref operands) and runs the
// reference kernel instead whenever a variable is uninitialized, so errors stay the reference's.
#include "graph/ops/training_updates.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/thread_pool.h"

namespace kiln {
namespace {

// Elements per chunk below which another thread costs more than it saves.
constexpr int64_t kMinChunkElements = 16 * 1024;

template <typename T>
T Scalar(void* const* buffers, int i) {
  return *static_cast<const T*>(buffers[i]);
}

template <typename T>
T* Buffer(void* const* buffers, int i) {
  return static_cast<T*>(buffers[i]);
}

// One kernel per op; `update(buffers, begin, end)` applies the op to elements [begin, end). Run alone
// it splits its own range; in a training step the Executable groups it with the step's other updates.
template <typename Update>
class ApplyKernel : public ElementwiseUpdateKernel {
 public:
  ApplyKernel(int64_t elements, ThreadPool* pool, Update update) : elements_(elements), pool_(pool), update_(update) {}

  Status Run(void* const* buffers) override {
    if (pool_ && elements_ >= 2 * kMinChunkElements) {
      pool_->ParallelFor(elements_, kMinChunkElements, [&](int64_t b, int64_t e) { update_(buffers, b, e); });
    } else {
      update_(buffers, 0, elements_);
    }
    return OkStatus();
  }
  int64_t elements() const override { return elements_; }
  void RunRange(void* const* buffers, int64_t begin, int64_t end) override { update_(buffers, begin, end); }

 private:
  int64_t elements_;
  ThreadPool* pool_;
  Update update_;
};

template <typename Update>
StatusOr<std::unique_ptr<LibraryKernel>> Make(const LibraryKernelArgs& args, int grad_index, Update update) {
  return std::unique_ptr<LibraryKernel>(
      new ApplyKernel<Update>(args.inputs[grad_index].shape.num_elements(), args.pool, update));
}

// Float and double: the ops' T.
template <template <typename> class Factory>
StatusOr<std::unique_ptr<LibraryKernel>> ForDtype(const LibraryKernelArgs& args) {
  switch (args.outputs[0].dtype) {
    case DT_FLOAT: return Factory<float>::Make(args);
    case DT_DOUBLE: return Factory<double>::Make(args);
    default: return std::unique_ptr<LibraryKernel>();
  }
}

template <typename T>
struct GradientDescent {  // var, alpha, delta
  static StatusOr<std::unique_ptr<LibraryKernel>> Make(const LibraryKernelArgs& args) {
    return kiln::Make(args, 2, [](void* const* buf, int64_t b, int64_t e) {
      GradientDescentUpdate(Scalar<T>(buf, 1), Buffer<T>(buf, 2), Buffer<T>(buf, 0), b, e);
    });
  }
};

template <typename T>
struct Momentum {  // var, accum, lr, grad, momentum
  static StatusOr<std::unique_ptr<LibraryKernel>> Make(const LibraryKernelArgs& args) {
    bool nesterov = args.node.attr<bool>("use_nesterov");
    return kiln::Make(args, 3, [nesterov](void* const* buf, int64_t b, int64_t e) {
      MomentumUpdate(Scalar<T>(buf, 2), Scalar<T>(buf, 4), nesterov, Buffer<T>(buf, 3), Buffer<T>(buf, 0),
                     Buffer<T>(buf, 1), b, e);
    });
  }
};

template <typename T>
struct Adam {  // var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad
  static StatusOr<std::unique_ptr<LibraryKernel>> Make(const LibraryKernelArgs& args) {
    bool nesterov = args.node.attr<bool>("use_nesterov");
    return kiln::Make(args, 9, [nesterov](void* const* buf, int64_t b, int64_t e) {
      T lr_t = AdamStepSize(Scalar<T>(buf, 5), Scalar<T>(buf, 3), Scalar<T>(buf, 4));
      AdamUpdate(lr_t, Scalar<T>(buf, 6), Scalar<T>(buf, 7), Scalar<T>(buf, 8), nesterov, Buffer<T>(buf, 9),
                 Buffer<T>(buf, 0), Buffer<T>(buf, 1), Buffer<T>(buf, 2), b, e);
    });
  }
};

// AssignAdd / AssignSub (ref, value): the update of the barebones pattern, `assign_sub(w, lr * g)`
// for each parameter (convnet3), as GradientDescent's is.
template <bool kAdd>
struct AssignUpdate {
  template <typename T>
  struct Of {
    static StatusOr<std::unique_ptr<LibraryKernel>> Make(const LibraryKernelArgs& args) {
      return kiln::Make(args, 1, [](void* const* buf, int64_t b, int64_t e) {
        T* var = Buffer<T>(buf, 0);
        const T* value = Buffer<T>(buf, 1);
        for (int64_t i = b; i < e; ++i) var[i] = kAdd ? var[i] + value[i] : var[i] - value[i];
      });
    }
  };
};

}  // namespace

void AddOptimizerKernels(LibraryKernelTable& table) {
  table.emplace_back("assign_add", &ForDtype<AssignUpdate<true>::Of>);
  table.emplace_back("assign_sub", &ForDtype<AssignUpdate<false>::Of>);
  table.emplace_back("apply_gradient_descent", &ForDtype<GradientDescent>);
  table.emplace_back("apply_momentum", &ForDtype<Momentum>);
  table.emplace_back("apply_adam", &ForDtype<Adam>);
}

}  // namespace kiln
