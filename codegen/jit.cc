#include "codegen/jit.h"

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/kernel_cache.h"
#include "codegen/kernel_module.h"
#include "codegen/llvm_pipeline.h"

namespace kiln::codegen {
namespace {

// Part of every disk-cache key. Bump it whenever the steps from emitted IR to machine code change
// (VerifyAndOptimize's pipeline, the backend options), which the IR's hash cannot see.
constexpr char kCacheFormat[] = "kiln kernel cache 1";

// Everything the kernel's machine code depends on: the IR as emitted (before optimization, so a
// hit skips the optimizer too), the CPU it is compiled for, the LLVM version and kCacheFormat.
std::string CacheKey(const KernelModule& m, const HostCpu& cpu) {
  std::string ir;
  llvm::raw_string_ostream os(ir);
  m.module->print(os, nullptr);
  os.flush();
  return HexDigest(std::string(kCacheFormat) + "\nllvm " + LLVM_VERSION_STRING + "\n" + cpu.name + "\n" + cpu.features +
                       "\n" + std::to_string(cpu.vector_bits) + "\n" + ir,
                   32);
}

// Whether `object` parses as an object file that defines `symbol`: a cached file that does not is
// a miss, so a damaged file never reaches the linker.
bool DefinesSymbol(const std::string& object, const std::string& symbol) {
  auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(object, symbol));
  if (!file) {
    llvm::consumeError(file.takeError());
    return false;
  }
  for (const llvm::object::SymbolRef& sym : (*file)->symbols()) {
    auto name = sym.getName();
    auto flags = sym.getFlags();
    if (!name || !flags) {
      if (!name) llvm::consumeError(name.takeError());
      if (!flags) llvm::consumeError(flags.takeError());
      continue;
    }
    if (*name == symbol && !(*flags & llvm::object::SymbolRef::SF_Undefined)) return true;
  }
  return false;
}

}  // namespace

struct Jit::Impl {
  HostCpu cpu;
  std::optional<KernelCache> disk;  // none without JitOptions::cache_dir
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  // Kernels compile to object code outside the lock, several at once (each module has its own
  // LLVMContext, each compile its own TargetMachine: a TargetMachine caches subtargets without a
  // lock); the lock covers the bookkeeping, the disk cache and linking into the LLJIT. Calling
  // compiled kernels needs no lock.
  mutable std::mutex mu;
  int64_t next_symbol = 0;
  std::map<std::string, KilnKernelFn> kernels;  // by symbol
  JitStats stats;
  std::vector<std::unique_ptr<llvm::TargetMachine>> idle_machines;  // for compiles to borrow

  // A TargetMachine for one compile, returned with GiveBack.
  StatusOr<std::unique_ptr<llvm::TargetMachine>> Borrow() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle_machines.empty()) {
        std::unique_ptr<llvm::TargetMachine> tm = std::move(idle_machines.back());
        idle_machines.pop_back();
        return tm;
      }
    }
    KILN_ASSIGN_OR_RETURN(llvm::orc::JITTargetMachineBuilder jtmb, MachineBuilderFor(cpu));
    return CreateTargetMachine(jtmb);
  }
  void GiveBack(std::unique_ptr<llvm::TargetMachine> tm) {
    std::lock_guard<std::mutex> lock(mu);
    idle_machines.push_back(std::move(tm));
  }
};

Jit::Jit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jit::~Jit() = default;
const HostCpu& Jit::cpu() const { return impl_->cpu; }

JitStats Jit::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

