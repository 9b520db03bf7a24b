// Each primitive's LLVM instructions. The semantics are those ExprOp documents, which are the
// reference kernels' C++ expressions: ordered float compares except !=, max/min as a >= b ? a : b,
// TF's saturating float -> int cast. No fast-math flags anywhere, so + - * / sqrt round exactly as
// the reference kernels do (and no multiply-add is contracted).
#include "codegen/expr_emitter.h"

#include <array>

#include <llvm/IR/Intrinsics.h>

#include "codegen/vector_math.h"

namespace kiln::codegen {
namespace {

using Args = std::array<llvm::Value*, 3>;
// Builds one primitive from its operands; `type` is the result's register type.
using PrimitiveEmitter = llvm::Value* (*)(llvm::IRBuilder<>& b, const Args& a, llvm::Type* type);

bool IsFp(llvm::Value* v) { return v->getType()->isFPOrFPVectorTy(); }
bool IsBool(llvm::Value* v) { return v->getType()->getScalarType()->isIntegerTy(1); }

llvm::Value* Intrinsic(llvm::IRBuilder<>& b, llvm::Intrinsic::ID id, llvm::Value* x) {
  return b.CreateIntrinsic(id, {x->getType()}, {x});
}

// A compare: float predicate for floats, signed for integers, unsigned for bools (false < true).
template <llvm::CmpInst::Predicate kFloat, llvm::CmpInst::Predicate kSigned, llvm::CmpInst::Predicate kUnsigned>
llvm::Value* Compare(llvm::IRBuilder<>& b, const Args& a, llvm::Type*) {
  if (IsFp(a[0])) return b.CreateFCmp(kFloat, a[0], a[1]);
  return b.CreateICmp(IsBool(a[0]) ? kUnsigned : kSigned, a[0], a[1]);
}

// TF's Cast (graph/ops/math_ops.cc CastValue): to bool is x != 0 (true for NaN); from bool is 0
// or 1; float -> int truncates, saturates and maps NaN to 0, which is llvm.fptosi.sat exactly.
llvm::Value* Cast(llvm::IRBuilder<>& b, const Args& a, llvm::Type* to) {
  llvm::Value* x = a[0];
  llvm::Type* from = x->getType();
  if (from == to) return x;
  const bool to_fp = to->isFPOrFPVectorTy();
  if (to->getScalarType()->isIntegerTy(1)) {
    llvm::Value* zero = llvm::Constant::getNullValue(from);
    return IsFp(x) ? b.CreateFCmpUNE(x, zero) : b.CreateICmpNE(x, zero);
  }
  if (IsBool(x)) return to_fp ? b.CreateUIToFP(x, to) : b.CreateZExt(x, to);
  if (IsFp(x)) {
    if (to_fp) return b.CreateFPCast(x, to);
    return b.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {to, from}, {x});
  }
  return to_fp ? b.CreateSIToFP(x, to) : b.CreateSExtOrTrunc(x, to);
}

const std::array<PrimitiveEmitter, kNumExprOps>& Emitters() {
  static const std::array<PrimitiveEmitter, kNumExprOps> table = [] {
    std::array<PrimitiveEmitter, kNumExprOps> t{};
    auto at = [&](ExprOp op) -> PrimitiveEmitter& { return t[static_cast<int>(op)]; };
    using B = llvm::IRBuilder<>;
    using P = llvm::CmpInst::Predicate;
    at(ExprOp::kAdd) = [](B& b, const Args& a, llvm::Type*) { return IsFp(a[0]) ? b.CreateFAdd(a[0], a[1]) : b.CreateAdd(a[0], a[1]); };
    at(ExprOp::kSub) = [](B& b, const Args& a, llvm::Type*) { return IsFp(a[0]) ? b.CreateFSub(a[0], a[1]) : b.CreateSub(a[0], a[1]); };
    at(ExprOp::kMul) = [](B& b, const Args& a, llvm::Type*) { return IsFp(a[0]) ? b.CreateFMul(a[0], a[1]) : b.CreateMul(a[0], a[1]); };
    at(ExprOp::kDiv) = [](B& b, const Args& a, llvm::Type*) { return b.CreateFDiv(a[0], a[1]); };
    at(ExprOp::kNeg) = [](B& b, const Args& a, llvm::Type*) { return IsFp(a[0]) ? b.CreateFNeg(a[0]) : b.CreateNeg(a[0]); };
    at(ExprOp::kMax) = [](B& b, const Args& a, llvm::Type*) {
      return b.CreateSelect(IsFp(a[0]) ? b.CreateFCmpOGE(a[0], a[1]) : b.CreateICmpSGE(a[0], a[1]), a[0], a[1]);
    };
    at(ExprOp::kMin) = [](B& b, const Args& a, llvm::Type*) {
      return b.CreateSelect(IsFp(a[0]) ? b.CreateFCmpOLE(a[0], a[1]) : b.CreateICmpSLE(a[0], a[1]), a[0], a[1]);
    };
    at(ExprOp::kAbs) = [](B& b, const Args& a, llvm::Type*) {
      if (IsFp(a[0])) return Intrinsic(b, llvm::Intrinsic::fabs, a[0]);
      return b.CreateSelect(b.CreateICmpSLT(a[0], llvm::Constant::getNullValue(a[0]->getType())), b.CreateNeg(a[0]), a[0]);
    };
    at(ExprOp::kExp) = [](B& b, const Args& a, llvm::Type*) { return EmitExp(b, a[0]); };
    at(ExprOp::kLog) = [](B& b, const Args& a, llvm::Type*) { return EmitLog(b, a[0]); };
    at(ExprOp::kTanh) = [](B& b, const Args& a, llvm::Type*) { return EmitTanh(b, a[0]); };
    at(ExprOp::kSqrt) = [](B& b, const Args& a, llvm::Type*) { return Intrinsic(b, llvm::Intrinsic::sqrt, a[0]); };
    at(ExprOp::kRsqrt) = [](B& b, const Args& a, llvm::Type* type) {
      return b.CreateFDiv(llvm::ConstantFP::get(type, 1.0), Intrinsic(b, llvm::Intrinsic::sqrt, a[0]));
    };
    at(ExprOp::kFloor) = [](B& b, const Args& a, llvm::Type*) { return Intrinsic(b, llvm::Intrinsic::floor, a[0]); };
    at(ExprOp::kLt) = Compare<P::FCMP_OLT, P::ICMP_SLT, P::ICMP_ULT>;
    at(ExprOp::kLe) = Compare<P::FCMP_OLE, P::ICMP_SLE, P::ICMP_ULE>;
    at(ExprOp::kGt) = Compare<P::FCMP_OGT, P::ICMP_SGT, P::ICMP_UGT>;
    at(ExprOp::kGe) = Compare<P::FCMP_OGE, P::ICMP_SGE, P::ICMP_UGE>;
    at(ExprOp::kEq) = Compare<P::FCMP_OEQ, P::ICMP_EQ, P::ICMP_EQ>;
    at(ExprOp::kNe) = Compare<P::FCMP_UNE, P::ICMP_NE, P::ICMP_NE>;
    at(ExprOp::kSelect) = [](B& b, const Args& a, llvm::Type*) { return b.CreateSelect(a[0], a[1], a[2]); };
    at(ExprOp::kAnd) = [](B& b, const Args& a, llvm::Type*) { return b.CreateAnd(a[0], a[1]); };
    at(ExprOp::kOr) = [](B& b, const Args& a, llvm::Type*) { return b.CreateOr(a[0], a[1]); };
    at(ExprOp::kNot) = [](B& b, const Args& a, llvm::Type*) { return b.CreateNot(a[0]); };
    at(ExprOp::kCast) = Cast;
    return t;
  }();
  return table;
}

llvm::Value* EmitConstant(const ExprNode& node, llvm::Type* type) {
  if (type->isFPOrFPVectorTy()) return llvm::ConstantFP::get(type, node.float_value);
  return llvm::ConstantInt::get(type, static_cast<uint64_t>(node.int_value), /*IsSigned=*/true);
}

}  // namespace

