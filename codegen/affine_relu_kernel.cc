// y[i] = relu(a * x[i] + b): the first JIT kernel, emitted with an explicit vector main loop of the
// host's width (16 floats with AVX-512) and a scalar tail, so vectorization does not depend on the
// optimizer recognizing the loop. No fast-math flags: the multiply and add stay unfused and results
// are bitwise equal to the plain C++ reference.
#include "codegen/jit.h"
#include "codegen/llvm_module.h"

namespace kiln::codegen {
namespace {

// relu(v) = v > 0 ? v : 0 (NaN maps to 0), the reference's definition.
llvm::Value* Relu(llvm::IRBuilder<>& b, llvm::Value* v) {
  llvm::Value* zero = llvm::Constant::getNullValue(v->getType());
  return b.CreateSelect(b.CreateFCmpOGT(v, zero), v, zero);
}

}  // namespace

StatusOr<KilnKernelFn> Jit::CompileAffineRelu(DataType dtype, const std::string& symbol) {
  if (dtype != DT_FLOAT && dtype != DT_DOUBLE) {
    return Unimplemented("affine-relu kernel for dtype " + DataTypeName(dtype));
  }
  KernelModule m = NewKernelModule(symbol);
  llvm::LLVMContext& ctx = *m.context;
  llvm::Type* elem = dtype == DT_FLOAT ? llvm::Type::getFloatTy(ctx) : llvm::Type::getDoubleTy(ctx);
  const int elem_bits = dtype == DT_FLOAT ? 32 : 64;
  const unsigned lanes = static_cast<unsigned>(impl_ ? HostOf(*impl_).vector_bits / elem_bits : 4);
  llvm::Type* vec = llvm::FixedVectorType::get(elem, lanes);
  const llvm::Align align(elem_bits / 8);  // callers may pass sub-buffers: element alignment only

  auto* entry = llvm::BasicBlock::Create(ctx, "entry", m.function);
  auto* vloop = llvm::BasicBlock::Create(ctx, "vector.loop", m.function);
  auto* tail_check = llvm::BasicBlock::Create(ctx, "tail.check", m.function);
  auto* tail = llvm::BasicBlock::Create(ctx, "tail.loop", m.function);
  auto* done = llvm::BasicBlock::Create(ctx, "done", m.function);
  llvm::IRBuilder<> b(entry);
  llvm::Value* x = LoadBuffer(b, m, 0);
  llvm::Value* a = b.CreateLoad(elem, LoadBuffer(b, m, 1), "a");
  llvm::Value* bias = b.CreateLoad(elem, LoadBuffer(b, m, 2), "b");
  llvm::Value* y = LoadBuffer(b, m, 3);
  llvm::Value* n = LoadSize(b, m, 0);
  llvm::Value* n_vec = b.CreateMul(b.CreateUDiv(n, b.getInt64(lanes)), b.getInt64(lanes), "n_vec");
  llvm::Value* a_vec = b.CreateVectorSplat(lanes, a);
  llvm::Value* b_vec = b.CreateVectorSplat(lanes, bias);
  b.CreateCondBr(b.CreateICmpUGT(n_vec, b.getInt64(0)), vloop, tail_check);

  b.SetInsertPoint(vloop);
  llvm::PHINode* i = b.CreatePHI(b.getInt64Ty(), 2, "i");
  i->addIncoming(b.getInt64(0), entry);
  llvm::Value* xv = b.CreateAlignedLoad(vec, b.CreateInBoundsGEP(elem, x, i), align);
  llvm::Value* rv = Relu(b, b.CreateFAdd(b.CreateFMul(a_vec, xv), b_vec));
  b.CreateAlignedStore(rv, b.CreateInBoundsGEP(elem, y, i), align);
  llvm::Value* i_next = b.CreateAdd(i, b.getInt64(lanes));
  i->addIncoming(i_next, vloop);
  b.CreateCondBr(b.CreateICmpULT(i_next, n_vec), vloop, tail_check);

  b.SetInsertPoint(tail_check);
  b.CreateCondBr(b.CreateICmpULT(n_vec, n), tail, done);

  b.SetInsertPoint(tail);
  llvm::PHINode* j = b.CreatePHI(b.getInt64Ty(), 2, "j");
  j->addIncoming(n_vec, tail_check);
  llvm::Value* xs = b.CreateAlignedLoad(elem, b.CreateInBoundsGEP(elem, x, j), align);
  b.CreateAlignedStore(Relu(b, b.CreateFAdd(b.CreateFMul(a, xs), bias)), b.CreateInBoundsGEP(elem, y, j), align);
  llvm::Value* j_next = b.CreateAdd(j, b.getInt64(1));
  j->addIncoming(j_next, tail);
  b.CreateCondBr(b.CreateICmpULT(j_next, n), tail, done);

  b.SetInsertPoint(done);
  b.CreateRet(b.getInt32(0));
  return CompileKernelModule(*impl_, std::move(m), symbol);
}

}  // namespace kiln::codegen
