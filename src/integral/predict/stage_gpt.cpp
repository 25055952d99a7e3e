// Stage "gpt": before it starts an image from a GPT-partitioned disk, UEFI firmware measures the
// disk's partition table into PCR 5 as EV_EFI_GPT_EVENT (once per boot): H(EFI_GPT_DATA), the
// primary header and the non-empty entries (formats/gpt.h). In the log it follows PCR 5's
// separator.
//   disk = "disk.img"      the disk image the firmware boots from
//   block_size = 512       its logical block size (optional)
#include <fmt/format.h>

#include "integral/chain/event_type.h"
#include "integral/formats/gpt.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/mapped_file.h"

namespace integral {

std::vector<Event> run_gpt_stage(StageFields& f, const StageContext& ctx) {
  auto disk = f.string("disk");
  auto block_size = f.integer("block_size");
  f.finish();
  if (!disk) f.fail("", "needs 'disk', the disk image");
  if (block_size && (*block_size < 512 || *block_size > 65536))
    f.fail("block_size", "must lie between 512 and 65536");
  auto in = uefi::open_artifact(f, "disk", *disk, ctx);
  GptData gpt =
      efi_gpt_data(in->bytes(), in->path(), block_size ? static_cast<uint32_t>(*block_size) : 512);
  const uint64_t n = gpt.partitions;
  Event e = uefi::data_event(5, ev::kEfiGptEvent, std::move(gpt.event), ctx.banks);
  e.description = fmt::format("GPT of {} ({} partition{})", *disk, n, n == 1 ? "" : "s");
  e.provenance = {in->path(), "uefi/gpt", std::nullopt};
  return {std::move(e)};
}

}  // namespace integral
