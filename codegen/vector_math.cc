// exp, log and tanh in LLVM IR. All three follow the classic structure (Cody and Waite, "Software
// Manual for the Elementary Functions", 1980; Cephes; fdlibm/musl; Eigen's GenericPacketMath):
// reduce the argument to a small interval with exact steps, approximate there with a polynomial,
// then undo the reduction. Polynomials use llvm.fmuladd, which becomes an FMA where the CPU has one
// and a multiply and add elsewhere; the reductions are exact either way.
//
// The polynomials for exp and log are truncated Taylor series (exp: sum r^k / k!; log: the series
// of 2 atanh(s)), which converge fast enough on the reduced intervals that a few more terms than a
// minimax fit needs buy coefficients anyone can check. tanh uses Cody and Waite's rational
// approximations on |x| < ln(3)/2.
#include "codegen/vector_math.h"

#include <cmath>
#include <initializer_list>
#include <limits>

#include <llvm/IR/Intrinsics.h>

namespace kiln::codegen {
namespace {

// The facts about float or double the algorithms need, and typed constants of x's shape.
struct Format {
  llvm::IRBuilder<>& b;
  llvm::Type* type;      // float or double, or a vector of them
  llvm::Type* int_type;  // i32 or i64 of the same shape
  bool is_double;
  int mantissa_bits;     // 23 or 52
  int bias;              // 127 or 1023

  Format(llvm::IRBuilder<>& builder, llvm::Value* x)
      : b(builder), type(x->getType()), is_double(x->getType()->getScalarType()->isDoubleTy()) {
    mantissa_bits = is_double ? 52 : 23;
    bias = is_double ? 1023 : 127;
    llvm::Type* int_scalar = is_double ? b.getInt64Ty() : b.getInt32Ty();
    auto* vec = llvm::dyn_cast<llvm::FixedVectorType>(type);
    int_type = vec ? static_cast<llvm::Type*>(llvm::FixedVectorType::get(int_scalar, vec->getNumElements())) : int_scalar;
  }
  llvm::Value* F(double v) const { return llvm::ConstantFP::get(type, v); }
  llvm::Value* I(int64_t v) const { return llvm::ConstantInt::get(int_type, v, /*IsSigned=*/true); }
  // Per-type constant: the float value for float, the double value for double.
  llvm::Value* F(float for_float, double for_double) const { return F(is_double ? for_double : double{for_float}); }
  llvm::Value* ToInt(llvm::Value* v) const { return b.CreateBitCast(v, int_type); }
  llvm::Value* ToFloat(llvm::Value* v) const { return b.CreateBitCast(v, type); }
  llvm::Value* MulAdd(llvm::Value* a, llvm::Value* x, llvm::Value* c) const {
    return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {type}, {a, x, c});
  }
  llvm::Value* Unary(llvm::Intrinsic::ID id, llvm::Value* x) const { return b.CreateIntrinsic(id, {type}, {x}); }
  llvm::Value* Binary(llvm::Intrinsic::ID id, llvm::Value* x, llvm::Value* y) const {
    return b.CreateIntrinsic(id, {type}, {x, y});
  }
  // c[0] + x (c[1] + x (c[2] + ...)) by Horner's rule; coefficients lowest degree first.
  llvm::Value* Polynomial(llvm::Value* x, std::initializer_list<double> c) const {
    const double* coeff = c.end();
    llvm::Value* acc = F(*--coeff);
    while (coeff != c.begin()) acc = MulAdd(acc, x, F(*--coeff));
    return acc;
  }
  // 2^k for an integer vector k with a biased exponent in [1, 2 * bias]: the exponent field alone.
  llvm::Value* Pow2(llvm::Value* k) const { return ToFloat(b.CreateShl(b.CreateAdd(k, I(bias)), mantissa_bits)); }
  llvm::Value* IsNan(llvm::Value* x) const { return b.CreateFCmpUNO(x, x); }
};

// ln 2 split so that k * kLn2Hi is exact for every exponent k the functions meet (|k| < 2^8 for
// float, < 2^11 for double): kLn2Hi has 16 (float) or 32 (double, fdlibm's) significant bits.
constexpr float kLn2HiF = 0x1.62e4p-1f, kLn2LoF = 0x1.7f7d1cp-20f;
constexpr double kLn2HiD = 0x1.62e42feep-1, kLn2LoD = 0x1.a39ef35793c76p-33;

}  // namespace

// exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (Cody-Waite: n ln2 is
// subtracted in two parts, the first exactly). exp(r) is the Taylor polynomial of degree 7 (float:
// the first omitted term is below 0.07 ulp) or 13 (double: below 0.02 ulp). 2^n is applied as two
// factors 2^(n/2) 2^(n - n/2), each a normal number, so results that overflow become inf and
// results in the denormal range are rounded once, at the last multiply.
llvm::Value* EmitExp(llvm::IRBuilder<>& b, llvm::Value* x) {
  Format f(b, x);
  // Beyond these, exp(x) rounds to inf (above ln(max) = 88.72, 709.78) or to 0 (below
  // ln(denorm_min / 2) = -103.97, -745.13); clamping keeps n's exponent fields in range. maxnum
  // turns NaN into the bound; the last select restores it.
  llvm::Value* xc = f.Binary(llvm::Intrinsic::minnum, f.Binary(llvm::Intrinsic::maxnum, x, f.F(-104.0f, -745.2)),
                             f.F(88.8f, 709.8));
  // Adding 1.5 * 2^mantissa_bits rounds x / ln2 to an integer held in the low mantissa bits of
  // `shifted` (valid while |n| < 2^(mantissa_bits - 1)), so n comes out both as a float and as an
  // integer without a conversion instruction.
  llvm::Value* shifter = f.F(f.is_double ? 0x1.8p52 : 0x1.8p23);
  llvm::Value* shifted = b.CreateFAdd(b.CreateFMul(xc, f.F(1 / std::log(2.0))), shifter);
  llvm::Value* n = b.CreateFSub(shifted, shifter);
  llvm::Value* n_int = b.CreateSub(f.ToInt(shifted), f.ToInt(shifter));
  llvm::Value* r = f.MulAdd(b.CreateFNeg(n), f.F(kLn2HiF, kLn2HiD), xc);
  r = f.MulAdd(b.CreateFNeg(n), f.F(kLn2LoF, kLn2LoD), r);
  llvm::Value* p =
      f.is_double
          ? f.Polynomial(r, {1.0, 1.0, 1 / 2.0, 1 / 6.0, 1 / 24.0, 1 / 120.0, 1 / 720.0, 1 / 5040.0, 1 / 40320.0,
                             1 / 362880.0, 1 / 3628800.0, 1 / 39916800.0, 1 / 479001600.0, 1 / 6227020800.0})
          : f.Polynomial(r, {1.0, 1.0, 1 / 2.0, 1 / 6.0, 1 / 24.0, 1 / 120.0, 1 / 720.0, 1 / 5040.0});
  llvm::Value* n_half = b.CreateAShr(n_int, 1);
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, f.Pow2(n_half)), f.Pow2(b.CreateSub(n_int, n_half)));
  return b.CreateSelect(f.IsNan(x), x, y, "exp");
}

