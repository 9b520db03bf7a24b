// The loop nest of a fused elementwise cluster. The iteration space is first reduced by
// PlanBroadcast; then a call's range [begin, end) of the flattened space is walked as strips of
// consecutive output elements, along which every input is either contiguous or one broadcast
// element. Each strip is a hand-vectorized loop at the host's width (the expression emitted once
// over <lanes x T>) plus one masked iteration for the remaining elements (llvm.masked.load/store),
// so a strip of any length needs no scalar code.
//
//   flat (rank 1, the fast path): one strip, [begin, end); broadcast scalars are loaded once.
//   rows (rank r > 1): for each row of the innermost dim D that [begin, end) touches, a strip of
//     its part of the row; each input's offset comes from the row index by division by the
//     (constant) outer dims, which LLVM turns into multiplies.
//   reduced rows (outputs reduced): whole rows; a row reduction accumulates in registers and is
//     stored at the row's end, a column sum adds each vector into the call's row of partial sums
//     (in L1: a row of 256 doubles is 2 KB).
//
// Vector loops carry metadata keeping O2's vectorizer and unroller off them (they are vectorized
// already; see affine_relu_kernel.cc for the measurements behind that).
#include <algorithm>
#include <cctype>

#include <llvm/IR/Intrinsics.h>

#include "codegen/broadcast_layout.h"
#include "codegen/elementwise_kernel.h"
#include "codegen/expr_emitter.h"
#include "codegen/kernel_module.h"
#include "codegen/llvm_pipeline.h"
#include "codegen/reduction_emitter.h"

namespace kiln::codegen {
namespace {

int ElementBits(DataType dtype) { return dtype == DT_BOOL ? 8 : static_cast<int>(DataTypeSize(dtype)) * 8; }

// Lanes so that the widest dtype the expression touches fills one vector register (a power of
// two, which the masked tail and the reduction tree rely on).
unsigned LanesFor(const ElementwiseExpr& expr, int vector_bits) {
  int widest = 8;
  for (const ExprNode& n : expr.nodes) widest = std::max(widest, ElementBits(n.dtype));
  unsigned lanes = 1;
  while (lanes * 2 * widest <= static_cast<unsigned>(vector_bits)) lanes *= 2;
  return lanes;
}

OutputReduction ReductionOf(const ElementwiseCluster& c, size_t output) {
  return c.output_reductions.empty() ? OutputReduction::kNone : c.output_reductions[output];
}

// What a call's {begin, end} indexes: elements, or rows when outputs are reduced (elementwise_kernel.h).
int64_t RangeSize(const ElementwiseCluster& c) {
  int64_t size = 1;
  for (size_t d = 0; d + (c.has_reductions() ? 1 : 0) < c.shape.size(); ++d) size *= c.shape[d];
  return size;
}

// A run of `count` consecutive elements: per input a pointer to its first element (read
// contiguously) or a loop-invariant splat (a broadcast element); per output a pointer, or null
// for a reduced output, whose running value is an accumulator instead.
struct Strip {
  std::vector<llvm::Value*> contiguous;
  std::vector<llvm::Value*> splat;
  std::vector<llvm::Value*> outputs;
  llvm::Value* count = nullptr;
};

class LoopNestEmitter {
 public:
  LoopNestEmitter(KernelModule& m, const ElementwiseCluster& c, const BroadcastLayout& layout, unsigned lanes)
      : m_(m), c_(c), layout_(layout), lanes_(lanes), b_(*m.context) {}

  void Emit() {
    llvm::BasicBlock* entry = Block("entry");
    llvm::BasicBlock* body = Block("body");
    llvm::BasicBlock* done = Block("done");
    b_.SetInsertPoint(entry);
    const int num_inputs = static_cast<int>(c_.expr.input_dtypes.size());
    for (int i = 0; i < num_inputs; ++i) inputs_.push_back(LoadBuffer(b_, m_, i));
    for (size_t j = 0; j < c_.expr.outputs.size(); ++j) outputs_.push_back(LoadBuffer(b_, m_, num_inputs + static_cast<int>(j)));
    BeginColumnSums();
    // Clamp the range to [0, range_size): a wrong range must not write out of bounds. The range
    // size is the caller's third size: a flat kernel's code does not depend on it, so clusters of
    // one expression and any length share the kernel.
    llvm::Value* begin = b_.CreateBinaryIntrinsic(llvm::Intrinsic::smax, LoadSize(b_, m_, 0), b_.getInt64(0), nullptr, "begin");
    llvm::Value* end = b_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, LoadSize(b_, m_, 1), LoadSize(b_, m_, 2), nullptr, "end");
    b_.CreateCondBr(b_.CreateICmpSLT(begin, end), body, done);
    b_.SetInsertPoint(body);
    if (c_.has_reductions()) {
      EmitReducedRows(begin, end);
    } else if (layout_.is_flat()) {
      EmitFlat(begin, end);
    } else {
      EmitRows(begin, end);
    }
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    b_.CreateRet(b_.getInt32(0));
  }

