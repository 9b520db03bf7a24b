// MatMul's library kernel: Kiln's threaded GEMM (runtime/kernels/gemm.h) on row-major operands; and
// _FusedMatMul's, whose bias and ReLU are the GEMM's epilogue, applied to each block of C while it is
// in cache rather than in a second pass over the whole product.
#include "graph/ops/kernel_util.h"
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
  Status Run(void* const* buffers) override { return Run(buffers, nullptr); }
  // With `epilogue` applied to each block of the product (FusedMatMulKernel).
  Status Run(void* const* buffers, const GemmEpilogue<T>* epilogue) {
    Gemm(ta_, tb_, m_, n_, k_, T(1), static_cast<const T*>(buffers[0]), lda_, static_cast<const T*>(buffers[1]), ldb_,
         T(0), static_cast<T*>(buffers[2]), n_, pool_, epilogue);
    return OkStatus();
  }

 private:
  bool ta_, tb_;
  int64_t m_, n_, k_, lda_, ldb_;
  ThreadPool* pool_;
};

// C += bias per column, then max(0, .) with `relu` (NaN stays NaN, as Relu's), on one block of C.
template <typename T, bool kRelu>
void BiasEpilogue(const void* bias, T* block, int64_t ldc, int64_t, int64_t rows, int64_t col0, int64_t cols) {
  const T* b = static_cast<const T*>(bias) + col0;
  for (int64_t i = 0; i < rows; ++i) {
    T* row = block + i * ldc;
    for (int64_t j = 0; j < cols; ++j) {
      const T v = row[j] + b[j];
      row[j] = kRelu && v < T(0) ? T(0) : v;
    }
  }
}

template <typename T>
class FusedMatMulKernel final : public LibraryKernel {
 public:
  FusedMatMulKernel(const LibraryKernelArgs& args, bool relu) : product_(args), relu_(relu) {}
  Status Run(void* const* buffers) override {
    // buffers: a, b, bias, product; the product's kernel takes a, b and the product.
    const GemmEpilogue<T> epilogue{relu_ ? &BiasEpilogue<T, true> : &BiasEpilogue<T, false>, buffers[2]};
    void* const product_buffers[3] = {buffers[0], buffers[1], buffers[3]};
    return product_.Run(product_buffers, &epilogue);
  }

 private:
  MatMulKernel<T> product_;
  bool relu_;
};

StatusOr<std::unique_ptr<LibraryKernel>> MakeMatMulKernel(const LibraryKernelArgs& args) {
  switch (args.inputs[0].dtype) {
    case DT_FLOAT: return std::unique_ptr<LibraryKernel>(new MatMulKernel<float>(args));
    case DT_DOUBLE: return std::unique_ptr<LibraryKernel>(new MatMulKernel<double>(args));
    default: return std::unique_ptr<LibraryKernel>();  // integer products stay on the reference kernel
  }
}

StatusOr<std::unique_ptr<LibraryKernel>> MakeFusedMatMulKernel(const LibraryKernelArgs& args) {
  StatusOr<bool> relu = BiasReluHasRelu("_FusedMatMul", args.node.attr<std::vector<std::string>>("fused_ops"));
  if (!relu.ok()) return std::unique_ptr<LibraryKernel>();  // the reference kernel says what is wrong
  switch (args.inputs[0].dtype) {
    case DT_FLOAT: return std::unique_ptr<LibraryKernel>(new FusedMatMulKernel<float>(args, *relu));
    case DT_DOUBLE: return std::unique_ptr<LibraryKernel>(new FusedMatMulKernel<double>(args, *relu));
    default: return std::unique_ptr<LibraryKernel>();
  }
}

}  // namespace

void AddGemmKernels(LibraryKernelTable& table) {
  table.emplace_back("gemm", MakeMatMulKernel);
  table.emplace_back("fused_matmul", MakeFusedMatMulKernel);
}

}  // namespace kiln
