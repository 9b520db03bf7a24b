// IDX reading: round trips (plain and gzip) and hostile files, each a clear error naming the file.
#include "runtime/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kiln::data {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kiln_idx_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::string IdxBytes(unsigned char type, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string b = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b += static_cast<char>((d >> s) & 0xff);
  }
  return b + payload;
}

void WritePlain(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

TEST(IdxTest, ReadsPlainAndGzippedFiles) {
  std::string bytes = IdxBytes(0x08, {2, 3}, std::string("\x01\x02\x03\x04\x05\xff", 6));
  std::string plain = TempPath("plain-idx"), gz = TempPath("zipped-idx.gz");
  WritePlain(plain, bytes);
  WriteGzip(gz, bytes);
  for (const std::string& path : {plain, gz}) {
    auto t = ReadIdx(path);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->dtype(), DT_UINT8);
    EXPECT_EQ(t->dims(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(t->data<uint8_t>()[5], 255);
  }
  // A path given without .gz finds the .gz file.
  EXPECT_TRUE(ReadIdx(TempPath("zipped-idx")).ok());
}

TEST(IdxTest, ReadsBigEndianIntsAndFloats) {
  std::string ints = IdxBytes(0x0C, {2}, std::string("\x00\x00\x01\x00\xff\xff\xff\xfe", 8));
  auto t = ParseIdx(ints, "ints");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->data<int32_t>()[0], 256);
  EXPECT_EQ(t->data<int32_t>()[1], -2);
  std::string floats = IdxBytes(0x0D, {1}, std::string("\x3f\x80\x00\x00", 4));  // 1.0f
  auto f = ParseIdx(floats, "floats");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->data<float>()[0], 1.0f);
}

TEST(IdxTest, TruncatedDataIsDataLossNamingTheFile) {
  auto t = ParseIdx(IdxBytes(0x08, {2, 3}, "\x01\x02"), "short.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kDataLoss);
  EXPECT_NE(t.status().message().find("short.idx"), std::string::npos);
  EXPECT_NE(t.status().message().find("truncated"), std::string::npos) << t.status().message();
}

TEST(IdxTest, TrailingBytesAreAnError) {
  auto t = ParseIdx(IdxBytes(0x08, {2}, "\x01\x02\x03"), "long.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("trailing"), std::string::npos) << t.status().message();
}

TEST(IdxTest, BadMagicTypeAndRankAreErrors) {
  EXPECT_FALSE(ParseIdx("\x01\x00\x08\x01\x00\x00\x00\x00", "a").ok());
  EXPECT_FALSE(ParseIdx(std::string("\x00\x00\x07\x01\x00\x00\x00\x00", 8), "b").ok());
  EXPECT_FALSE(ParseIdx(std::string("\x00\x00\x08\x09", 4), "c").ok());
  EXPECT_FALSE(ParseIdx(std::string("\x00\x00\x08\x02\x00\x00", 6), "d").ok());
  EXPECT_FALSE(ParseIdx("", "e").ok());
}

TEST(IdxTest, AbsurdDimsAreRefusedBeforeAllocating) {
  auto t = ParseIdx(IdxBytes(0x0E, {0x80000000u, 0x80000000u, 0x80000000u}, ""), "huge.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kResourceExhausted);
}

TEST(IdxTest, CorruptGzipIsAnError) {
  std::string bytes = IdxBytes(0x08, {64}, std::string(64, '\x07'));
  std::string gz = TempPath("corrupt.gz");
  WriteGzip(gz, bytes);
  std::string data;
  {
    std::ifstream in(gz, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  data.resize(data.size() / 2);  // cut the stream in the middle
  WritePlain(gz, data);
  auto t = ReadIdx(gz);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("corrupt.gz"), std::string::npos) << t.status().message();
}

TEST(IdxTest, MissingFileIsNotFound) {
  auto t = ReadIdx(TempPath("nothing-here"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace kiln::data
