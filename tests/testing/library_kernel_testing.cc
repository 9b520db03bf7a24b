#include "tests/testing/library_kernel_testing.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/kernels/library_kernel.h"
#include "runtime/thread_pool.h"
#include "tests/testing/op_testing.h"

namespace kiln::testing {

void ExpectLibraryMatchesReference(Graph& graph, const std::vector<Output>& fetches, const FeedDict& feeds, int threads,
                                   double tol) {
  ThreadPool pool(threads);
  SessionOptions reference_options, library_options;
  reference_options.compile.reference_kernels_only = true;
  library_options.compile.thread_pool = &pool;
  Session reference(graph, reference_options), library(graph, library_options);
  std::vector<Fetch> f(fetches.begin(), fetches.end());
  auto want = reference.run(f, feeds);
  auto got = library.run(f, feeds);
  ASSERT_TRUE(want.ok()) << want.status().message();
  ASSERT_TRUE(got.ok()) << got.status().message();
  for (size_t i = 0; i < fetches.size(); ++i) {
    ASSERT_EQ((*want)[i].dims(), (*got)[i].dims()) << fetches[i].name();
    std::vector<double> a = ToDoubles((*want)[i]), b = ToDoubles((*got)[i]);
    double worst = 0;
    size_t mismatched_special = 0;
    for (size_t e = 0; e < a.size(); ++e) {
      if (!std::isfinite(a[e])) {
        bool same = std::isnan(a[e]) ? std::isnan(b[e]) : a[e] == b[e];
        mismatched_special += !same;
        continue;
      }
      double err = std::abs(a[e] - b[e]) / std::max(1.0, std::abs(a[e]));
      worst = std::isnan(err) ? INFINITY : std::max(worst, err);
    }
    EXPECT_LE(worst, tol) << fetches[i].name() << " with " << threads << " threads";
    EXPECT_EQ(mismatched_special, 0u) << fetches[i].name() << ": NaN/inf elements differ with " << threads << " threads";
  }
}

bool LibraryKernelCovers(const Node& node, int threads) {
  const OpLowering& lowering = node.def().lowering;
  if (lowering.kind != OpLowering::Kind::kLibrary) return false;
  LibraryKernelFactory factory = FindLibraryKernel(lowering.library_kernel);
  if (!factory) return false;
  std::vector<TensorType> inputs, outputs = node.output_types();
  for (const Output& in : node.inputs()) inputs.push_back(in.node->output_type(in.index));
  ThreadPool pool(threads);
  auto kernel = factory(LibraryKernelArgs{node, inputs, outputs, &pool});
  return kernel.ok() && *kernel != nullptr;
}

}  // namespace kiln::testing
