// Stage "linux-stub": the Linux kernel's EFI stub (6.1 and later) measures into PCR 9, as
// EV_EVENT_TAG events: first its LoadOptions (the command line it was started with, UTF-16LE
// with the NUL, as systemd-stub or systemd-boot pass it), then the initrd it loaded through
// LINUX_EFI_INITRD_MEDIA (for a UKI: systemd-stub's .initrd section, plus the cpio archives the
// stub makes of other sections: stub_cpio.h, stub_initrd_digests below. Credentials, system and
// configuration extensions and add-ons it would pick up from the ESP are not modelled: an ESP
// with them fails verification, naming this event).
//   uki = "uki.efi"           command line and initrd come from its .cmdline and .initrd, or
//   cmdline = "..." / cmdline_file = "..." and initrd = "..."
#include <fmt/format.h>

#include <algorithm>

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

// The major version in a systemd-stub's .sdmagic ("LoaderInfo: systemd-stub 257.9-1"), if any.
std::optional<int> stub_major(StageFields& f, const MappedFile& in, const PeImage& img) {
  const PeSection* magic = img.section(".sdmagic");
  if (!magic) return std::nullopt;
  const uefi::StubMagic m = uefi::parse_stub_magic(uefi::section_text(f, "uki", in, *magic, 4096));
  if (!m.tagged || m.digits == 0 || m.digits > 4) return std::nullopt;
  return m.major;
}

// The initrd systemd-stub hands the kernel for this UKI (src/boot/stub.c, checked by real boots):
//   252: .initrd, padded to 4 bytes when cpio archives of .pcrsig and .pcrpkey follow;
//   257: .ucode, .initrd, then archives of .pcrsig, .pcrpkey, .osrel and .profile, each part
//        padded to 4 bytes.
// Stubs in between are modelled only without those archives (.initrd as it is).
std::vector<Digest> stub_initrd_digests(StageFields& f, const MappedFile& in, const PeImage& img,
                                        const PeSection* initrd, std::span<const HashAlg> banks) {
  auto present = [&](std::string_view name) -> const PeSection* {
    const PeSection* s = img.section(name);
    return s && s->virtual_size > 0 ? s : nullptr;
  };
  const PeSection* sig = present(".pcrsig");
  const PeSection* pkey = present(".pcrpkey");
  const std::optional<int> version = stub_major(f, in, img);
  const bool v257 = version && *version >= 257;
  if (!v257 && !sig && !pkey) return uefi::hash_section(in, *initrd, banks);
  if (!v257 && version != 252)
    f.fail("uki", fmt::format("{}: the initrd systemd-stub {} passes with .pcrsig/.pcrpkey is not "
                              "modelled (252 and 257 are)",
                              in.path(), version ? std::to_string(*version) : "(unknown)"));
  if (v257 && std::count_if(img.sections.begin(), img.sections.end(),
                            [](const PeSection& x) { return x.name == ".profile"; }) > 1)
    f.fail("uki", fmt::format("{}: a multi-profile UKI: the profile's own .initrd and archives "
                              "are not modelled in stage linux-stub",
                              in.path()));
  MultiHasher h(banks);
  const uint8_t zeros[3] = {};
  auto pad = [&](uint64_t size) {
    h.update(std::span<const uint8_t>(zeros, static_cast<size_t>((4 - size % 4) % 4)));
  };
  auto section = [&](const PeSection* s) {
    if (!s) return;
    for_each_section_piece(in.bytes(), *s, [&](std::span<const uint8_t> p) { h.update(p); });
    pad(s->virtual_size);
  };
  auto archive = [&](const PeSection* s, std::string_view name) {
    if (!s) return;
    Bytes contents;
    for_each_section_piece(in.bytes(), *s, [&](std::span<const uint8_t> p) {
      contents.insert(contents.end(), p.begin(), p.end());
    });
    h.update(stub_literal_cpio(".extra", name, contents));  // a multiple of 4 bytes
  };
  if (v257) section(present(".ucode"));
  section(initrd);
  archive(sig, "tpm2-pcr-signature.json");
  archive(pkey, "tpm2-pcr-public-key.pem");
  if (v257) {
    archive(present(".osrel"), "os-release");
    archive(present(".profile"), "profile");
  }
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
