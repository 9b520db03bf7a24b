#include "examples/models/model_registry.h"

namespace kiln::models {

const std::vector<ModelInfo>& AllModels() {
  static const std::vector<ModelInfo> models = {
      {"softmax", "softmax regression: dense 10 + softmax, SGD (seed 003)", "--epochs 25 --batch 32 --lr 0.01",
       TrainSoftmax, 200},
      {"mlp", "5 dense layers 256..16 (no bias) + ReLU, dense 10, sigmoid CE, Adam (seed 002)",
       "--max-steps 3000 --batch 128 --lr 0.002", TrainMlp, 30},
      {"mlp_bn", "the mlp with batch normalization after each hidden dense layer, is_training placeholder (seed 002)",
       "--max-steps 3000 --batch 128 --lr 0.002", TrainMlpBn, 30},
      {"conv_bn", "5 conv layers 3x3 (4*i filters, stride 2 every third) + batch norm + ReLU, dense 100, dense 10 (seed 002)",
       "--max-steps 3000 --batch 128 --lr 0.002", TrainConvBn, 15},
      {"cnn", "Keras CNN: conv 3x3x32, max pool, conv 3x3x64, dropout .2, dense 128, dropout .3, dense 10 (seed 000)",
       "--epochs 10 --batch 32 --lr 0.001", TrainCnn, 20},
      {"cnn_tutorial", "TF's MNIST tutorial CNN: 2x (conv 5x5 SAME + ReLU + pool), dense 512 + dropout, L2, Momentum (seed 004)",
       "--epochs 10 --batch 64 --lr 0.01 (x0.95 per epoch)", TrainCnnTutorial, 15},
      {"deep128", "128 dense layers of 128 (leaky ReLU), input concatenated back before layer 64, Momentum (seed 004)",
       "--max-steps 2000 --batch 512 --lr 0.01 (x0.95 per epoch)", TrainDeep128, 10},
      {"probes", "linear probes (stop_gradient) on every layer of cnn_tutorial (or --model deep128), before/after training (seed 004)",
       "--epochs 10 --batch 512 (base), --probe-steps one epoch, --out FILE.svg", TrainProbes},
      {"convnet3", "CS231n barebones three-layer ConvNet trained with gradients + assign_sub (seed 001)",
       "--epochs 1 --batch 64 --lr 3e-3", TrainConvnet3, 15},
      {"autoencoder", "sparse autoencoder 256-64-256, KL sparsity, Adam on a full batch of --batch 16x16 patches (seed 001)",
       "--max-steps 200 --batch 10240 --lr 0.01", TrainAutoencoder, 10},
  };
  return models;
}

const ModelInfo* FindModel(const std::string& name) {
  for (const ModelInfo& m : AllModels()) if (m.name == name) return &m;
  return nullptr;
}

}  // namespace kiln::models
