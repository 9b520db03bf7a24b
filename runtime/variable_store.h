// The variables a Session owns, by name (a VariableV2's shared_name, or its node name).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/variable.h"

namespace kiln {

class VariableStore {
 public:
  // The variable, created uninitialized on first use. Error if it exists with another dtype.
  StatusOr<VariableStorage*> GetOrCreate(const std::string& name, DataType dtype, const Shape& shape);
  VariableStorage* Find(const std::string& name) const;
  std::vector<VariableStorage*> All() const;

 private:
  std::map<std::string, std::unique_ptr<VariableStorage>> vars_;
};

}  // namespace kiln