StatusOr<std::unique_ptr<Jit>> Jit::Create(const JitOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->cpu = DetectHostCpu();
  KILN_ASSIGN_OR_RETURN(llvm::orc::JITTargetMachineBuilder jtmb, MachineBuilderFor(impl->cpu));
  // One TargetMachine up front: a host LLVM cannot generate code for fails here, not at the first kernel.
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<llvm::TargetMachine> tm, CreateTargetMachine(jtmb));
  impl->idle_machines.push_back(std::move(tm));
  if (!options.cache_dir.empty()) {
    KILN_ASSIGN_OR_RETURN(KernelCache cache, KernelCache::Open(options.cache_dir));
    impl->disk = std::move(cache);
  }
  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(std::move(jtmb));
  auto lljit = builder.create();
  if (!lljit) return Internal("cannot create the ORC LLJIT: " + LlvmErrorMessage(lljit.takeError()));
  impl->lljit = std::move(*lljit);
  return std::unique_ptr<Jit>(new Jit(std::move(impl)));
}

std::string Jit::FreshSymbol(const std::string& kernel) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return "kiln_" + kernel + "_" + std::to_string(impl_->next_symbol++);
}

StatusOr<KilnKernelFn> Jit::Lookup(const std::string& symbol) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto address = impl_->lljit->lookup(symbol);
  if (!address) return NotFound("no JIT kernel " + symbol + ": " + LlvmErrorMessage(address.takeError()));
  return address->toPtr<KilnKernelFn>();
}

KilnKernelFn Jit::FindKernel(const std::string& symbol) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->kernels.find(symbol);
  if (it == impl_->kernels.end()) return nullptr;
  ++impl_->stats.reused;
  return it->second;
}

StatusOr<KilnKernelFn> Jit::AddKernel(KernelModule&& m) {
  const std::string symbol = m.symbol;
  if (KilnKernelFn fn = FindKernel(symbol)) return fn;
  // The key prints and hashes the module's IR: only for a kernel this Jit does not have yet.
  const std::string key = impl_->disk ? CacheKey(m, impl_->cpu) : "";
  std::optional<std::string> object;
  if (impl_->disk) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    object = impl_->disk->Load(key);
    if (object && !DefinesSymbol(*object, symbol)) object.reset();
  }
  // A cached object was compiled from this very IR, so it was verified and optimized then.
  const bool from_disk = object.has_value();
  if (!from_disk) {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<llvm::TargetMachine> tm, impl_->Borrow());
    Status verified = VerifyAndOptimize(m, *tm, impl_->cpu.vector_bits);
    StatusOr<std::string> emitted = verified.ok() ? EmitObjectFile(m, *tm) : StatusOr<std::string>(verified);
    impl_->GiveBack(std::move(tm));
    KILN_RETURN_IF_ERROR(emitted.status());
    object = std::move(*emitted);
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (auto it = impl_->kernels.find(symbol); it != impl_->kernels.end()) {  // compiled meanwhile by another thread
    ++impl_->stats.reused;
    return it->second;
  }
  if (!from_disk && impl_->disk && !impl_->disk->Store(key, *object).ok()) ++impl_->stats.cache_write_errors;
  if (llvm::Error error = impl_->lljit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*object, symbol))) {
    return Internal("cannot add kernel " + symbol + " to the JIT: " + LlvmErrorMessage(std::move(error)));
  }
  auto address = impl_->lljit->lookup(symbol);
  if (!address) return Internal("kernel " + symbol + " did not link: " + LlvmErrorMessage(address.takeError()));
  ++(from_disk ? impl_->stats.loaded_from_disk : impl_->stats.compiled);
  KilnKernelFn fn = address->toPtr<KilnKernelFn>();
  impl_->kernels[symbol] = fn;
  return fn;
}

StatusOr<KilnKernelFn> Jit::CompileElementwiseAffineRelu(DataType dtype) {
  const std::string symbol = FreshSymbol("affine_relu_" + DataTypeName(dtype));
  KILN_ASSIGN_OR_RETURN(KernelModule m, EmitAffineReluKernel(dtype, impl_->cpu.vector_bits, symbol));
  return AddKernel(std::move(m));
}

Status Jit::CompileInvalidKernelForTest() {
  KernelModule m = NewKernelModule(FreshSymbol("invalid_for_test"));
  llvm::BasicBlock::Create(*m.context, "no_terminator", m.function);  // every block must end in one
  return AddKernel(std::move(m)).status();
}

}  // namespace kiln::codegen
