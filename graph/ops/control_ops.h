// Control ops: NoOp and tf.group.
#pragma once

#include <string>
#include <vector>

#include "graph/builder/context.h"

namespace kiln {

Operation no_op(const std::string& name = "");
// tf.group(*ops): a NoOp that runs after all of `ops`.
Operation group(const std::vector<Operation>& ops, const std::string& name = "");

}  // namespace kiln
