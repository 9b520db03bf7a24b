#include "codegen/reduction_emitter.h"

#include <limits>

#include "codegen/expr_emitter.h"

namespace kiln::codegen {
namespace {

bool IsFp(llvm::Type* t) { return t->isFPOrFPVectorTy(); }

// One step of the reduction: a + v, or the reference's max with NaN kept.
llvm::Value* Combine(llvm::IRBuilder<>& b, OutputReduction kind, llvm::Value* a, llvm::Value* v) {
  const bool fp = IsFp(a->getType());
  if (kind == OutputReduction::kSum) return fp ? b.CreateFAdd(a, v) : b.CreateAdd(a, v);
  if (!fp) return b.CreateSelect(b.CreateICmpSGT(v, a), v, a);
  // (v > a || v != v) ? v : a, except that an a already NaN stays: unordered-greater covers both
  // "v > a" and "v is NaN" (and "a is NaN", which the outer select takes first).
  return b.CreateSelect(b.CreateFCmpUNO(a, a), a, b.CreateSelect(b.CreateFCmpUGT(v, a), v, a));
}

}  // namespace

llvm::Type* AccumulatorType(llvm::LLVMContext& ctx, OutputReduction kind, DataType dtype, unsigned lanes) {
  llvm::Type* element = kind == OutputReduction::kSum && IsFloating(dtype) ? llvm::Type::getDoubleTy(ctx)
                                                                           : RegisterElementType(ctx, dtype);
  return llvm::FixedVectorType::get(element, lanes);
}

llvm::Value* ReductionIdentity(llvm::Type* accumulator_type, OutputReduction kind) {
  if (kind == OutputReduction::kSum) return llvm::Constant::getNullValue(accumulator_type);
  if (IsFp(accumulator_type)) return llvm::ConstantFP::getInfinity(accumulator_type, /*Negative=*/true);
  const unsigned bits = accumulator_type->getScalarSizeInBits();
  return llvm::ConstantInt::get(accumulator_type, llvm::APInt::getSignedMinValue(bits));
}

llvm::Value* Accumulate(llvm::IRBuilder<>& b, OutputReduction kind, llvm::Value* acc, llvm::Value* value,
                        llvm::Value* mask) {
  if (value->getType() != acc->getType()) value = b.CreateFPExt(value, acc->getType());  // float sums in double
  if (mask) value = b.CreateSelect(mask, value, ReductionIdentity(acc->getType(), kind));
  return Combine(b, kind, acc, value);
}

llvm::Value* FinishReduction(llvm::IRBuilder<>& b, OutputReduction kind, DataType dtype, llvm::Value* acc) {
  unsigned width = llvm::cast<llvm::FixedVectorType>(acc->getType())->getNumElements();
  while (width > 1) {
    width /= 2;
    llvm::SmallVector<int, 16> low, high;
    for (unsigned l = 0; l < width; ++l) {
      low.push_back(static_cast<int>(l));
      high.push_back(static_cast<int>(l + width));
    }
    acc = Combine(b, kind, b.CreateShuffleVector(acc, low), b.CreateShuffleVector(acc, high));
  }
  llvm::Value* result = b.CreateExtractElement(acc, uint64_t{0});
  llvm::Type* type = RegisterElementType(b.getContext(), dtype);
  return result->getType() == type ? result : b.CreateFPTrunc(result, type);
}

}  // namespace kiln::codegen
