// Helpers for pass tests: run a pass by its pipeline name, count what is left, and check that the
// rewritten graph computes what the original did (both run with every graph pass off, so the check
// sees the one rewrite under test).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "passes/pipeline.h"
#include "runtime/session.h"

namespace kiln::testing {

// Fetches `fetches` in a fresh Session on `g` with no graph passes; fails the test on error.
std::vector<Tensor> RunUnoptimized(Graph& g, const std::vector<Output>& fetches, const FeedDict& feeds = {});

// Runs the pass named `pass` (the pipeline's name) on g; fails the test on error. Returns changed.
bool RunPass(const std::string& pass, Graph& g, const PassContext& context);

// How many live nodes run `op`.
int CountOp(const Graph& g, const std::string& op);

// Same dtypes, shapes and elements (bit-for-bit unless `tol` > 0).
void ExpectSameTensors(const std::vector<Tensor>& expected, const std::vector<Tensor>& actual, double tol = 0);

// Every edge goes from a lower id to a higher one: the invariant each pass leaves.
void ExpectTopologicalIds(const Graph& g);

}  // namespace kiln::testing