 private:
  llvm::BasicBlock* Block(const char* name) { return llvm::BasicBlock::Create(*m_.context, name, m_.function); }
  bool IsColumnSum(size_t output) const { return ReductionOf(c_, output) == OutputReduction::kColumnSum; }

  // Points each column-sum output at the row of partial sums this call fills (the fourth size) and
  // zeroes it, before the range check: an empty range still leaves zeros for the caller to add.
  void BeginColumnSums() {
    const int64_t cols = c_.shape.empty() ? 0 : c_.shape.back();
    for (size_t j = 0; j < outputs_.size(); ++j) {
      if (!IsColumnSum(j)) continue;
      llvm::Value* first = b_.CreateMul(LoadSize(b_, m_, 3), b_.getInt64(cols), "partial");
      outputs_[j] = Element(DT_DOUBLE, outputs_[j], first);
      b_.CreateMemSet(outputs_[j], b_.getInt8(0), b_.getInt64(cols * 8), llvm::Align(8));
    }
  }
  bool Used(int input) const { return c_.expr.input_dtypes[input] != DT_INVALID; }
  DataType InputType(int input) const { return c_.expr.input_dtypes[input]; }
  llvm::Type* Memory(DataType dtype) { return MemoryElementType(*m_.context, dtype); }
  llvm::Align Align(DataType dtype) { return llvm::Align(ElementBits(dtype) / 8); }
  llvm::Value* Element(DataType dtype, llvm::Value* base, llvm::Value* index) {
    return b_.CreateInBoundsGEP(Memory(dtype), base, index);
  }

  // Input `input`'s element at `offset`, splatted to a vector in register form.
  llvm::Value* LoadSplat(int input, llvm::Value* offset) {
    DataType dtype = InputType(input);
    llvm::Value* scalar = b_.CreateAlignedLoad(Memory(dtype), Element(dtype, inputs_[input], offset), Align(dtype));
    return b_.CreateVectorSplat(lanes_, FromMemory(b_, dtype, scalar));
  }

  // The whole range is one strip: inputs contiguous from `begin` or broadcast scalars.
  void EmitFlat(llvm::Value* begin, llvm::Value* end) {
    Strip s;
    for (size_t k = 0; k < inputs_.size(); ++k) {
      const bool contiguous = Used(k) && layout_.strides[k][0] != 0;
      s.contiguous.push_back(contiguous ? Element(InputType(k), inputs_[k], begin) : nullptr);
      s.splat.push_back(Used(k) && !contiguous ? LoadSplat(k, b_.getInt64(0)) : nullptr);
    }
    for (size_t j = 0; j < outputs_.size(); ++j) s.outputs.push_back(Element(c_.expr.output_dtype(j), outputs_[j], begin));
    s.count = b_.CreateSub(end, begin, "count");
    std::vector<llvm::Value*> no_accumulators(outputs_.size(), nullptr);
    EmitStrip(s, &no_accumulators);
  }

  // Points the strip's inputs at row `row` (of the outer dims), column `col` of the innermost dim.
  void SetRowInputs(llvm::Value* row, llvm::Value* col, Strip* s) {
    const int rank = layout_.rank();
    // The row's index along each outer dim, innermost first; the outermost takes what is left.
    std::vector<llvm::Value*> index(rank - 1);
    llvm::Value* rest = row;
    for (int d = rank - 2; d >= 1; --d) {
      index[d] = b_.CreateURem(rest, b_.getInt64(layout_.dims[d]));
      rest = b_.CreateUDiv(rest, b_.getInt64(layout_.dims[d]));
    }
    if (rank > 1) index[0] = rest;
    for (size_t k = 0; k < inputs_.size(); ++k) {
      if (!Used(k)) {
        s->contiguous.push_back(nullptr);
        s->splat.push_back(nullptr);
        continue;
      }
      llvm::Value* offset = b_.getInt64(0);
      for (int d = 0; d < rank - 1; ++d) {
        if (layout_.strides[k][d] != 0) offset = b_.CreateAdd(offset, b_.CreateMul(index[d], b_.getInt64(layout_.strides[k][d])));
      }
      const bool contiguous = layout_.strides[k][rank - 1] != 0;
      s->contiguous.push_back(contiguous ? Element(InputType(k), inputs_[k], b_.CreateAdd(offset, col)) : nullptr);
      s->splat.push_back(contiguous ? nullptr : LoadSplat(k, offset));
    }
  }

