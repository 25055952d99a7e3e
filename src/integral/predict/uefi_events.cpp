#include "integral/predict/uefi_events.h"

#include <fmt/format.h>

#include <stdexcept>

#include "integral/chain/event_type.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/formats/pe.h"
#include "integral/predict/stage.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/mapped_file.h"

namespace integral::uefi {

std::vector<uint8_t> utf16le(std::string_view s, bool nul) {
  std::vector<uint8_t> out;
  out.reserve(2 * s.size() + 2);
  auto unit = [&](uint32_t u) {
    out.push_back(static_cast<uint8_t>(u));
    out.push_back(static_cast<uint8_t>(u >> 8));
  };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1fu;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0fu;
      len = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07u;
      len = 4;
    } else {
      throw std::invalid_argument("malformed UTF-8");
    }
    if (i + len > s.size()) throw std::invalid_argument("truncated UTF-8");
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) throw std::invalid_argument("malformed UTF-8");
      cp = cp << 6 | (cc & 0x3fu);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      throw std::invalid_argument("malformed UTF-8");
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 + (cp >> 10));
      unit(0xdc00 + (cp & 0x3ff));
    } else {
      unit(cp);
    }
    i += len;
  }
  if (nul) unit(0);
  return out;
}

std::vector<Digest> hash_banks(std::span<const HashAlg> banks, std::span<const uint8_t> data) {
  MultiHasher h(banks);
  h.update(data);
  return h.finish();
}

Event data_event(unsigned pcr, uint32_t type, std::vector<uint8_t> data,
                 std::span<const HashAlg> banks) {
  // A moved vector keeps its buffer: the span still views the data measured_event hashes.
  const std::span<const uint8_t> measured(data);
  return measured_event(pcr, type, std::move(data), measured, banks);
}

Event measured_event(unsigned pcr, uint32_t type, std::vector<uint8_t> data,
                     std::span<const uint8_t> measured, std::span<const HashAlg> banks) {
  Event e;
  e.pcr = pcr;
  e.type = type;
  e.digests = hash_banks(banks, measured);
  e.data = std::move(data);
  return e;
}

Event action_event(unsigned pcr, std::string_view text, std::span<const HashAlg> banks) {
  Event e = data_event(pcr, ev::kEfiAction, std::vector<uint8_t>(text.begin(), text.end()), banks);
  e.description = std::string(text);
  e.provenance.rule = "uefi/action";
  e.provenance.artifact = "firmware";
  return e;
}

Event separator_event(unsigned pcr, std::span<const HashAlg> banks) {
  Event e = data_event(pcr, ev::kSeparator, {0, 0, 0, 0}, banks);
  e.description = "separator";
  e.provenance.rule = "uefi/separator";
  e.provenance.artifact = "firmware";
  return e;
}

std::string read_cmdline_file(StageFields& f, const std::string& cmdline_file,
                              const StageContext& ctx, std::string& artifact) {
  const auto path = ctx.resolve(cmdline_file);
  artifact = path.string();
  return f.reading("cmdline_file", path, [&] { return read_text_file(path, 1u << 20); });
}

std::unique_ptr<MappedFile> open_artifact(StageFields& f, std::string_view key,
                                          const std::string& path, const StageContext& ctx) {
  auto file = ctx.resolve(path);
  return f.reading(key, file, [&] {
    return std::make_unique<MappedFile>(file, MappedFile::NonRegular::kRefuse);
  });
}

std::vector<Digest> hash_section(const MappedFile& in, const PeSection& s,
                                 std::span<const HashAlg> banks) {
  MultiHasher h(banks);
  for_each_section_piece(in.bytes(), s, [&](std::span<const uint8_t> piece) { h.update(piece); });
  return h.finish();
}

std::string section_text(StageFields& f, std::string_view key, const MappedFile& in,
                         const PeSection& s, size_t max) {
  if (s.virtual_size > max)
    f.fail(key, fmt::format("{}: section {} is {} bytes, more than {} for a text section",
                            in.path(), s.name, s.virtual_size, max));
  std::string text;
  for_each_section_piece(in.bytes(), s, [&](std::span<const uint8_t> piece) {
    text.append(reinterpret_cast<const char*>(piece.data()), piece.size());
  });
  return text;
}

StubMagic parse_stub_magic(std::string_view text) {
  constexpr std::string_view kTag = "LoaderInfo: systemd-stub ";
  StubMagic m;
  const size_t at = text.find(kTag);
  if (at == std::string_view::npos) return m;
  m.tagged = true;
  m.number_at = at + kTag.size();
  for (size_t p = m.number_at; p < text.size() && m.digits < 5 && text[p] >= '0' && text[p] <= '9';
       ++p, ++m.digits)
    m.major = m.major * 10 + (text[p] - '0');
  return m;
}

}  // namespace integral::uefi
