// MatMul's library kernel: Kiln's threaded GEMM (runtime/kernels/gemm.h) on row-major operands.
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/library_kernel.h"

namespace kiln {
namespace {

template <typename T>
class MatMulKernel final : public LibraryKernel {
 public:
  MatMulKernel(const LibraryKernelArgs& args)
      : ta_(args.node.attr<bool>("transpose_a")), tb_(args.node.attr<bool>("transpose_b")), pool_(args.pool) {
    const std::vector<int64_t>& a = args.inputs[0].shape.dims();
    const std::vector<int64_t>& b = args.inputs[1].shape.dims();
    m_ = ta_ ? a[1] : a[0];
    k_ = ta_ ? a[0] : a[1];
    n_ = tb_ ? b[0] : b[1];
    lda_ = a[1];
    ldb_ = b[1];
  }
  Status Run(void* const* buffers) override {
    Gemm(ta_, tb_, m_, n_, k_, T(1), static_cast<const T*>(buffers[0]), lda_, static_cast<const T*>(buffers[1]), ldb_,
         T(0), static_cast<T*>(buffers[2]), n_, pool_);
    return OkStatus();
  }

 private:
  bool ta_, tb_;
  int64_t m_, n_, k_, lda_, ldb_;
  ThreadPool* pool_;
};

StatusOr<std::unique_ptr<LibraryKernel>> MakeMatMulKernel(const LibraryKernelArgs& args) {
  switch (args.inputs[0].dtype) {
    case DT_FLOAT: return std::unique_ptr<LibraryKernel>(new MatMulKernel<float>(args));
    case DT_DOUBLE: return std::unique_ptr<LibraryKernel>(new MatMulKernel<double>(args));
    default: return std::unique_ptr<LibraryKernel>();  // integer products stay on the reference kernel
  }
}

}  // namespace

void AddGemmKernels(LibraryKernelTable& table) { table.emplace_back("gemm", MakeMatMulKernel); }

}  // namespace kiln
