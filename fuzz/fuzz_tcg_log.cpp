// TCG firmware event logs (SHA-1 and crypto-agile) from an untrusted machine: read, replay and
// render, check digests against the data, or throw integral::Error.
#include <cstdint>
#include <span>

#include "integral/chain/replay.h"
#include "integral/eventlog/digest_check.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/log_render.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto log =
        integral::parse_event_log(std::span(data, size), "fuzz.log", integral::LogFormat::kTcg);
    auto values = integral::replay(log.chain(), log.banks());
    integral::eventlog_yaml(log, values);
    integral::eventlog_json(log, values).dump();
    integral::check_event_digests(log.chain(), {"grub-nul", "shim-authority-size"});
  } catch (const integral::Error&) {
  }
  // The streaming replay (no events kept) reads the same bytes through its own path.
  try {
    integral::replay_tcg_log(std::span(data, size), "fuzz.log");
  } catch (const integral::Error&) {
  }
  return 0;
}
