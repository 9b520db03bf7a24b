// Softmax regression on Fashion-MNIST: the TF1 course program in C++. The model and its training
// loop are in examples/models/softmax.cc (shared with `kiln train softmax`); this program takes the
// same options: softmax [--epochs N] [--batch B] [--lr X] [--data DIR] ...
#include <cstdio>
#include <iostream>

#include "examples/models/cli_args.h"
#include "examples/models/model_registry.h"

int main(int argc, char** argv) {
  kiln::models::TrainConfig config;
  std::string error;
  if (!kiln::models::ParseTrainArgs({argv + 1, argv + argc}, &config, &error)) {
    std::fprintf(stderr, "softmax: %s\noptions:\n%s", error.c_str(), kiln::models::TrainOptionsUsage().c_str());
    return 2;
  }
  auto result = kiln::models::TrainSoftmax(config, std::cout);
  if (!result.ok()) {
    std::fprintf(stderr, "softmax: %s\n", result.status().ToString().c_str());
    return 1;
  }
  std::printf("test_accuracy: %.4f\n", result->test_accuracy);
  return 0;
}