// log(x) = k ln2 + log(1 + f) with x = 2^k (1 + f), 1 + f in [sqrt(1/2), sqrt(2)) (fdlibm's and
// musl's reduction: adding 1 - sqrt(1/2) to the bits moves the exponent boundary to sqrt(2)). With
// s = f / (2 + f), log(1 + f) = 2 atanh(s) = 2s + 2s^3/3 + 2s^5/5 + ..., rearranged as
// f - f^2/2 + s (f^2/2 + R(s^2)) so the rounding of s is damped by |s| <= 0.172 (musl's logf form).
// R is the series 2z/3 + 2z^2/5 + ... in z = s^2 <= 0.0295, cut where the next term is below
// 0.01 ulp (4 terms for float, 10 for double). Denormals are scaled into the normal range first.
llvm::Value* EmitLog(llvm::IRBuilder<>& b, llvm::Value* x) {
  Format f(b, x);
  const int scale_bits = f.mantissa_bits + 2;  // 2^25 or 2^54 makes every denormal normal
  llvm::Value* is_denormal = b.CreateFCmpOLT(x, f.F(f.is_double ? std::numeric_limits<double>::min()
                                                                : double{std::numeric_limits<float>::min()}));
  llvm::Value* xs = b.CreateSelect(is_denormal, b.CreateFMul(x, f.F(std::ldexp(1.0, scale_bits))), x);
  const int64_t one_bits = int64_t{f.bias} << f.mantissa_bits;                  // bits of 1.0
  const int64_t sqrt_half_bits = f.is_double ? 0x3fe6a09e667f3bcdLL : 0x3f3504f3;  // bits of sqrt(1/2)
  llvm::Value* bits = b.CreateAdd(f.ToInt(xs), f.I(one_bits - sqrt_half_bits));
  llvm::Value* k = b.CreateSub(b.CreateAShr(bits, f.mantissa_bits), f.I(f.bias));
  k = b.CreateSub(k, b.CreateSelect(is_denormal, f.I(scale_bits), f.I(0)));
  const int64_t mantissa_mask = (int64_t{1} << f.mantissa_bits) - 1;
  llvm::Value* m = f.ToFloat(b.CreateAdd(b.CreateAnd(bits, f.I(mantissa_mask)), f.I(sqrt_half_bits)));
  llvm::Value* fr = b.CreateFSub(m, f.F(1.0));  // exact (Sterbenz: m is within a factor 2 of 1)
  llvm::Value* s = b.CreateFDiv(fr, b.CreateFAdd(f.F(2.0), fr));
  llvm::Value* z = b.CreateFMul(s, s);
  llvm::Value* series =
      f.is_double ? f.Polynomial(z, {2 / 3.0, 2 / 5.0, 2 / 7.0, 2 / 9.0, 2 / 11.0, 2 / 13.0, 2 / 15.0, 2 / 17.0, 2 / 19.0,
                                     2 / 21.0})
                  : f.Polynomial(z, {2 / 3.0, 2 / 5.0, 2 / 7.0, 2 / 9.0});
  llvm::Value* big_r = b.CreateFMul(z, series);
  llvm::Value* hfsq = b.CreateFMul(f.F(0.5), b.CreateFMul(fr, fr));
  llvm::Value* dk = b.CreateSIToFP(k, f.type);
  // s (hfsq + R) + k ln2_lo - hfsq + f + k ln2_hi, smallest terms first.
  llvm::Value* y = f.MulAdd(s, b.CreateFAdd(hfsq, big_r), b.CreateFMul(dk, f.F(kLn2LoF, kLn2LoD)));
  y = b.CreateFAdd(b.CreateFSub(y, hfsq), fr);
  y = b.CreateFAdd(y, b.CreateFMul(dk, f.F(kLn2HiF, kLn2HiD)));
  const double inf = std::numeric_limits<double>::infinity();
  y = b.CreateSelect(b.CreateFCmpOEQ(x, f.F(0.0)), f.F(-inf), y);
  y = b.CreateSelect(b.CreateFCmpOLT(x, f.F(0.0)), f.F(std::numeric_limits<double>::quiet_NaN()), y);
  y = b.CreateSelect(b.CreateFCmpOEQ(x, f.F(inf)), x, y);
  return b.CreateSelect(f.IsNan(x), x, y, "log");
}

// tanh(x) = sign(x) tanh(|x|). Below ln(3)/2, Cody and Waite's rational form
// a + a g P(g) / Q(g), g = a^2 (degree 1/1 for float, 2/3 for double; relative error 3e-9 and
// 1e-17 on the interval); above, 1 - 2 / (exp(2a) + 1), which cannot cancel there (the result is at
// least 1/2) and becomes exactly 1 once exp overflows. copysign keeps tanh(-0) = -0 and NaN.
llvm::Value* EmitTanh(llvm::IRBuilder<>& b, llvm::Value* x) {
  Format f(b, x);
  llvm::Value* a = f.Unary(llvm::Intrinsic::fabs, x);
  llvm::Value* g = b.CreateFMul(a, a);
  llvm::Value* ratio =
      f.is_double ? b.CreateFDiv(b.CreateFMul(g, f.Polynomial(g, {-0.16134119023996228053e+4, -0.99225929672236083313e+2,
                                                                 -0.96437492777225469787e+0})),
                                 f.Polynomial(g, {0.48402357071988688686e+4, 0.22337720718962312926e+4,
                                                  0.11274474380534949335e+3, 1.0}))
                  : b.CreateFDiv(b.CreateFMul(g, f.Polynomial(g, {-0.8237728127, -0.3831010665e-2})),
                                 b.CreateFAdd(g, f.F(0.2471319654e1)));
  llvm::Value* small = f.MulAdd(a, ratio, a);
  llvm::Value* e = EmitExp(b, b.CreateFAdd(a, a));
  llvm::Value* large = b.CreateFSub(f.F(1.0), b.CreateFDiv(f.F(2.0), b.CreateFAdd(e, f.F(1.0))));
  llvm::Value* y = b.CreateSelect(b.CreateFCmpOLT(a, f.F(0.54930614433405484570)), small, large);
  return f.Binary(llvm::Intrinsic::copysign, y, x);
}

}  // namespace kiln::codegen