  // A loop from `begin` to `end` whose body `emit_body(i)` returns the next i; leaves the builder
  // after the loop.
  template <typename F>
  void EmitLoop(llvm::Value* begin, llvm::Value* end, const char* name, F emit_body) {
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* loop = Block(name);
    llvm::BasicBlock* loop_done = Block("loop.done");
    b_.CreateBr(loop);
    b_.SetInsertPoint(loop);
    llvm::PHINode* i = b_.CreatePHI(b_.getInt64Ty(), 2, name);
    i->addIncoming(begin, from);
    llvm::Value* next = emit_body(static_cast<llvm::Value*>(i));
    i->addIncoming(next, b_.GetInsertBlock());
    MarkLoopDoNotOptimize(b_.CreateCondBr(b_.CreateICmpSLT(next, end), loop, loop_done));
    b_.SetInsertPoint(loop_done);
  }

  // One strip per row of the innermost dim that the element range [begin, end) touches.
  void EmitRows(llvm::Value* begin, llvm::Value* end) {
    const int64_t inner = layout_.dims.back();
    EmitLoop(begin, end, "i", [&](llvm::Value* i) {
      llvm::Value* col = b_.CreateURem(i, b_.getInt64(inner), "col");
      Strip s;
      SetRowInputs(b_.CreateUDiv(i, b_.getInt64(inner), "row"), col, &s);
      for (size_t j = 0; j < outputs_.size(); ++j) s.outputs.push_back(Element(c_.expr.output_dtype(j), outputs_[j], i));
      s.count = b_.CreateBinaryIntrinsic(llvm::Intrinsic::umin, b_.CreateSub(b_.getInt64(inner), col), b_.CreateSub(end, i),
                                         nullptr, "len");
      std::vector<llvm::Value*> no_accumulators(outputs_.size(), nullptr);
      EmitStrip(s, &no_accumulators);
      return b_.CreateAdd(i, s.count, "next_i", /*HasNUW=*/true, /*HasNSW=*/true);
    });
  }

  // One whole row per iteration of the row range [begin, end): elementwise outputs stored as
  // they come, reduced ones accumulated and stored once at the row's end.
  void EmitReducedRows(llvm::Value* begin, llvm::Value* end) {
    const int64_t cols = layout_.dims.back();
    EmitLoop(begin, end, "row", [&](llvm::Value* row) {
      if (cols == 0) {  // empty rows: the reductions' identities (and no input is read)
        for (size_t j = 0; j < outputs_.size(); ++j) {
          const OutputReduction kind = ReductionOf(c_, j);
          if (kind == OutputReduction::kNone || kind == OutputReduction::kColumnSum) continue;
          const DataType dtype = c_.expr.output_dtype(j);
          llvm::Value* identity = ReductionIdentity(AccumulatorType(*m_.context, kind, dtype, lanes_), kind);
          llvm::Value* result = FinishReduction(b_, kind, dtype, identity);
          b_.CreateAlignedStore(ToMemory(b_, dtype, result), Element(dtype, outputs_[j], row), Align(dtype));
        }
        return b_.CreateAdd(row, b_.getInt64(1), "next_row", /*HasNUW=*/true, /*HasNSW=*/true);
      }
      Strip s;
      SetRowInputs(row, b_.getInt64(0), &s);
      llvm::Value* first = b_.CreateMul(row, b_.getInt64(cols), "first");
      std::vector<llvm::Value*> accumulators;
      for (size_t j = 0; j < outputs_.size(); ++j) {
        const OutputReduction kind = ReductionOf(c_, j);
        const DataType dtype = c_.expr.output_dtype(j);
        // A column sum's strip adds into the partial row, whose columns are the strip's elements.
        s.outputs.push_back(kind == OutputReduction::kNone ? Element(dtype, outputs_[j], first)
                            : kind == OutputReduction::kColumnSum ? outputs_[j]
                                                                  : nullptr);
        const bool in_register = kind != OutputReduction::kNone && kind != OutputReduction::kColumnSum;
        accumulators.push_back(in_register ? ReductionIdentity(AccumulatorType(*m_.context, kind, dtype, lanes_), kind)
                                           : nullptr);
      }
      s.count = b_.getInt64(cols);
      EmitStrip(s, &accumulators);
      for (size_t j = 0; j < outputs_.size(); ++j) {
        if (!accumulators[j]) continue;
        const DataType dtype = c_.expr.output_dtype(j);
        llvm::Value* result = FinishReduction(b_, ReductionOf(c_, j), dtype, accumulators[j]);
        b_.CreateAlignedStore(ToMemory(b_, dtype, result), Element(dtype, outputs_[j], row), Align(dtype));
      }
      return b_.CreateAdd(row, b_.getInt64(1), "next_row", /*HasNUW=*/true, /*HasNSW=*/true);
    });
  }

