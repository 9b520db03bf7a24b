#include "examples/models/model_registry.h"

namespace kiln::models {

const std::vector<ModelInfo>& AllModels() {
  static const std::vector<ModelInfo> models = {
      {"softmax", "softmax regression: dense 10 + softmax, SGD (seed 003)", "--epochs 25 --batch 32 --lr 0.01",
       TrainSoftmax},
  };
  return models;
}

const ModelInfo* FindModel(const std::string& name) {
  for (const ModelInfo& m : AllModels()) if (m.name == name) return &m;
  return nullptr;
}

}  // namespace kiln::models
