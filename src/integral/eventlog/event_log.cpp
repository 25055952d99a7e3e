#include "integral/eventlog/event_log.h"

#include <algorithm>
#include <cctype>

#include "integral/eventlog/go_attestation_json.h"
#include "integral/eventlog/ima_log.h"
#include "integral/eventlog/txt_log.h"
#include "integral/eventlog/txt_stat.h"
#include "integral/util/error.h"
#include "integral/util/mapped_file.h"

namespace integral {

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "auto") return LogFormat::kAuto;
  if (name == "tcg") return LogFormat::kTcg;
  if (name == "go-attestation") return LogFormat::kGoAttestationJson;
  if (name == "ima") return LogFormat::kIma;
  if (name == "txt-stat") return LogFormat::kTxtStat;
  return std::nullopt;
}

std::string EventLog::format_name() const {
  std::string tcg_name =
      tcg.format == TcgLogFormat::kCryptoAgile ? "TCG crypto-agile" : "TCG SHA-1 (TCG_PCR_EVENT)";
  if (format == LogFormat::kGoAttestationJson) return "go-attestation JSON dump, " + tcg_name;
  if (format == LogFormat::kTxtStat)
    return tcg.format == TcgLogFormat::kCryptoAgile ? "TXT event log (txt-stat text, TPM 2.0 TCG)"
                                                    : "TXT event log (txt-stat text, TPM 1.2 "
                                                      "container)";
  return tcg_name;
}

namespace {
LogFormat sniff(std::span<const uint8_t> data) {
  // A binary TCG log starts with a little-endian PCR index (00 00 00 00 in practice) and an
  // event type; a JSON dump with '{' after optional whitespace; an IMA list is recognised by
  // the layout of its first entries, whatever their templates (looks_like_ima).
  size_t i = 0;
  while (i < data.size() && i < 64 && std::isspace(data[i])) ++i;
  if (i < data.size() && data[i] == '{') return LogFormat::kGoAttestationJson;
  if (looks_like_ima(data)) return LogFormat::kIma;
  return LogFormat::kTcg;
}

// txt-stat output and tboot serial logs are text naming TXT or tboot early on (a serial log
// may begin with a few kilobytes of the previous kernel's console first).
constexpr size_t kTextSniff = 64 * 1024;
bool looks_like_txt_text(std::span<const uint8_t> head) {
  std::string_view s(reinterpret_cast<const char*>(head.data()), head.size());
  return s.find("Intel(r) TXT") != std::string_view::npos ||
         s.find("TBOOT:") != std::string_view::npos;
}

LogFormat sniff_all(std::span<const uint8_t> data) {
  LogFormat f = sniff(data);
  if (f == LogFormat::kTcg && looks_like_txt_text(data.first(std::min(data.size(), kTextSniff))))
    return LogFormat::kTxtStat;
  return f;
}
}  // namespace

LogFormat sniff_log_file(const std::string& path) {
  MappedFile f(path);
  return sniff_all(f.bytes());
}

EventLog parse_event_log(std::span<const uint8_t> data, const std::string& file, LogFormat format) {
  if (format == LogFormat::kIma)
    throw_usage("IMA measurement lists are read with ImaReader, not as a TCG log");
  if (format == LogFormat::kAuto) {
    format = sniff_all(data);
    if (format == LogFormat::kIma) format = LogFormat::kTcg;
  }
  EventLog log;
  log.file = file;
  log.format = format;
  if (format == LogFormat::kGoAttestationJson) {
    auto dump = parse_go_attestation_json(
        std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), file);
    // Offsets in errors and provenance are then offsets into the decoded Log.Raw.
    log.tcg = read_tcg_log(dump.raw_log, file + ":Log.Raw");
    log.pcrs = std::move(dump.pcrs);
  } else if (format == LogFormat::kTxtStat) {
    auto txt_log =
        parse_txt_text(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
                       file)
            .log;
    log.tcg.format =
        txt_log.format == TxtLogFormat::kTcg20 ? TcgLogFormat::kCryptoAgile : TcgLogFormat::kSha1;
    log.tcg.banks = txt_log.banks;
    log.tcg.chain = txt_log_chain(txt_log, file);
  } else {
    log.tcg = read_tcg_log(data, file);
  }
  return log;
}

EventLog load_event_log(const std::string& path, LogFormat format) {
  MappedFile f(path);
  return parse_event_log(f.bytes(), path, format);
}

}  // namespace integral