  // The strip's full vectors, then one masked vector for the rest; leaves the builder in a block
  // after both. `accumulators` (one per output, null for stored outputs) come in holding their
  // values before the strip and leave holding them after it.
  void EmitStrip(const Strip& s, std::vector<llvm::Value*>* accumulators) {
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* vector_loop = Block("vector.loop");
    llvm::BasicBlock* tail_check = Block("tail.check");
    llvm::BasicBlock* tail = Block("tail");
    llvm::BasicBlock* strip_done = Block("strip.done");
    llvm::Value* full = b_.CreateAnd(s.count, b_.getInt64(-static_cast<int64_t>(lanes_)), "full");
    b_.CreateCondBr(b_.CreateICmpNE(full, b_.getInt64(0)), vector_loop, tail_check);
    // An accumulator's value where control merges: one phi per accumulator.
    auto merge = [&](const std::vector<llvm::Value*>& values, const char* name) {
      std::vector<llvm::Value*> phis;
      for (llvm::Value* v : values) phis.push_back(v ? b_.CreatePHI(v->getType(), 2, name) : nullptr);
      return phis;
    };
    auto add_incoming = [](const std::vector<llvm::Value*>& phis, const std::vector<llvm::Value*>& values,
                           llvm::BasicBlock* block) {
      for (size_t a = 0; a < phis.size(); ++a) {
        if (phis[a]) llvm::cast<llvm::PHINode>(phis[a])->addIncoming(values[a], block);
      }
    };
    const std::vector<llvm::Value*> before = *accumulators;

    b_.SetInsertPoint(vector_loop);
    llvm::PHINode* j = b_.CreatePHI(b_.getInt64Ty(), 2, "j");
    j->addIncoming(b_.getInt64(0), from);
    std::vector<llvm::Value*> in_loop = merge(before, "acc");
    add_incoming(in_loop, before, from);
    std::vector<llvm::Value*> after_step = EmitVectorStep(s, j, nullptr, in_loop);
    add_incoming(in_loop, after_step, vector_loop);
    llvm::Value* next = b_.CreateAdd(j, b_.getInt64(lanes_), "next", /*HasNUW=*/true, /*HasNSW=*/true);
    j->addIncoming(next, vector_loop);
    MarkLoopDoNotOptimize(b_.CreateCondBr(b_.CreateICmpULT(next, full), vector_loop, tail_check));

    b_.SetInsertPoint(tail_check);
    std::vector<llvm::Value*> after_loop = merge(before, "acc.loop");
    add_incoming(after_loop, before, from);
    add_incoming(after_loop, after_step, vector_loop);
    llvm::Value* rest = b_.CreateSub(s.count, full, "rest");
    b_.CreateCondBr(b_.CreateICmpNE(rest, b_.getInt64(0)), tail, strip_done);

    b_.SetInsertPoint(tail);
    std::vector<llvm::Constant*> iota;
    for (unsigned l = 0; l < lanes_; ++l) iota.push_back(b_.getInt32(l));
    llvm::Value* rest32 = b_.CreateVectorSplat(lanes_, b_.CreateTrunc(rest, b_.getInt32Ty()));
    llvm::Value* mask = b_.CreateICmpULT(llvm::ConstantVector::get(iota), rest32, "mask");
    std::vector<llvm::Value*> after_tail = EmitVectorStep(s, full, mask, after_loop);
    b_.CreateBr(strip_done);

    b_.SetInsertPoint(strip_done);
    *accumulators = merge(before, "acc.strip");
    add_incoming(*accumulators, after_loop, tail_check);
    add_incoming(*accumulators, after_tail, tail);
  }

