// The one calling convention every compiled step uses, whether its code is a reference kernel, a
// library kernel (GEMM) or a JIT-compiled LLVM function. A plain C signature so LLVM-emitted code
// and C++ code are interchangeable in an Executable's plan.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// buffers: the step's operands, inputs first then outputs (element data, 64-byte aligned when Kiln
//          allocated them).
// sizes:   per-step integer parameters (element counts, dims), laid out as the kernel defines.
// closure: kernel-private state fixed at compile time (attrs, shapes, a status slot); may be null.
// Returns 0 on success; a nonzero return means the closure holds an error description.
typedef int32_t (*KilnKernelFn)(const void* closure, void* const* buffers, const int64_t* sizes);

#ifdef __cplusplus
}  // extern "C"
#endif
