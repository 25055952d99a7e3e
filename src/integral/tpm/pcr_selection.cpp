#include "integral/tpm/pcr_selection.h"

#include "integral/util/error.h"
#include "integral/util/number.h"

namespace integral {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

unsigned parse_pcr(std::string_view s, std::string_view whole) {
  auto v = parse_uint(s);
  if (!v)
    throw_usage("PCR selection '" + std::string(whole) + "': '" + std::string(s) +
                "' is not a PCR index");
  if (*v >= kPcrCount)
    throw_usage("PCR selection '" + std::string(whole) + "': PCR " + std::to_string(*v) +
                " is out of range (0-23)");
  return static_cast<unsigned>(*v);
}

}  // namespace

PcrSelection PcrSelection::parse(std::string_view text) {
  PcrSelection sel;
  if (text.empty()) throw_usage("empty PCR selection");
  for (std::string_view part : split(text, '+')) {
    size_t colon = part.find(':');
    if (colon == std::string_view::npos)
      throw_usage("PCR selection '" + std::string(text) + "': '" + std::string(part) +
                  "' lacks 'bank:'");
    std::string_view bank = part.substr(0, colon);
    auto alg = parse_hash_alg(bank);
    if (!alg)
      throw_usage("PCR selection '" + std::string(text) + "': unknown bank '" + std::string(bank) +
                  "'");
    std::string_view list = part.substr(colon + 1);
    // Register the bank even when its list is empty, as tpm2-tools does for "sha1:".
    bool found = false;
    for (auto& b : sel.banks_) found = found || b.alg == *alg;
    if (!found) sel.banks_.push_back({*alg, {}});
    if (list.empty()) continue;
    if (list == "all") {
      for (unsigned p = 0; p < kPcrCount; ++p) sel.add(*alg, p);
      continue;
    }
    for (std::string_view item : split(list, ',')) {
      size_t dash = item.find('-');
      if (dash != std::string_view::npos) {
        unsigned lo = parse_pcr(item.substr(0, dash), text);
        unsigned hi = parse_pcr(item.substr(dash + 1), text);
        if (lo > hi) throw_usage("PCR selection '" + std::string(text) + "': empty range");
        for (unsigned p = lo; p <= hi; ++p) sel.add(*alg, p);
      } else {
        sel.add(*alg, parse_pcr(item, text));
      }
    }
  }
  return sel;
}

void PcrSelection::add(HashAlg alg, unsigned pcr) {
  for (auto& b : banks_) {
    if (b.alg == alg) {
      b.pcrs.set(pcr);
      return;
    }
  }
  banks_.push_back({alg, {}});
  banks_.back().pcrs.set(pcr);
}

bool PcrSelection::empty() const {
  for (const auto& b : banks_)
    if (b.pcrs.any()) return false;
  return true;
}

bool PcrSelection::contains(HashAlg alg, unsigned pcr) const {
  for (const auto& b : banks_)
    if (b.alg == alg) return pcr < kPcrCount && b.pcrs.test(pcr);
  return false;
}

std::string PcrSelection::to_string() const {
  std::string out;
  for (const auto& b : banks_) {
    if (!out.empty()) out += '+';
    out += hash_alg_name(b.alg);
    out += ':';
    bool first = true;
    for (unsigned p = 0; p < kPcrCount; ++p) {
      if (!b.pcrs.test(p)) continue;
      if (!first) out += ',';
      out += std::to_string(p);
      first = false;
    }
  }
  return out;
}

std::vector<uint8_t> PcrSelection::marshal() const {
  std::vector<uint8_t> out;
  auto n = static_cast<uint32_t>(banks_.size());
  out.reserve(4 + banks_.size() * (3 + kPcrCount / 8));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  for (const auto& b : banks_) {
    auto id = static_cast<uint16_t>(b.alg);
    out.push_back(static_cast<uint8_t>(id >> 8));
    out.push_back(static_cast<uint8_t>(id));
    out.push_back(kPcrCount / 8);  // sizeofSelect: PC Client TPMs have 24 PCRs
    for (unsigned byte = 0; byte < kPcrCount / 8; ++byte) {
      uint8_t bits = 0;
      for (unsigned bit = 0; bit < 8; ++bit)
        if (b.pcrs.test(byte * 8 + bit)) bits |= static_cast<uint8_t>(1u << bit);
      out.push_back(bits);
    }
  }
  return out;
}

}  // namespace integral