  // Elements [j, j + lanes) of the strip, the lanes under `mask` only when it is not null; returns
  // the accumulators after them. All loads come before all stores, so an output may overwrite the
  // input it was computed from.
  std::vector<llvm::Value*> EmitVectorStep(const Strip& s, llvm::Value* j, llvm::Value* mask,
                                           const std::vector<llvm::Value*>& accumulators) {
    std::vector<llvm::Value*> values(inputs_.size(), nullptr);
    for (size_t k = 0; k < inputs_.size(); ++k) {
      if (s.splat[k]) values[k] = s.splat[k];
      if (!s.contiguous[k]) continue;
      DataType dtype = InputType(k);
      llvm::Type* type = llvm::FixedVectorType::get(Memory(dtype), lanes_);
      llvm::Value* ptr = Element(dtype, s.contiguous[k], j);
      llvm::Value* loaded = mask ? static_cast<llvm::Value*>(b_.CreateMaskedLoad(type, ptr, Align(dtype), mask,
                                                                                 llvm::Constant::getNullValue(type)))
                                 : b_.CreateAlignedLoad(type, ptr, Align(dtype));
      values[k] = FromMemory(b_, dtype, loaded);
    }
    std::vector<llvm::Value*> results = EmitExpr(b_, c_.expr, lanes_, values);
    std::vector<llvm::Value*> next = accumulators;
    for (size_t o = 0; o < results.size(); ++o) {
      if (accumulators[o]) {
        next[o] = Accumulate(b_, ReductionOf(c_, o), accumulators[o], results[o], mask);
        continue;
      }
      if (IsColumnSum(o)) {
        AddToPartials(s.outputs[o], j, mask, results[o]);
        continue;
      }
      DataType dtype = c_.expr.output_dtype(o);
      llvm::Value* value = ToMemory(b_, dtype, results[o]);
      llvm::Value* ptr = Element(dtype, s.outputs[o], j);
      if (mask) {
        b_.CreateMaskedStore(value, ptr, Align(dtype), mask);
      } else {
        b_.CreateAlignedStore(value, ptr, Align(dtype));
      }
    }
    return next;
  }

  // partial[j, j + lanes) += value (in double), the lanes under `mask` only when it is not null.
  void AddToPartials(llvm::Value* partial, llvm::Value* j, llvm::Value* mask, llvm::Value* value) {
    llvm::Type* type = llvm::FixedVectorType::get(b_.getDoubleTy(), lanes_);
    llvm::Value* ptr = Element(DT_DOUBLE, partial, j);
    llvm::Value* sum = mask ? static_cast<llvm::Value*>(b_.CreateMaskedLoad(type, ptr, llvm::Align(8), mask,
                                                                            llvm::Constant::getNullValue(type)))
                            : b_.CreateAlignedLoad(type, ptr, llvm::Align(8));
    if (value->getType() != type) value = b_.CreateFPExt(value, type);
    sum = b_.CreateFAdd(sum, value);
    if (mask) {
      b_.CreateMaskedStore(sum, ptr, llvm::Align(8), mask);
    } else {
      b_.CreateAlignedStore(sum, ptr, llvm::Align(8));
    }
  }

  KernelModule& m_;
  const ElementwiseCluster& c_;
  const BroadcastLayout& layout_;
  const unsigned lanes_;
  llvm::IRBuilder<> b_;
  std::vector<llvm::Value*> inputs_, outputs_;  // base pointers
};

std::string SymbolName(const std::string& name) {
  std::string out = "elementwise_";
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  return out;
}

// The checks CompileElementwise makes before emitting anything.
Status ValidateCluster(const ElementwiseCluster& c) {
  KILN_RETURN_IF_ERROR(c.expr.Validate());
  if (c.expr.outputs.empty()) return InvalidArgument("the cluster has no outputs");
  if (c.input_shapes.size() != c.expr.input_dtypes.size()) {
    return InvalidArgument("the expression has " + std::to_string(c.expr.input_dtypes.size()) + " inputs but " +
                           std::to_string(c.input_shapes.size()) + " input shapes were given");
  }
  if (!c.output_reductions.empty()) {
    if (c.output_reductions.size() != c.expr.outputs.size()) {
      return InvalidArgument(std::to_string(c.output_reductions.size()) + " output reductions for " +
                             std::to_string(c.expr.outputs.size()) + " outputs");
    }
    if (c.has_reductions() && c.shape.empty()) return InvalidArgument("a scalar iteration shape has no dim to reduce");
    for (size_t o = 0; o < c.output_reductions.size(); ++o) {
      if (c.output_reductions[o] != OutputReduction::kNone && c.expr.output_dtype(o) == DT_BOOL) {
        return InvalidArgument("output " + std::to_string(o) + " is bool and cannot be reduced");
      }
      const DataType dtype = c.expr.output_dtype(o);
      if (c.output_reductions[o] == OutputReduction::kColumnSum && dtype != DT_FLOAT && dtype != DT_DOUBLE) {
        return InvalidArgument("output " + std::to_string(o) + " is " + DataTypeName(dtype) +
                               ": column sums are of float or double");
      }
    }
  }
  return OkStatus();
}

}  // namespace

