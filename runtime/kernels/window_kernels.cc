// Pad (constant zeros) and Slice as library kernels: the runs of graph/ops/window_runs.h, computed
// once when the Executable is built, copied in parallel. Pad also zeroes only the gaps between its
// runs, each chunk the gaps before its own runs, instead of clearing the whole output first: the
// reference kernel writes a padded image twice on one thread (convnet3's two pads and the slice of
// their gradient took 1.8 ms of a 23 ms step).
#include <cstring>

#include "graph/ops/kernel_util.h"
#include "graph/ops/window_runs.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"

namespace kiln {
namespace {

// Below this many bytes per chunk, waking another thread costs more than it saves.
constexpr int64_t kMinChunkBytes = 64 * 1024;

class WindowKernel final : public LibraryKernel {
 public:
  // into_larger: Pad (input is the smaller tensor), else Slice.
  WindowKernel(WindowRuns runs, size_t element_bytes, int64_t large_elements, bool into_larger, ThreadPool* pool)
      : runs_(std::move(runs)), elem_(element_bytes), large_elements_(large_elements), into_larger_(into_larger),
        pool_(pool) {
    const int64_t runs_count = static_cast<int64_t>(runs_.offsets.size());
    const int64_t bytes = large_elements_ * static_cast<int64_t>(elem_);
    chunks_ = static_cast<int>(std::min<int64_t>(ChunkCount(pool, runs_count), std::max<int64_t>(1, bytes / kMinChunkBytes)));
  }

  Status Run(void* const* buffers) override {
    const char* src = static_cast<const char*>(buffers[0]);
    char* dst = static_cast<char*>(buffers[into_larger_ ? 2 : 3]);  // after the input and paddings / begin, size
    const int64_t count = static_cast<int64_t>(runs_.offsets.size());
    const size_t bytes = runs_.run * elem_;
    if (count == 0) {
      if (into_larger_) std::memset(dst, 0, large_elements_ * elem_);
      return OkStatus();
    }
    ForEachChunk(pool_, chunks_, count, [&](int, int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const auto [small_at, large_at] = runs_.offsets[r];
        if (!into_larger_) {
          std::memcpy(dst + small_at * elem_, src + large_at * elem_, bytes);
          continue;
        }
        const int64_t gap_begin = r == 0 ? 0 : runs_.offsets[r - 1].second + runs_.run;
        std::memset(dst + gap_begin * elem_, 0, (large_at - gap_begin) * elem_);
        std::memcpy(dst + large_at * elem_, src + small_at * elem_, bytes);
        if (r == count - 1) {
          const int64_t end = large_at + runs_.run;
          std::memset(dst + end * elem_, 0, (large_elements_ - end) * elem_);
        }
      }
    });
    return OkStatus();
  }

 private:
  WindowRuns runs_;
  size_t elem_;
  int64_t large_elements_;
  bool into_larger_;
  ThreadPool* pool_;
  int chunks_ = 1;
};

// The kernel for a constant window offset (paddings or begin, operand 1); null when it is not
// known when the Executable is built, or for strings, which the reference kernel copies.
StatusOr<std::unique_ptr<LibraryKernel>> MakeWindowKernel(const LibraryKernelArgs& args, bool into_larger) {
  const Output& offset_input = args.node.input(1);
  const Tensor* offset_value = offset_input.node->known_value(offset_input.index);
  if (!offset_value || args.inputs[0].dtype == DT_STRING) return std::unique_ptr<LibraryKernel>();
  std::vector<int64_t> offset = TensorToInts(*offset_value);
  if (into_larger) offset = PadsBefore(offset);  // paddings [rank, 2]
  const std::vector<int64_t>& small = into_larger ? args.inputs[0].shape.dims() : args.outputs[0].shape.dims();
  const std::vector<int64_t>& large = into_larger ? args.outputs[0].shape.dims() : args.inputs[0].shape.dims();
  if (offset.size() != small.size() || small.size() != large.size()) return std::unique_ptr<LibraryKernel>();
  return std::unique_ptr<LibraryKernel>(new WindowKernel(MakeWindowRuns(small, large, offset),
                                                         DataTypeSize(args.inputs[0].dtype),
                                                         into_larger ? args.outputs[0].shape.num_elements()
                                                                     : args.inputs[0].shape.num_elements(),
                                                         into_larger, args.pool));
}

StatusOr<std::unique_ptr<LibraryKernel>> MakePad(const LibraryKernelArgs& args) { return MakeWindowKernel(args, true); }
StatusOr<std::unique_ptr<LibraryKernel>> MakeSlice(const LibraryKernelArgs& args) { return MakeWindowKernel(args, false); }

}  // namespace

void AddWindowKernels(LibraryKernelTable& table) {
  table.emplace_back("pad", MakePad);
  table.emplace_back("slice", MakeSlice);
}

}  // namespace kiln
