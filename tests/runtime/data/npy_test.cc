// .npy reading and writing: every supported dtype, scalars, empty arrays, and hostile headers.
#include "runtime/data/npy.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "graph/graphdef.h"

namespace kiln::data {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kiln_npy_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

template <typename T>
void CheckRoundTrip(DataType dtype, std::vector<int64_t> dims) {
  Tensor t(dtype, dims);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<T>()[i] = static_cast<T>(i % 7 + (i % 2 ? 1 : 0));
  std::string path = TempPath("rt.npy");
  ASSERT_TRUE(WriteNpy(path, t).ok());
  auto back = ReadNpy(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->dtype(), dtype);
  EXPECT_EQ(back->dims(), dims);
  EXPECT_EQ(std::memcmp(back->raw_data(), t.raw_data(), t.num_bytes()), 0);
}

TEST(NpyTest, RoundTripsEveryDtypeAndShape) {
  CheckRoundTrip<float>(DT_FLOAT, {2, 3});
  CheckRoundTrip<double>(DT_DOUBLE, {5});
  CheckRoundTrip<int32_t>(DT_INT32, {2, 2, 2});
  CheckRoundTrip<int64_t>(DT_INT64, {3, 1});
  CheckRoundTrip<uint8_t>(DT_UINT8, {4});
  CheckRoundTrip<bool>(DT_BOOL, {2});
  CheckRoundTrip<float>(DT_FLOAT, {});   // scalar
  CheckRoundTrip<float>(DT_FLOAT, {0, 3});  // empty
}

TEST(NpyTest, DataIsSixtyFourByteAligned) {
  std::string path = TempPath("align.npy");
  ASSERT_TRUE(WriteNpy(path, Tensor(DT_FLOAT, {3})).ok());
  std::string bytes;
  ASSERT_TRUE(ReadFileToString(path, &bytes).ok());
  EXPECT_EQ((bytes.size() - 12) % 64, 0u);
}

std::string Npy(const std::string& header, const std::string& data) {
  std::string h = header;
  h.append(63 - (10 + h.size()) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + data;
}

TEST(NpyTest, RejectsFortranOrderBigEndianObjectsAndTruncation) {
  std::string four(16, '\0');
  EXPECT_TRUE(ParseNpy(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four), "ok").ok());
  auto fortran = ParseNpy(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four), "f.npy");
  ASSERT_FALSE(fortran.ok());
  EXPECT_NE(fortran.status().message().find("Fortran"), std::string::npos);
  auto big = ParseNpy(Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four), "b.npy");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find(">f4"), std::string::npos);
  EXPECT_FALSE(ParseNpy(Npy("{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", four), "o.npy").ok());
  auto cut = ParseNpy(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four), "cut.npy");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), Code::kDataLoss);
  EXPECT_FALSE(ParseNpy("not numpy", "x").ok());
  auto huge = ParseNpy(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999), }", ""), "h");
  EXPECT_FALSE(huge.ok());
}

}  // namespace
}  // namespace kiln::data
