#include "tests/testing/pass_testing.h"

#include <cmath>

#include "tests/testing/op_testing.h"

namespace kiln::testing {

std::vector<Tensor> RunUnoptimized(Graph& g, const std::vector<Output>& fetches, const FeedDict& feeds) {
  Session sess(g, SessionOptions{.compile = {.graph_passes = PipelineOptions::NoPasses()}});
  std::vector<Tensor> values;
  Status s = sess.Run(feeds, fetches, {}, &values);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return values;
}

bool RunPass(const std::string& pass, Graph& g, const PassContext& context) {
  StatusOr<std::unique_ptr<GraphPass>> p = MakePass(pass);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return false;
  StatusOr<bool> changed = (*p)->Run(g, context);
  EXPECT_TRUE(changed.ok()) << changed.status().ToString();
  return changed.ok() && *changed;
}

int CountOp(const Graph& g, const std::string& op) {
  int n = 0;
  for (const Node* node : g.nodes()) n += node->op() == op;
  return n;
}

void ExpectSameTensors(const std::vector<Tensor>& expected, const std::vector<Tensor>& actual, double tol) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(expected[i].dtype(), actual[i].dtype()) << "fetch " << i;
    ASSERT_EQ(expected[i].dims(), actual[i].dims()) << "fetch " << i;
    std::vector<double> a = ToDoubles(expected[i]), b = ToDoubles(actual[i]);
    for (size_t k = 0; k < a.size(); ++k) {
      if (tol > 0) EXPECT_NEAR(a[k], b[k], tol) << "fetch " << i << " element " << k;
      else EXPECT_EQ(a[k], b[k]) << "fetch " << i << " element " << k;
    }
  }
}

void ExpectTopologicalIds(const Graph& g) {
  for (const Node* n : g.nodes()) {
    for (const Output& in : n->inputs()) EXPECT_LT(in.node->id(), n->id()) << in.node->name() << " -> " << n->name();
    for (const Node* c : n->control_inputs()) EXPECT_LT(c->id(), n->id()) << "^" << c->name() << " -> " << n->name();
  }
}

}  // namespace kiln::testing