bool ElementwiseCluster::has_reductions() const {
  for (OutputReduction r : output_reductions) {
    if (r != OutputReduction::kNone) return true;
  }
  return false;
}

StatusOr<KernelModule> EmitElementwiseKernel(const ElementwiseCluster& cluster, int vector_bits, const std::string& symbol) {
  auto context = [&](const Status& s) { return s.WithContext("elementwise cluster '" + cluster.name + "'"); };
  KILN_RETURN_IF_ERROR(context(ValidateCluster(cluster)));
  StatusOr<BroadcastLayout> layout = PlanBroadcast(cluster.shape, cluster.input_shapes, cluster.has_reductions());
  KILN_RETURN_IF_ERROR(context(layout.status()));
  KernelModule m = NewKernelModule(symbol);
  LoopNestEmitter(m, cluster, *layout, LanesFor(cluster.expr, vector_bits)).Emit();
  return m;
}

StatusOr<CompiledElementwise> CompileElementwise(Jit& jit, const ElementwiseCluster& cluster) {
  // A symbol derived from what the kernel's code depends on, so an equal cluster finds the kernel
  // the Jit already has, and a new process the object the disk cache keeps. A flat loop depends on
  // its inputs' kinds (contiguous or one broadcast element), not on its length: mlp_bn's five
  // batch-norm layers of 256 to 16 units share their per-unit kernels, a third of its cold compile.
  auto context = [&](const Status& s) { return s.WithContext("elementwise cluster '" + cluster.name + "'"); };
  KILN_RETURN_IF_ERROR(context(ValidateCluster(cluster)));
  StatusOr<BroadcastLayout> planned = PlanBroadcast(cluster.shape, cluster.input_shapes, cluster.has_reductions());
  KILN_RETURN_IF_ERROR(context(planned.status()));
  const BroadcastLayout& layout = *planned;
  std::string content = cluster.name + "\n" + cluster.expr.ToString();
  if (layout.is_flat() && !cluster.has_reductions()) {
    content += "\nflat";
    for (const std::vector<int64_t>& strides : layout.strides) content += strides[0] != 0 ? " contiguous" : " element";
  } else {
    content += "\nshape " + DimsToString(cluster.shape);
    for (const std::vector<int64_t>& dims : cluster.input_shapes) content += "\ninput " + DimsToString(dims);
    for (OutputReduction r : cluster.output_reductions) content += "\nreduce " + std::to_string(static_cast<int>(r));
  }
  const std::string symbol = "kiln_" + SymbolName(cluster.name) + "_" + HexDigest(content, 24);
  KilnKernelFn fn = jit.FindKernel(symbol);
  if (!fn) {
    KILN_ASSIGN_OR_RETURN(KernelModule m, EmitElementwiseKernel(cluster, jit.cpu().vector_bits, symbol));
    StatusOr<KilnKernelFn> added = jit.AddKernel(std::move(m));
    KILN_RETURN_IF_ERROR(context(added.status()));
    fn = *added;
  }
  CompiledElementwise out;
  out.fn = fn;
  out.symbol = symbol;
  out.num_inputs = static_cast<int>(cluster.expr.input_dtypes.size());
  out.num_outputs = static_cast<int>(cluster.expr.outputs.size());
  out.num_elements = layout.num_elements;
  out.range_size = RangeSize(cluster);
  out.range_unit_elements = cluster.has_reductions() ? cluster.shape.back() : 1;
  out.vector_lanes = static_cast<int>(LanesFor(cluster.expr, jit.cpu().vector_bits));
  out.loop_dims = layout.dims;
  return out;
}

}  // namespace kiln::codegen