llvm::Type* RegisterElementType(llvm::LLVMContext& ctx, DataType dtype) {
  switch (dtype) {
    case DT_FLOAT: return llvm::Type::getFloatTy(ctx);
    case DT_DOUBLE: return llvm::Type::getDoubleTy(ctx);
    case DT_INT32: return llvm::Type::getInt32Ty(ctx);
    case DT_INT64: return llvm::Type::getInt64Ty(ctx);
    case DT_BOOL: return llvm::Type::getInt1Ty(ctx);
    default: return nullptr;  // not an expression dtype; Validate rejected it
  }
}

llvm::Type* MemoryElementType(llvm::LLVMContext& ctx, DataType dtype) {
  return dtype == DT_BOOL ? llvm::Type::getInt8Ty(ctx) : RegisterElementType(ctx, dtype);
}

llvm::Value* FromMemory(llvm::IRBuilder<>& b, DataType dtype, llvm::Value* loaded) {
  return dtype == DT_BOOL ? b.CreateICmpNE(loaded, llvm::Constant::getNullValue(loaded->getType())) : loaded;
}

llvm::Value* ToMemory(llvm::IRBuilder<>& b, DataType dtype, llvm::Value* value) {
  if (dtype != DT_BOOL) return value;
  llvm::Type* i8 = b.getInt8Ty();
  auto* vec = llvm::dyn_cast<llvm::FixedVectorType>(value->getType());
  return b.CreateZExt(value, vec ? static_cast<llvm::Type*>(llvm::FixedVectorType::get(i8, vec->getNumElements())) : i8);
}

std::vector<llvm::Value*> EmitExpr(llvm::IRBuilder<>& b, const ElementwiseExpr& expr, unsigned lanes,
                                   const std::vector<llvm::Value*>& inputs) {
  std::vector<llvm::Value*> values(expr.nodes.size(), nullptr);
  for (size_t i = 0; i < expr.nodes.size(); ++i) {
    const ExprNode& node = expr.nodes[i];
    llvm::Type* type = llvm::FixedVectorType::get(RegisterElementType(b.getContext(), node.dtype), lanes);
    if (node.op == ExprOp::kInput) {
      values[i] = inputs[node.input_index];
    } else if (node.op == ExprOp::kConstant) {
      values[i] = EmitConstant(node, type);
    } else {
      Args args{};
      for (int a = 0; a < ExprOpArity(node.op); ++a) args[a] = values[node.args[a]];
      values[i] = Emitters()[static_cast<int>(node.op)](b, args, type);
    }
  }
  std::vector<llvm::Value*> outputs;
  for (int32_t id : expr.outputs) outputs.push_back(values[id]);
  return outputs;
}

}  // namespace kiln::codegen
