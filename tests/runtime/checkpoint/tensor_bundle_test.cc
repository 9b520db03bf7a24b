// TF's V2 checkpoint format: CRC32C vectors, the table format, round trips, TF-written checkpoints,
// and corrupt files.
#include "runtime/checkpoint/tensor_bundle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "graph/graphdef.h"
#include "runtime/checkpoint/crc32c.h"
#include "runtime/checkpoint/table.h"
#include "runtime/data/npy.h"

namespace kiln::checkpoint {
namespace {

std::string TempPrefix(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("kiln_bundle_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(Crc32cTest, MatchesKnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(MaskCrc(Crc32c(std::string(8, '\0'))), 0x07980329u);
  std::string record = "\x1a\x11" "CRC test, one two";  // TensorBoard's test record
  EXPECT_EQ(MaskCrc(Crc32c(record)), 0x5794D08Au);
  EXPECT_EQ(UnmaskCrc(MaskCrc(0x12345678u)), 0x12345678u);
  EXPECT_EQ(Crc32cExtend(Crc32c("1234"), "56789", 5), Crc32c("123456789"));
}

TEST(TableTest, RoundTripsSortedEntriesWithSharedPrefixes) {
  std::map<std::string, std::string> entries;
  for (int i = 0; i < 40; ++i) entries["layer/" + std::to_string(1000 + i) + "/kernel"] = std::string(i, 'v');
  entries[""] = "header";
  auto parsed = ParseTable(BuildTable(entries), "t");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, entries);
}

TEST(TableTest, CorruptionIsDetected) {
  std::string table = BuildTable({{"a", "1"}, {"b", "2"}});
  std::string flipped = table;
  flipped[1] ^= 0x40;
  EXPECT_FALSE(ParseTable(flipped, "t").ok());
  EXPECT_FALSE(ParseTable(table.substr(0, table.size() - 1), "t").ok());
  EXPECT_FALSE(ParseTable("short", "t").ok());
}

TEST(TensorBundleTest, RoundTripsTensorsOfEveryDtype) {
  std::map<std::string, Tensor> tensors = {
      {"W", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3})},
      {"dense/bias", Tensor::FromVector<double>({0.5, -0.25}, {2})},
      {"global_step", Tensor::Scalar<int64_t>(7)},
      {"mask", Tensor::FromVector<bool>({true, false}, {2})}};
  std::string prefix = TempPrefix("rt.ckpt");
  ASSERT_TRUE(WriteBundle(prefix, tensors).ok());
  auto back = ReadBundle(prefix);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    const Tensor& r = back->at(name);
    EXPECT_EQ(r.dtype(), t.dtype()) << name;
    EXPECT_EQ(r.dims(), t.dims()) << name;
    EXPECT_EQ(std::memcmp(r.raw_data(), t.raw_data(), t.num_bytes()), 0) << name;
  }
}

TEST(TensorBundleTest, ReadsACheckpointTensorFlowWrote) {
  std::filesystem::path dir = std::filesystem::path(KILN_TEST_DATA) / "tf" / "checkpoint";
  if (!std::filesystem::exists(dir / "model.ckpt.index")) GTEST_SKIP() << "fixture missing";
  auto tensors = ReadBundle((dir / "model.ckpt").string());
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  Tensor W = data::ReadNpy((dir / "W.npy").string()).value();
  Tensor bias = data::ReadNpy((dir / "bias.npy").string()).value();
  ASSERT_EQ(tensors->count("W"), 1u);
  EXPECT_EQ(tensors->at("W").dims(), W.dims());
  EXPECT_EQ(std::memcmp(tensors->at("W").raw_data(), W.raw_data(), W.num_bytes()), 0);
  EXPECT_EQ(std::memcmp(tensors->at("dense/bias").raw_data(), bias.raw_data(), bias.num_bytes()), 0);
  EXPECT_EQ(tensors->at("global_step").scalar<int64_t>(), 42);
}

TEST(TensorBundleTest, CorruptDataIsAnErrorNamingTheTensor) {
  std::string prefix = TempPrefix("corrupt.ckpt");
  ASSERT_TRUE(WriteBundle(prefix, {{"W", Tensor::FromVector<float>({1, 2, 3}, {3})}}).ok());
  std::string data;
  ASSERT_TRUE(ReadFileToString(DataFilePath(prefix), &data).ok());
  data[4] ^= 1;
  ASSERT_TRUE(WriteFileAtomically(DataFilePath(prefix), data).ok());
  auto r = ReadBundle(prefix);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'W'"), std::string::npos) << r.status().message();
  ASSERT_TRUE(WriteFileAtomically(DataFilePath(prefix), data.substr(0, 4)).ok());
  EXPECT_FALSE(ReadBundle(prefix).ok());
  EXPECT_EQ(ReadBundle(TempPrefix("missing.ckpt")).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace kiln::checkpoint
