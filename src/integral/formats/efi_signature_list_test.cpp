// EFI_SIGNATURE_LIST parsing against lists built by hand from the UEFI specification's layout.
#include "integral/formats/efi_signature_list.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::vector<uint8_t> list(const EfiGuid& type, uint32_t header, uint32_t sig_size,
                          const std::vector<std::vector<uint8_t>>& sigs) {
  std::vector<uint8_t> b(type.begin(), type.end());
  uint32_t total = 28 + header;
  for (const auto& s : sigs) total += static_cast<uint32_t>(s.size());
  put32(b, total);
  put32(b, header);
  put32(b, sig_size);
  b.resize(b.size() + header, 0xee);
  for (const auto& s : sigs) b.insert(b.end(), s.begin(), s.end());
  return b;
}

std::vector<uint8_t> sig(uint8_t owner, size_t len, uint8_t fill) {
  std::vector<uint8_t> s(16, owner);
  s.resize(16 + len, fill);
  return s;
}

TEST(EfiSignatureList, ListsAndEntriesInOrder) {
  auto a = list(kEfiCertX509Guid, 0, 16 + 5, {sig(1, 5, 0xaa)});
  auto b = list(kEfiCertSha256Guid, 4, 48, {sig(2, 32, 0xbb), sig(3, 32, 0xcc)});
  std::vector<uint8_t> db = a;
  db.insert(db.end(), b.begin(), b.end());
  auto sigs = parse_signature_lists(db, "db");
  ASSERT_EQ(sigs.size(), 3u);
  EXPECT_EQ(sigs[0].type, kEfiCertX509Guid);
  EXPECT_EQ(sigs[0].offset, 28u);
  EXPECT_EQ(sigs[0].data.size(), 5u);
  EXPECT_EQ(sigs[0].signature_data(), sig(1, 5, 0xaa));
  EXPECT_EQ(sigs[1].type, kEfiCertSha256Guid);
  EXPECT_EQ(sigs[1].offset, a.size() + 28 + 4);  // after the 4-byte list header
  EXPECT_EQ(sigs[2].owner[0], 3);
  EXPECT_EQ(sigs[2].data[0], 0xcc);
  EXPECT_TRUE(parse_signature_lists({}, "empty").empty());
}

TEST(EfiSignatureList, RefusesSizesThatDoNotFit) {
  auto good = list(kEfiCertSha256Guid, 0, 48, {sig(2, 32, 0xbb)});
  auto expect_bad = [](std::vector<uint8_t> b, const std::string& needle) {
    try {
      parse_signature_lists(b, "db.esl", 100);
      FAIL() << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_bad(std::vector<uint8_t>(good.begin(), good.begin() + 20), "truncated");
  auto longer = good;
  longer[16] = 200;  // SignatureListSize past the end
  expect_bad(longer, "does not fit");
  auto ragged = good;
  ragged[24] = 47;  // SignatureSize does not divide the body
  expect_bad(ragged, "does not divide");
  auto tiny = good;
  tiny[24] = 8;  // smaller than the owner GUID
  expect_bad(tiny, "does not divide");
  auto header = good;
  header[20] = 0xff;  // SignatureHeaderSize beyond the list
  expect_bad(header, "does not fit");
  auto zero = good;
  zero[16] = 0;
  zero[17] = 0;  // SignatureListSize 0 would never advance
  expect_bad(zero, "does not fit");
}

}  // namespace
}  // namespace integral
