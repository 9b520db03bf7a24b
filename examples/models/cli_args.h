// Parses the options every seed model takes (--data, --epochs, --batch, --lr, --seed, ...), shared
// by `kiln train` and the example programs so they accept the same flags.
#pragma once

#include <string>
#include <vector>

#include "examples/models/model_registry.h"

namespace kiln::models {

// The option names, for usage text.
std::string TrainOptionsUsage();
// Fills `config` from args (no positionals allowed); false with `error` on a bad command line.
bool ParseTrainArgs(const std::vector<std::string>& args, TrainConfig* config, std::string* error);

}  // namespace kiln::models
