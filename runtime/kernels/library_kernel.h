// Library kernels: hand-written fast C++ for the ops whose lowering names one (OpLowering::kLibrary,
// declared with the op in graph/ops/), such as GEMM behind MatMul and im2col + GEMM behind Conv2D.
// Unlike a reference kernel, a library kernel is built once per Executable for the step's concrete
// dtypes and shapes: it sizes its scratch space then, so running it allocates nothing, and it splits
// its work over Kiln's thread pool.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/kernel_abi.h"

namespace kiln {

class ThreadPool;

class LibraryKernel {
 public:
  virtual ~LibraryKernel() = default;
  // buffers: the step's operands, inputs first then outputs, with the shapes it was built for.
  virtual Status Run(void* const* buffers) = 0;
};

// A library kernel whose work is one independent update per element (the optimizer updates): it
// can be cut at any element, so the Executable runs all such kernels of a step as one kernel, one
// range over their elements together split over the pool (runtime/update_group.h).
class ElementwiseUpdateKernel : public LibraryKernel {
 public:
  // How many elements the kernel updates.
  virtual int64_t elements() const = 0;
  // Updates elements [begin, end) on the calling thread; never fails (Run's checks happen when the
  // kernel is built).
  virtual void RunRange(void* const* buffers, int64_t begin, int64_t end) = 0;
};

// What a factory sees: the node (attrs, name for errors), the operand types with concrete shapes, and
// the pool to split work over (null: run on the calling thread).
struct LibraryKernelArgs {
  const Node& node;
  const std::vector<TensorType>& inputs;
  const std::vector<TensorType>& outputs;
  ThreadPool* pool;
};

// Returns null (not an error) when the kernel does not cover these dtypes or attrs; the step then
// runs the op's reference kernel.
using LibraryKernelFactory = StatusOr<std::unique_ptr<LibraryKernel>> (*)(const LibraryKernelArgs& args);

// The factory registered under `name` (an OpLowering::library_kernel), or null.
LibraryKernelFactory FindLibraryKernel(const std::string& name);

// What the Executable keeps for a library step; the KilnKernelFn below runs it through the one ABI.
struct LibraryStep {
  std::unique_ptr<LibraryKernel> kernel;
  Status status;  // set when Run fails
};
extern "C" int32_t RunLibraryStep(const void* closure, void* const* buffers, const int64_t* sizes);

// Registration, one function per kernel family (called once, from FindLibraryKernel's table).
using LibraryKernelTable = std::vector<std::pair<std::string, LibraryKernelFactory>>;
void AddGemmKernels(LibraryKernelTable& table);
void AddConvKernels(LibraryKernelTable& table);
void AddPoolKernels(LibraryKernelTable& table);
void AddReductionKernels(LibraryKernelTable& table);
void AddOptimizerKernels(LibraryKernelTable& table);
void AddBatchNormKernels(LibraryKernelTable& table);
void AddWindowKernels(LibraryKernelTable& table);

}  // namespace kiln
