#include "integral/eventlog/txt_stat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "integral/formats/txt_printout.h"
#include "integral/util/error.h"
#include "integral/util/text.h"

namespace integral {

namespace {

class Parser : public PrintoutReader {
 public:
  using PrintoutReader::PrintoutReader;

  // "key: value" on line i, or nullopt.
  std::optional<std::string_view> field(size_t i, std::string_view key) const {
    if (i >= lines_.size()) return std::nullopt;
    auto t = lines_[i].text;
    if (!t.starts_with(key)) return std::nullopt;
    t.remove_prefix(key.size());
    if (t.empty() || t.front() != ':') return std::nullopt;
    return trim(t.substr(1));
  }

  uint32_t number(size_t i, std::string_view key) const {
    auto v = field(i, key);
    if (!v) fail(i, fmt::format("expected '{}:'", key));
    uint32_t out = 0;
    std::string_view s = *v;
    int base = 10;
    if (s.starts_with("0x") || s.starts_with("0X")) {
      s.remove_prefix(2);
      base = 16;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    if (ec != std::errc() || p == s.data()) fail(i, fmt::format("'{}' is not a number", *v));
    return out;
  }

  // Hex bytes following "<key>: N bytes" across continuation lines; advances i past them.
  Bytes data_block(size_t& i, std::string_view key) const {
    auto v = field(i, key);
    if (!v) fail(i, fmt::format("expected '{}:'", key));
    size_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || trim(std::string_view(p, v->data() + v->size() - p)) != "bytes")
      fail(i, fmt::format("expected '{}: N bytes'", key));
    if (n > (1u << 20)) fail(i, "event data size is implausible");
    ++i;
    Bytes out;
    while (out.size() < n) {
      if (i >= lines_.size())
        fail(i, fmt::format("event data ends after {} of {} bytes", out.size(), n));
      auto b = hex_tokens(lines_[i].text);
      if (!b || b->empty())
        fail(i, fmt::format("event data ends after {} of {} bytes", out.size(), n));
      if (out.size() + b->size() > n) fail(i, "more event data than its size says");
      out.insert(out.end(), b->begin(), b->end());
      ++i;
    }
    return out;
  }

  TxtLog parse() {
    std::optional<size_t> start;
    TxtLogFormat format = TxtLogFormat::kContainer12;
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (lines_[i].text == "Event Log Container:") {
        start = i;
        format = TxtLogFormat::kContainer12;
      } else if (lines_[i].text == "TCG Event Log Header:") {
        start = i;
        format = TxtLogFormat::kTcg20;
      }
    }
    if (!start) {
      throw_bad_input("no TXT event log (\"Event Log Container:\" or \"TCG Event Log Header:\")",
                      file_);
    }
    TxtLog log;
    log.format = format;
    auto add_bank = [&](HashAlg a) {
      if (std::find(log.banks.begin(), log.banks.end(), a) == log.banks.end())
        log.banks.push_back(a);
    };
    for (size_t i = *start; i < lines_.size();) {
      const auto t = lines_[i].text;
      if (format == TxtLogFormat::kContainer12 && t == "Event:") {
        TxtLogEvent e;
        e.line = lines_[i].number;
        e.pcr = number(i + 1, "PCRIndex");
        e.type = number(i + 2, "Type");
        auto d = field(i + 3, "Digest");
        if (!d) fail(i + 3, "expected 'Digest:'");
        auto bytes = hex_tokens(*d);
        if (!bytes || bytes->size() != 20) fail(i + 3, "a TPM 1.2 digest has 20 bytes");
        e.digests.emplace_back(HashAlg::kSha1, *bytes);
        add_bank(HashAlg::kSha1);
        i += 4;
        e.data = data_block(i, "Data");
        log.events.push_back(std::move(e));
        continue;
      }
      if (format == TxtLogFormat::kTcg20 && t == "TCG Event:") {
        TxtLogEvent e;
        e.line = lines_[i].number;
        e.pcr = number(i + 1, "pcr_index");
        e.type = number(i + 2, "event_type");
        const uint32_t count = number(i + 3, "count");
        if (count > 8) fail(i + 3, "digest count is implausible");
        i += 4;
        for (uint32_t k = 0; k < count; ++k) {
          if (i + 1 >= lines_.size()) fail(i, "digest missing");
          auto name = lines_[i].text;
          if (name.ends_with(":")) name.remove_suffix(1);
          std::string lower(name);
          for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          auto alg = parse_hash_alg(lower);
          if (!alg) fail(i, fmt::format("unknown digest algorithm '{}'", name));
          auto bytes = hex_tokens(lines_[i + 1].text);
          if (!bytes || bytes->size() != digest_size(*alg))
            fail(i + 1, fmt::format("{} digest must have {} bytes", lower, digest_size(*alg)));
          e.digests.emplace_back(*alg, *bytes);
          add_bank(*alg);
          i += 2;
        }
        e.data = data_block(i, "event_data");
        log.events.push_back(std::move(e));
        continue;
      }
      ++i;
    }
    return log;
  }
};

}  // namespace

TxtLog parse_txt_stat(std::string_view text, const std::string& file) {
  return Parser(text, file).parse();
}

PcrSet replay_txt_log(const TxtLog& log) {
  PcrSet pcrs(log.banks.empty() ? std::vector<HashAlg>{HashAlg::kSha1} : log.banks);
  pcrs.dynamic_launch_reset();
  for (const auto& e : log.events) {
    if (e.pcr >= kPcrCount) continue;  // PCR_MAPPING and other informational records
    for (const auto& d : e.digests) {
      if ((log.format == TxtLogFormat::kContainer12 || log.format == TxtLogFormat::kHeap12) &&
          e.type == ev::kTxtHashStart) {
        pcrs.set(e.pcr, d);
      } else {
        pcrs.extend(e.pcr, d);
      }
    }
  }
  return pcrs;
}

std::string_view txt_log_format_name(TxtLogFormat f) {
  switch (f) {
    case TxtLogFormat::kContainer12:
      return "tpm12-container";
    case TxtLogFormat::kTcg20:
      return "tpm20-tcg";
    case TxtLogFormat::kIntel20:
      return "tpm20-intel";
    case TxtLogFormat::kJson:
      return "json";
    case TxtLogFormat::kHeap12:
      return "tpm12-heap";
  }
  return "";
}

}  // namespace integral
