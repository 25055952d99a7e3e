#include "integral/predict/prediction.h"

#include <fmt/format.h>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/predict/boot_description.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"

namespace integral {

namespace {
[[noreturn]] void not_prediction(const std::string& source, const std::string& what) {
  throw_bad_input(fmt::format("not an integral prediction: {}", what), source);
}
}  // namespace

PcrSet Prediction::values() const {
  return replay(chain, banks);
}

nlohmann::ordered_json prediction_to_json(const Prediction& p) {
  using json = nlohmann::ordered_json;
  json out;
  out["format"] = "integral-prediction";
  out["version"] = 1;
  out["source"] = p.source;
  json banks = json::array();
  for (HashAlg a : p.banks) banks.push_back(hash_alg_name(a));
  out["banks"] = banks;
  out["startup_locality"] = p.chain.startup_locality;
  if (p.chain.dynamic_launch) out["dynamic_launch"] = true;
  PcrSet values = p.values();
  PcrSelection touched = touched_pcrs(p.chain, p.banks);
  json pcrs = json::object();
  for (const auto& b : touched.banks()) {
    json bank = json::object();
    for (unsigned i = 0; i < kPcrCount; ++i)
      if (b.pcrs.test(i)) bank[std::to_string(i)] = values.get(b.alg, i).hex();
    pcrs[std::string(hash_alg_name(b.alg))] = bank;
  }
  out["pcrs"] = pcrs;
  json events = json::array();
  for (const Event& e : p.chain.events) {
    json j;
    j["pcr"] = e.pcr;
    j["type"] = e.type ? json(event_type_name(*e.type)) : json(nullptr);
    json d = json::object();
    for (const Digest& g : e.digests) d[std::string(hash_alg_name(g.alg()))] = g.hex();
    j["digests"] = d;
    if (e.sets) j["sets"] = true;
    if (!e.data.empty()) j["data"] = to_hex(e.data);
    j["description"] = e.description;
    j["artifact"] = e.provenance.artifact;
    j["rule"] = e.provenance.rule;
    if (e.provenance.offset) j["offset"] = *e.provenance.offset;
    events.push_back(j);
  }
  out["events"] = events;
  return out;
}

Prediction prediction_from_json(std::string_view text, const std::string& source) {
  using json = nlohmann::json;
  const json j = parse_json_input(text, source);
  auto bad = [&source](const std::string& what) { not_prediction(source, what); };
  Prediction p;
  p.source = source;
  try {
    if (!j.is_object() || j.value("format", "") != "integral-prediction") bad("no format tag");
    // Numbers through json_unsigned: a float out of an integer's range is no UB here.
    auto unsigned_field = [&](const json& v, uint64_t max, const std::string& what) {
      auto n = json_unsigned(v, max);
      if (!n) bad(fmt::format("{} is not an integer from 0 to {}", what, max));
      return *n;
    };
    if (!j.contains("version") || json_unsigned(j["version"]) != 1u) bad("unsupported version");
    for (const auto& b : j.at("banks")) {
      auto alg = parse_hash_alg(b.get<std::string>());
      if (!alg) not_prediction(source, fmt::format("unknown bank {}", b.dump()));
      p.banks.push_back(*alg);
    }
    if (j.contains("startup_locality"))
      p.chain.startup_locality =
          static_cast<uint8_t>(unsigned_field(j["startup_locality"], 255, "startup_locality"));
    p.chain.dynamic_launch = j.value("dynamic_launch", false);
    size_t index = 0;
    for (const auto& je : j.at("events")) {
      Event e;
      e.pcr = static_cast<unsigned>(unsigned_field(je.at("pcr"), UINT32_MAX, "pcr"));
      if (e.pcr >= kPcrCount) bad(fmt::format("event {}: PCR {} out of range", index, e.pcr));
      if (!je.at("type").is_null()) {
        e.type = parse_event_type(je.at("type").get<std::string>());
        if (!e.type) bad(fmt::format("event {}: unknown type", index));
      }
      for (const auto& [name, hex] : je.at("digests").items()) {
        auto alg = parse_hash_alg(name);
        auto d = alg ? Digest::from_hex(*alg, hex.get<std::string>()) : std::nullopt;
        if (!d) not_prediction(source, fmt::format("event {}: bad {} digest", index, name));
        e.digests.push_back(*d);
      }
      if (je.contains("data")) {
        auto data = from_hex(je.at("data").get<std::string>());
        if (!data) not_prediction(source, fmt::format("event {}: data is not hex", index));
        e.data = std::move(*data);
      }
      e.sets = je.value("sets", false);
      e.description = je.value("description", "");
      e.provenance.artifact = je.value("artifact", "");
      e.provenance.rule = je.value("rule", "");
      if (je.contains("offset"))
        e.provenance.offset = unsigned_field(je.at("offset"), UINT64_MAX, "offset");
      p.chain.events.push_back(std::move(e));
      ++index;
    }
    // The stored values must be what the stored events produce.
    PcrSet values = p.values();
    for (const auto& [bank, pcrs] : j.at("pcrs").items()) {
      auto alg = parse_hash_alg(bank);
      if (!alg || !values.has_bank(*alg))
        not_prediction(source, fmt::format("PCR values for bank {}", bank));
      for (const auto& [num, hex] : pcrs.items()) {
        unsigned pcr = static_cast<unsigned>(std::stoul(num));
        auto d = Digest::from_hex(*alg, hex.get<std::string>());
        if (pcr >= kPcrCount || !d) not_prediction(source, fmt::format("PCR {} of {}", num, bank));
        if (!(*d == values.get(*alg, pcr)))
          bad(fmt::format("{} PCR {} does not equal the replay of its events", bank, pcr));
      }
    }
  } catch (const json::exception& e) {
    bad(e.what());
  } catch (const std::logic_error& e) {  // stoul on a non-number key
    bad(e.what());
  }
  return p;
}

Prediction load_prediction(const std::filesystem::path& path) {
  std::string text = read_text_file(path, 256u << 20);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{')
    return prediction_from_json(text, path.string());
  BootDescription boot = parse_boot_description(text, path.string(), path.parent_path());
  Prediction p;
  p.source = path.string();
  p.banks = boot.banks;
  p.chain = predict_chain(boot);
  return p;
}

}  // namespace integral
