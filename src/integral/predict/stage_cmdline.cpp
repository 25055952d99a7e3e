// Stage "cmdline": systemd-boot (for a Type #1 entry) or systemd-stub (for a command line passed
// in or overridden) measures the kernel command line into PCR 12 as EV_IPL: the digest covers the
// UTF-16LE string including its 2-byte NUL (src/boot/measure.c; confirmed by a real log), and
// the event data is that string.
//   cmdline = "..." or cmdline_file = "..."
#include <fmt/format.h>

#include "integral/chain/event_type.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

std::vector<Event> run_cmdline_stage(StageFields& f, const StageContext& ctx) {
  auto cmdline = f.string("cmdline");
  auto cmdline_file = f.string("cmdline_file");
  f.finish();
  if (cmdline.has_value() == cmdline_file.has_value())
    f.fail(cmdline ? "cmdline" : "", "needs exactly one of 'cmdline' and 'cmdline_file'");
  std::string text;
  std::string artifact = f.file();
  if (cmdline) {
    text = *cmdline;
  } else {
    text = uefi::read_cmdline_file(f, *cmdline_file, ctx, artifact);
  }
  std::vector<uint8_t> utf16;
  try {
    utf16 = uefi::utf16le(text, true);
  } catch (const std::invalid_argument& e) {
    f.fail(cmdline ? "cmdline" : "cmdline_file", fmt::format("command line: {}", e.what()));
  }
  Event e = uefi::data_event(12, ev::kIpl, std::move(utf16), ctx.banks);
  e.description = "kernel command line";
  e.provenance = {artifact, "cmdline/utf16-nul", std::nullopt};
  return {std::move(e)};
}

}  // namespace integral
