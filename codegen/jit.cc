#include "codegen/jit.h"

#include <mutex>

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/SubtargetFeature.h>

#include "codegen/llvm_module.h"

namespace kiln::codegen {

struct Jit::Impl {
  HostCpu cpu;
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  std::unique_ptr<llvm::TargetMachine> target_machine;  // for the optimizer's cost model
};

namespace {

std::string ToString(llvm::Error error) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << error;
  return os.str();
}

void InitializeLlvmOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

llvm::orc::JITTargetMachineBuilder HostMachineBuilder(const HostCpu& cpu, llvm::orc::JITTargetMachineBuilder jtmb) {
  jtmb.setCPU(cpu.name);
  llvm::SubtargetFeatures features;
  for (const auto& f : llvm::sys::getHostCPUFeatures()) features.AddFeature(f.first(), f.second);
  jtmb.addFeatures(features.getFeatures());
  jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return jtmb;
}

}  // namespace

Jit::Jit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jit::~Jit() = default;
const HostCpu& Jit::cpu() const { return impl_->cpu; }
const HostCpu& HostOf(const Jit::Impl& jit) { return jit.cpu; }

StatusOr<std::unique_ptr<Jit>> Jit::Create() {
  InitializeLlvmOnce();
  auto impl = std::make_unique<Impl>();
  impl->cpu = DetectHostCpu();
  auto detected = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!detected) return Internal("LLVM cannot target this host: " + ToString(detected.takeError()));
  llvm::orc::JITTargetMachineBuilder jtmb = HostMachineBuilder(impl->cpu, std::move(*detected));
  auto tm = jtmb.createTargetMachine();
  if (!tm) return Internal("LLVM cannot create a target machine: " + ToString(tm.takeError()));
  impl->target_machine = std::move(*tm);
  auto lljit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create();
  if (!lljit) return Internal("cannot create the ORC LLJIT: " + ToString(lljit.takeError()));
  impl->lljit = std::move(*lljit);
  return std::unique_ptr<Jit>(new Jit(std::move(impl)));
}

StatusOr<KilnKernelFn> Jit::Lookup(const std::string& symbol) {
  auto addr = impl_->lljit->lookup(symbol);
  if (!addr) return NotFound("JIT symbol '" + symbol + "': " + ToString(addr.takeError()));
  return addr->toPtr<KilnKernelFn>();
}

KernelModule NewKernelModule(const std::string& symbol) {
  KernelModule m;
  m.context = std::make_unique<llvm::LLVMContext>();
  m.module = std::make_unique<llvm::Module>(symbol, *m.context);
  llvm::Type* ptr = llvm::PointerType::getUnqual(*m.context);
  auto* type = llvm::FunctionType::get(llvm::Type::getInt32Ty(*m.context), {ptr, ptr, ptr}, false);
  m.function = llvm::Function::Create(type, llvm::Function::ExternalLinkage, symbol, *m.module);
  auto args = m.function->arg_begin();
  m.closure = &*args++;
  m.buffers = &*args++;
  m.sizes = &*args;
  // Operands never alias within one step (inputs and outputs are distinct buffers).
  return m;
}

llvm::Value* LoadBuffer(llvm::IRBuilder<>& b, const KernelModule& m, int index) {
  llvm::Type* ptr = b.getPtrTy();
  return b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, m.buffers, index), "buf" + std::to_string(index));
}

llvm::Value* LoadSize(llvm::IRBuilder<>& b, const KernelModule& m, int index) {
  return b.CreateLoad(b.getInt64Ty(), b.CreateConstInBoundsGEP1_64(b.getInt64Ty(), m.sizes, index),
                      "size" + std::to_string(index));
}

StatusOr<KilnKernelFn> CompileKernelModule(Jit::Impl& jit, KernelModule m, const std::string& symbol) {
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*m.module, &os)) return Internal("kernel '" + symbol + "' failed LLVM verification: " + os.str());
  m.module->setDataLayout(jit.lljit->getDataLayout());
  m.module->setTargetTriple(jit.target_machine->getTargetTriple().str());
  for (llvm::Function& f : *m.module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", jit.cpu.name);
    f.addFnAttr("target-features", jit.target_machine->getTargetFeatureString());
  }
  {  // O2 with the host's cost model, so the loop vectorizer and unroller see the real target.
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(jit.target_machine.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(*m.module, mam);
  }
  if (auto err = jit.lljit->addIRModule(llvm::orc::ThreadSafeModule(std::move(m.module), std::move(m.context)))) {
    return Internal("cannot add kernel '" + symbol + "' to the JIT: " + ToString(std::move(err)));
  }
  auto addr = jit.lljit->lookup(symbol);
  if (!addr) return Internal("kernel '" + symbol + "' compiled but cannot be found: " + ToString(addr.takeError()));
  return addr->toPtr<KilnKernelFn>();
}

Status Jit::CompileInvalidModuleForTest() {
  KernelModule m = NewKernelModule("kiln_invalid_for_test");
  llvm::BasicBlock::Create(*m.context, "no_terminator", m.function);  // a block must end in a terminator
  return CompileKernelModule(*impl_, std::move(m), "kiln_invalid_for_test").status();
}

}  // namespace kiln::codegen
