// A compiled training step allocates nothing once it is warm: Session::Run with the train op as
// target binds feeds into the planned arena and runs the steps, and the only heap memory a run
// takes is the fetched values it hands back (one tensor per fetch, as TF's Session::Run).
//
// This binary's operator new counts every allocation made, on any thread, while counting is on.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <execinfo.h>
#include <new>
#include <unistd.h>

#include "graph/builder/kiln.h"
#include "graph/builder/layers.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<int64_t> allocations{0};
thread_local bool in_trace = false;
}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (getenv("KILN_TRACE_ALLOC") && !in_trace) {
      in_trace = true;
      void* frames[12];
      int n = backtrace(frames, 12);
      backtrace_symbols_fd(frames, n, 2);
      write(2, "----\n", 5);
      in_trace = false;
    }
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace kiln {
namespace {

namespace tf = ::kiln;

int64_t CountAllocations(const std::function<void()>& body) {
  allocations = 0;
  counting = true;
  body();
  counting = false;
  return allocations.load();
}

// A training graph, its feeds for one batch of 32 MNIST-shaped images, and the train op.
struct TrainingStep {
  tf::Graph graph;
  FeedDict feeds;
  tf::Operation train;
  tf::Output loss;
};

void FeedBatch(TrainingStep& t, const tf::Output& images, const tf::Output& labels, std::vector<int64_t> image_dims) {
  std::vector<float> pixels(32 * 784), one_hot(32 * 10, 0.0f);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 255) / 255.0f;
  for (int i = 0; i < 32; ++i) one_hot[i * 10 + i % 10] = 1.0f;
  t.feeds = {{images, Tensor::FromVector(pixels, std::move(image_dims))}, {labels, Tensor::FromVector(one_hot, {32, 10})}};
}

// The mlp_bn seed's pattern: dense layers without bias, batch norm on an is_training placeholder
// (Switch/Merge conds, moving-average AssignSubs), sigmoid cross-entropy, Adam under UPDATE_OPS.
void BuildBatchNormMlp(TrainingStep& t) {
  auto as_default = tf::as_default(t.graph);
  tf::set_random_seed(1);
  auto x = tf::placeholder(tf::float32, {-1, 784}, "x");
  auto labels = tf::placeholder(tf::float32, {-1, 10}, "labels");
  auto is_training = tf::placeholder(tf::boolean, tf::Shape::UnknownRank(), "is_training");
  tf::Output h = x;
  for (int units : {64, 32}) {
    h = tf::layers::dense(h, units, {.activation = nullptr, .use_bias = false});
    h = tf::nn::relu(tf::layers::batch_normalization(h, is_training));
  }
  auto logits = tf::layers::dense(h, 10);
  t.loss = tf::reduce_mean(tf::nn::sigmoid_cross_entropy_with_logits(labels, logits));
  {
    tf::control_dependencies deps(tf::get_collection(tf::GraphKeys::UPDATE_OPS));
    t.train = tf::train::AdamOptimizer(0.002).minimize(t.loss);
  }
  FeedBatch(t, x, labels, {32, 784});
  t.feeds.push_back({is_training, Tensor::Scalar<bool>(true)});
}

// The cnn seeds' pattern: conv + ReLU, max pool, spatial batch norm (FusedBatchNormV3), dropout
// (random masks), softmax cross-entropy, Momentum.
void BuildConvNet(TrainingStep& t) {
  auto as_default = tf::as_default(t.graph);
  tf::set_random_seed(1);
  auto x = tf::placeholder(tf::float32, {-1, 28, 28, 1}, "x");
  auto labels = tf::placeholder(tf::float32, {-1, 10}, "labels");
  auto h = tf::layers::conv2d(x, 8, {3}, {.padding = "same", .activation = tf::nn::relu});
  h = tf::layers::max_pooling2d(h, {2, 2}, {2, 2});
  h = tf::layers::batch_normalization(h, true);
  h = tf::layers::dropout(tf::layers::flatten(h), 0.3, true);
  auto logits = tf::layers::dense(h, 10);
  t.loss = tf::reduce_mean(tf::nn::softmax_cross_entropy_with_logits(labels, logits));
  {
    tf::control_dependencies deps(tf::get_collection(tf::GraphKeys::UPDATE_OPS));
    t.train = tf::train::MomentumOptimizer(0.01, 0.9).minimize(t.loss);
  }
  FeedBatch(t, x, labels, {32, 28, 28, 1});
}

// Allocations in one warm Session::Run of `fetches` and the train op (after three warm-up runs).
int64_t WarmRunAllocations(TrainingStep& t, const std::vector<Output>& fetches) {
  auto as_default = tf::as_default(t.graph);
  tf::Session sess(t.graph);
  Status init = sess.run(tf::global_variables_initializer());
  EXPECT_TRUE(init.ok()) << init.ToString();
  const std::vector<tf::Operation> targets = {t.train};
  std::vector<Tensor> outputs;
  for (int warm = 0; warm < 3; ++warm) EXPECT_TRUE(sess.Run(t.feeds, fetches, targets, &outputs).ok());
  Status status;
  int64_t n = CountAllocations([&] { status = sess.Run(t.feeds, fetches, targets, &outputs); });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return n;
}

TEST(AllocationFreeRunTest, AWarmBatchNormTrainingStepAllocatesNothing) {
  TrainingStep t;
  BuildBatchNormMlp(t);
  EXPECT_EQ(WarmRunAllocations(t, {}), 0) << "KILN_TRACE_ALLOC=1 prints where each one was made";
}

TEST(AllocationFreeRunTest, AWarmConvolutionTrainingStepAllocatesNothing) {
  TrainingStep t;
  BuildConvNet(t);
  EXPECT_EQ(WarmRunAllocations(t, {}), 0) << "KILN_TRACE_ALLOC=1 prints where each one was made";
}

TEST(AllocationFreeRunTest, AFetchedValueIsTheOnlyAllocation) {
  // The loss handed back is a new tensor the caller owns: its buffer, its dims and the buffer's
  // bookkeeping. Nothing else of the run may allocate.
  TrainingStep t;
  BuildBatchNormMlp(t);
  int64_t n = WarmRunAllocations(t, {t.loss});
  EXPECT_GE(n, 1);
  EXPECT_LE(n, 3);
}

}  // namespace
}  // namespace kiln
