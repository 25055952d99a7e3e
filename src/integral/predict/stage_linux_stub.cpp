// Stage "linux-stub": the Linux kernel's EFI stub (6.1 and later) measures into PCR 9, as
// EV_EVENT_TAG events: first its LoadOptions (the command line it was started with, UTF-16LE
// with the NUL, as systemd-stub or systemd-boot pass it), then the initrd it loaded through
// LINUX_EFI_INITRD_MEDIA (for a UKI: systemd-stub's .initrd section; when the UKI carries .pcrsig
// or .pcrpkey, systemd-stub 252 appends them as cpio archives, the .initrd padded to 4 bytes
// first: stub_cpio.h. Credentials and system extensions it would pick up from the ESP are not
// modelled: an ESP with them fails verification, naming this event).
//   uki = "uki.efi"           command line and initrd come from its .cmdline and .initrd, or
//   cmdline = "..." / cmdline_file = "..." and initrd = "..."
#include <fmt/format.h>

#include "integral/chain/event_type.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/formats/pe.h"
#include "integral/predict/stage.h"
#include "integral/predict/stub_cpio.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/mapped_file.h"

namespace integral {

namespace {

// drivers/firmware/efi/libstub: INITRD_EVENT_TAG_ID, LOAD_OPTIONS_EVENT_TAG_ID.
constexpr uint32_t kInitrdTag = 0x8F3B22EC;
constexpr uint32_t kLoadOptionsTag = 0x8F3B22ED;

// TCG_PCClientTaggedEvent: taggedEventID, taggedEventDataSize, the description with its NUL.
std::vector<uint8_t> tagged_event(uint32_t tag, std::string_view description) {
  std::vector<uint8_t> d;
  append_le(d, tag, 4);
  append_le(d, description.size() + 1, 4);
  d.insert(d.end(), description.begin(), description.end());
  d.push_back(0);
  return d;
}

// The initrd systemd-stub hands the kernel for this UKI: .initrd, then the cpio archives it makes
// of .pcrsig and .pcrpkey (252's order; other versions add more and are not modelled).
std::vector<Digest> stub_initrd_digests(StageFields& f, const MappedFile& in, const PeImage& img,
                                        const PeSection* initrd, std::span<const HashAlg> banks) {
  const PeSection* sig = img.section(".pcrsig");
  const PeSection* pkey = img.section(".pcrpkey");
  if (sig && sig->virtual_size == 0) sig = nullptr;
  if (pkey && pkey->virtual_size == 0) pkey = nullptr;
  if (!sig && !pkey) return uefi::hash_section(in, *initrd, banks);
  const PeSection* magic = img.section(".sdmagic");
  const std::string text = magic ? uefi::section_text(f, "uki", in, *magic, 4096) : "";
  if (text.find("LoaderInfo: systemd-stub 252") == std::string::npos)
    f.fail("uki", fmt::format("{}: the initrd systemd-stub passes with .pcrsig/.pcrpkey is "
                              "modelled for systemd-stub 252 only (.sdmagic: '{}')",
                              in.path(), text.substr(0, 64)));
  MultiHasher h(banks);
  for_each_section_piece(in.bytes(), *initrd, [&](std::span<const uint8_t> p) { h.update(p); });
  const uint8_t zeros[3] = {};
  h.update(std::span<const uint8_t>(zeros, (4 - initrd->virtual_size % 4) % 4));
  auto add = [&](const PeSection* s, std::string_view name) {
    if (!s) return;
    Bytes contents;
    for_each_section_piece(in.bytes(), *s, [&](std::span<const uint8_t> p) {
      contents.insert(contents.end(), p.begin(), p.end());
    });
    h.update(stub_literal_cpio(".extra", name, contents));
  };
  add(sig, "tpm2-pcr-signature.json");
  add(pkey, "tpm2-pcr-public-key.pem");
  return h.finish();
}

}  // namespace

std::vector<Event> run_linux_stub_stage(StageFields& f, const StageContext& ctx) {
  auto uki = f.string("uki");
  auto cmdline = f.string("cmdline");
  auto cmdline_file = f.string("cmdline_file");
  auto initrd = f.string("initrd");
  f.finish();
  if (cmdline && cmdline_file) f.fail("cmdline", "give 'cmdline' or 'cmdline_file', not both");
  if (uki && (cmdline || cmdline_file || initrd))
    f.fail("uki", "takes the command line and initrd from the image; do not also name them");

  std::optional<std::string> text;
  std::string cmdline_artifact = f.file();
  std::optional<std::vector<Digest>> initrd_digests;
  std::string initrd_artifact;
  std::unique_ptr<MappedFile> in;
  if (uki) {
    in = uefi::open_artifact(f, "uki", *uki, ctx);
    PeImage img = parse_pe(in->bytes(), in->path());
    if (const PeSection* s = img.section(".cmdline"); s && s->virtual_size > 0) {
      text = uefi::section_text(f, "uki", *in, *s);
      cmdline_artifact = in->path() + "#.cmdline";
    }
    if (const PeSection* s = img.section(".initrd"); s && s->virtual_size > 0) {
      initrd_digests = stub_initrd_digests(f, *in, img, s, ctx.banks);
      initrd_artifact = in->path() + "#.initrd";
    }
  } else {
    if (cmdline) text = *cmdline;
    if (cmdline_file) {
      text = uefi::read_cmdline_file(f, *cmdline_file, ctx, cmdline_artifact);
    }
    if (initrd) {
      auto m = uefi::open_artifact(f, "initrd", *initrd, ctx);
      MultiHasher h(ctx.banks);
      h.update(m->bytes());
      initrd_digests = h.finish();
      initrd_artifact = m->path();
    }
  }

  std::vector<Event> out;
  if (text) {
    std::vector<uint8_t> options;
    try {
      options = uefi::utf16le(*text, true);
    } catch (const std::invalid_argument& e) {
      f.fail(uki ? "uki" : (cmdline ? "cmdline" : "cmdline_file"),
             fmt::format("command line: {}", e.what()));
    }
    Event e;
    e.pcr = 9;
    e.type = ev::kEventTag;
    e.digests = uefi::hash_banks(ctx.banks, options);
    e.data = tagged_event(kLoadOptionsTag, "LOADED_IMAGE::LoadOptions");
    e.description = "Linux EFI stub: LoadOptions";
    e.provenance = {cmdline_artifact, "linux-stub/load-options", std::nullopt};
    out.push_back(std::move(e));
  }
  if (initrd_digests) {
    Event e;
    e.pcr = 9;
    e.type = ev::kEventTag;
    e.digests = std::move(*initrd_digests);
    e.data = tagged_event(kInitrdTag, "Linux initrd");
    e.description = "Linux EFI stub: initrd";
    e.provenance = {initrd_artifact, "linux-stub/initrd", std::nullopt};
    out.push_back(std::move(e));
  }
  if (out.empty()) f.fail("", "measures nothing: give a command line or an initrd");
  return out;
}

}  // namespace integral
