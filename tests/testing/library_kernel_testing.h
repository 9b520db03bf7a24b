// Helpers for library-kernel tests (tests/runtime/kernels/): the same graph run by a Session with
// reference kernels only and by one using library kernels on a thread pool.
#pragma once

#include <vector>

#include "graph/builder/kiln.h"
#include "runtime/session.h"

namespace kiln::testing {

// Runs `fetches` (in `graph`) with reference kernels and with library kernels on `threads` threads;
// every element must agree within `tol` relative to max(1, |reference|), and a NaN or infinity in
// the reference must be matched exactly.
void ExpectLibraryMatchesReference(Graph& graph, const std::vector<Output>& fetches, const FeedDict& feeds, int threads,
                                   double tol);

// Whether the library kernel `node`'s lowering names accepts it (with its inferred, fully defined
// shapes): a comparison with the reference kernel only tests a kernel that runs.
bool LibraryKernelCovers(const Node& node, int threads);

}  // namespace kiln::testing
