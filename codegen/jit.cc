#include "codegen/jit.h"

#include <map>
#include <mutex>
#include <optional>

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/kernel_cache.h"
#include "codegen/kernel_module.h"
#include "codegen/llvm_pipeline.h"

namespace kiln::codegen {
namespace {

// Part of every disk-cache key. Bump it whenever the steps from emitted IR to machine code change
// (VerifyAndOptimize's pipeline, the backend options), which the IR's hash cannot see.
constexpr char kCacheFormat[] = "kiln kernel cache 1";

// The disk cache as ORC's compiler sees it. AddKernel, holding the Jit's lock, says which key the
// next module's object belongs to (and hands over the object when the disk has it); ORC's
// SimpleCompiler then asks getObject before compiling and calls notifyObjectCompiled after.
class DiskObjectCache : public llvm::ObjectCache {
 public:
  explicit DiskObjectCache(KernelCache cache) : cache_(std::move(cache)) {}

  const KernelCache& cache() const { return cache_; }
  void Expect(const std::string& module, const std::string& key, std::optional<std::string> object) {
    pending_[module] = Pending{key, std::move(object)};
  }
  void Forget(const std::string& module) { pending_.erase(module); }
  int64_t write_errors() const { return write_errors_; }

  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* m) override {
    auto it = pending_.find(m->getModuleIdentifier());
    if (it == pending_.end() || !it->second.object) return nullptr;
    return llvm::MemoryBuffer::getMemBufferCopy(*it->second.object, m->getModuleIdentifier());
  }
  void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef object) override {
    auto it = pending_.find(m->getModuleIdentifier());
    if (it == pending_.end()) return;
    if (!cache_.Store(it->second.key, object.getBuffer().str()).ok()) ++write_errors_;
  }

 private:
  struct Pending {
    std::string key;
    std::optional<std::string> object;
  };
  KernelCache cache_;
  std::map<std::string, Pending> pending_;
  int64_t write_errors_ = 0;
};

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
  std::unique_ptr<llvm::TargetMachine> target_machine;  // the optimizer's cost model for the host
  std::unique_ptr<DiskObjectCache> disk;                // null without JitOptions::cache_dir
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  // Compiles are serialized: the TargetMachine caches subtargets without a lock, LLJIT's compiler
  // shares one TargetMachine, and the disk cache's pending keys assume one compile at a time.
  // Calling compiled kernels needs no lock.
  mutable std::mutex mu;
  int64_t next_symbol = 0;
  std::map<std::string, KilnKernelFn> kernels;  // by symbol
  JitStats stats;
};

Jit::Jit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jit::~Jit() = default;
const HostCpu& Jit::cpu() const { return impl_->cpu; }

JitStats Jit::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  JitStats stats = impl_->stats;
  if (impl_->disk) stats.cache_write_errors = impl_->disk->write_errors();
  return stats;
}

StatusOr<std::unique_ptr<Jit>> Jit::Create(const JitOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->cpu = DetectHostCpu();
  KILN_ASSIGN_OR_RETURN(llvm::orc::JITTargetMachineBuilder jtmb, MachineBuilderFor(impl->cpu));
  KILN_ASSIGN_OR_RETURN(impl->target_machine, CreateTargetMachine(jtmb));
  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(std::move(jtmb));
  if (!options.cache_dir.empty()) {
    KILN_ASSIGN_OR_RETURN(KernelCache cache, KernelCache::Open(options.cache_dir));
    impl->disk = std::make_unique<DiskObjectCache>(std::move(cache));
    // LLJIT's own compiler (one TargetMachine, compiling on the calling thread), with the cache.
    DiskObjectCache* disk = impl->disk.get();
    builder.setCompileFunctionCreator(
        [disk](llvm::orc::JITTargetMachineBuilder jtmb) -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
          auto tm = jtmb.createTargetMachine();
          if (!tm) return tm.takeError();
          return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(std::move(*tm), disk);
        });
  }
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

StatusOr<KilnKernelFn> Jit::AddKernel(KernelModule&& m) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string symbol = m.symbol;
  if (auto it = impl_->kernels.find(symbol); it != impl_->kernels.end()) {
    ++impl_->stats.reused;
    return it->second;
  }
  bool from_disk = false;
  if (DiskObjectCache* disk = impl_->disk.get()) {
    const std::string key = CacheKey(m, impl_->cpu);
    std::optional<std::string> object = disk->cache().Load(key);
    if (object && !DefinesSymbol(*object, symbol)) object.reset();
    from_disk = object.has_value();
    disk->Expect(symbol, key, std::move(object));
  }
  auto forget = [&] {
    if (impl_->disk) impl_->disk->Forget(symbol);
  };
  // A cached object was compiled from this very IR, so it was verified and optimized then.
  if (!from_disk) {
    Status verified = VerifyAndOptimize(m, *impl_->target_machine, impl_->cpu.vector_bits);
    if (!verified.ok()) {
      forget();
      return verified;
    }
  }
  llvm::orc::ThreadSafeModule module(std::move(m.module), std::move(m.context));
  if (llvm::Error error = impl_->lljit->addIRModule(std::move(module))) {
    forget();
    return Internal("cannot add kernel " + symbol + " to the JIT: " + LlvmErrorMessage(std::move(error)));
  }
  // ORC compiles lazily on first lookup; looking up now moves codegen errors (and cost) here.
  auto address = impl_->lljit->lookup(symbol);
  forget();
  if (!address) return Internal("kernel " + symbol + " did not compile: " + LlvmErrorMessage(address.takeError()));
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
