#include "codegen/llvm_pipeline.h"

#include <mutex>

#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/SubtargetFeature.h>

namespace kiln::codegen {

Status InitializeLlvmNativeTarget() {
  static std::once_flag once;
  static bool failed = false;
  // Each Initialize* returns true on failure (a host LLVM was not built for).
  std::call_once(once, [] {
    failed = llvm::InitializeNativeTarget() || llvm::InitializeNativeTargetAsmPrinter() ||
             llvm::InitializeNativeTargetAsmParser();
  });
  if (failed) return Internal("LLVM has no code generator for this host (" + llvm::sys::getProcessTriple() + ")");
  return OkStatus();
}

std::string LlvmErrorMessage(llvm::Error error) { return llvm::toString(std::move(error)); }

StatusOr<llvm::orc::JITTargetMachineBuilder> MachineBuilderFor(const HostCpu& cpu) {
  KILN_RETURN_IF_ERROR(InitializeLlvmNativeTarget());
  // detectHost() gives the process's triple (and the host's CPU, which is replaced below).
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return Internal("LLVM cannot target this host: " + LlvmErrorMessage(jtmb.takeError()));
  // LLVM only warns about an unknown CPU (on stderr) and then targets a generic one.
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(jtmb->getTargetTriple().str(), error);
  if (!target) return Internal("LLVM cannot target " + jtmb->getTargetTriple().str() + ": " + error);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(jtmb->getTargetTriple().str(), /*CPU=*/"", /*Features=*/""));
  if (!cpu.name.empty() && !(info && info->isCPUStringValid(cpu.name))) {
    return InvalidArgument("LLVM knows no CPU '" + cpu.name + "' for " + jtmb->getTargetTriple().str());
  }
  jtmb->setCPU(cpu.name);
  jtmb->getFeatures() = llvm::SubtargetFeatures(cpu.features);
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return std::move(*jtmb);
}

StatusOr<std::unique_ptr<llvm::TargetMachine>> CreateTargetMachine(llvm::orc::JITTargetMachineBuilder& jtmb) {
  auto tm = jtmb.createTargetMachine();
  if (!tm) {
    return Internal("LLVM cannot create a target machine for CPU '" + jtmb.getCPU() + "': " +
                    LlvmErrorMessage(tm.takeError()));
  }
  return std::move(*tm);
}

namespace {

void SetTarget(KernelModule& m, const llvm::TargetMachine& tm, int vector_bits) {
  m.module->setDataLayout(tm.createDataLayout());
  m.module->setTargetTriple(tm.getTargetTriple().str());
  const std::string width = std::to_string(vector_bits);
  for (llvm::Function& f : *m.module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    f.addFnAttr("target-features", tm.getTargetFeatureString());
    // Intel's AVX-512 CPUs (skylake-avx512 .. sapphirerapids) carry LLVM's "prefer 256-bit" tuning.
    // The backend then splits 512-bit vectors into ymm pairs in any function whose
    // min-legal-vector-width is below 512 (clang sets it to the widest vector a function uses; a
    // missing one happens to mean "any"), and the loop vectorizer takes prefer-vector-width as the
    // register width. Kiln chose its width in HostCpu, so it states it for both, explicitly.
    f.addFnAttr("min-legal-vector-width", width);
    f.addFnAttr("prefer-vector-width", width);
  }
}

void RunO2(llvm::Module& module, llvm::TargetMachine& tm) {
  // The new pass manager's boilerplate (llvm.org/docs/NewPassManager.html): four analysis managers,
  // cross-registered, then the default per-module pipeline.
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(module, mam);
}

}  // namespace

Status VerifyAndOptimize(KernelModule& m, llvm::TargetMachine& tm, int vector_bits) {
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*m.module, &os)) {
    return Internal("kernel " + m.symbol + " failed LLVM verification (an emitter bug): " + os.str());
  }
  SetTarget(m, tm, vector_bits);
  RunO2(*m.module, tm);
  return OkStatus();
}

StatusOr<std::string> EmitObjectFile(KernelModule& m, llvm::TargetMachine& tm) {
  // The backend still runs on the legacy pass manager (LLVM 19).
  llvm::SmallString<0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (tm.addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    return Internal("LLVM cannot emit an object file for kernel " + m.symbol);
  }
  codegen.run(*m.module);
  return object.str().str();
}

std::string HexDigest(const std::string& text, size_t hex_chars) {
  const std::array<uint8_t, 32> digest =
      llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex.substr(0, hex_chars);
}

}  // namespace kiln::codegen
