// Stage "grub": GRUB 2.06 with its TPM module (Debian's signed grubx64.efi) measures every
// command its script engine runs into PCR 8 (EV_IPL "grub_cmd: " + the command's words after
// expansion joined by spaces, NUL-terminated; digest = H(the words, no prefix, no NUL)), the
// kernel command line it hands over ("kernel_cmdline: " + kernel path and arguments, alike), and
// every file it reads for a command (configuration files, the kernel, initrds) into PCR 9
// (EV_IPL, data = the path as the command named it + NUL, digest = H(contents)). The commands
// come from running the image's embedded configuration and the grub.cfg it reaches against the
// files the boot device will hold (predict/grub_script.h says what is modelled). Under shim, GRUB
// has the kernel verified through shim_lock, and shim measures it into PCR 4 each time
// (EV_EFI_BOOT_SERVICES_APPLICATION, its Authenticode digest): twice per `linux` command in
// Debian's 2.06 (its shim_lock verifier when the file is opened, then the linux loader's own
// check), seen in the reference boot.
//   image = "esp/EFI/BOOT/grubx64.efi"   the GRUB image: its prefix, embedded configuration and
//                                         memdisk; inside `esp`, its folder becomes $cmdpath
//   esp = "esp"                          a folder holding the boot device's files as GRUB sees
//                                         them (the tree the ESP is made from)
//   device = "hd0,gpt1"                  GRUB's name for the boot device (its $root): "hd0"
//                                         for a bare FAT disk, "hd0,gpt1" for the first GPT
//                                         partition of the first disk
//   fs_uuid = "1234-abcd", fs_label = "ESP"   the boot device's file system UUID and label as
//                                         GRUB names them (search --fs-uuid / --label)
//   devices = ["hd0,gpt2=boot"]          more devices GRUB can read, each a folder with its
//                                         files (a /boot partition: the tree its image is made
//                                         from), searched after the boot device
//   fs_uuids = ["hd0,gpt2=0e8c...", ...]  their file system UUIDs
//   shim_lock = 2                        PCR 4 measurements per kernel; 0 without shim
//   dialect = "upstream"                 "rhel8": Red Hat's GRUB 2.02 of RHEL 8 (below)
//   prefix = "/EFI/redhat"               GRUB's prefix on the boot device, for an image whose
//                                         embedded configuration is none: normal mode then
//                                         runs $prefix/grub.cfg; with a prefix, `image` may be
//                                         left out
// Red Hat's GRUB 2.02 (RHEL 8; the log google/go-eventlog's rhel8-uefi.bin shows it) logs
// "grub_cmd " + the command (no colon) and hashes the command with its NUL, logs the kernel
// command line as "grub_kernel_cmdline " + the line hashed without its NUL, measures no file
// but the kernel and initrds its linux and initrd commands load ("grub_linuxefi Kernel" and
// "grub_linuxefi Initrd", digest = H(contents)), has shim verify the kernel once, and has the
// blscfg command (predict/grub_script.h).
// What GRUB itself runs unmeasured, seen in the reference boot of Debian 12's signed image: the
// embedded configuration's own commands, and the memdisk file it hands to `normal`.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "integral/chain/event_type.h"
#include "integral/formats/fat.h"
#include "integral/formats/grub_image.h"
#include "integral/formats/pe.h"
#include "integral/predict/grub_script.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/mapped_file.h"

namespace integral {

namespace {

std::vector<uint8_t> nul_text(std::string_view prefix, std::string_view text) {
  std::vector<uint8_t> d(prefix.begin(), prefix.end());
  d.insert(d.end(), text.begin(), text.end());
  d.push_back(0);
  return d;
}

bool safe_path(const std::string& p) {
  for (size_t i = 0; i <= p.size();) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (p.compare(i, j - i, "..") == 0) return false;
    i = j + 1;
  }
  return true;
}

}  // namespace

std::vector<Event> run_grub_stage(StageFields& f, const StageContext& ctx) {
  const auto image_path = f.string("image");
  const std::string esp = f.required_string("esp");
  const std::string device = f.string("device").value_or("hd0,gpt1");
  const std::string dialect = f.string("dialect").value_or("upstream");
  const bool rhel = dialect == "rhel8";
  const int64_t shim_lock = f.integer("shim_lock").value_or(rhel ? 1 : 2);
  const auto fs_uuid = f.string("fs_uuid");
  const auto fs_label = f.string("fs_label");
  const auto more = f.strings("devices").value_or(std::vector<std::string>{});
  const auto uuids = f.strings("fs_uuids").value_or(std::vector<std::string>{});
  const auto prefix_field = f.string("prefix");
  f.finish();
  if (!rhel && dialect != "upstream")
    f.fail("dialect", fmt::format("'{}': \"upstream\" or \"rhel8\"", dialect));
  if (shim_lock < 0 || shim_lock > 4) f.fail("shim_lock", "must lie between 0 and 4");
  if (device.empty() || device.find_first_of("()/ ") != std::string::npos)
    f.fail("device", fmt::format("'{}' is not a GRUB device name such as hd0,gpt1", device));
  if (!image_path && !prefix_field)
    f.fail("image", "name the GRUB image, or its prefix (prefix = \"/EFI/redhat\")");
  if (prefix_field && (prefix_field->empty() || (*prefix_field)[0] != '/'))
    f.fail("prefix", fmt::format("'{}' is not a path on the boot device", *prefix_field));

  std::unique_ptr<MappedFile> image;
  GrubImage grub;
  if (image_path) {
    image = uefi::open_artifact(f, "image", *image_path, ctx);
    grub = f.reading("image", [&] { return parse_grub_image(image->bytes(), image->path()); });
  }
  if (prefix_field) grub.prefix = *prefix_field;
  if (!grub.config && !grub.prefix)
    f.fail("image", fmt::format("{} has neither an embedded configuration nor a prefix: name its "
                                "prefix",
                                image->path()));

  const std::filesystem::path esp_dir = ctx.resolve(esp);
  if (!std::filesystem::is_directory(esp_dir))
    f.fail("esp", fmt::format("{} is not a folder", esp_dir.string()));
  std::map<std::string, std::filesystem::path> folders = {{device, esp_dir}};
  std::vector<std::string> order = {device};
  auto split = [&](std::string_view key, const std::string& item) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      f.fail(key, fmt::format("'{}' is not DEVICE=VALUE", item));
    return std::pair(item.substr(0, eq), item.substr(eq + 1));
  };
  for (const auto& d : more) {
    auto [name, folder] = split("devices", d);
    const auto dir = ctx.resolve(folder);
    if (!std::filesystem::is_directory(dir) || folders.count(name))
      f.fail("devices", fmt::format("'{}': {} is not a folder, or the device is named twice", d,
                                    dir.string()));
    folders[name] = dir;
    order.push_back(name);
  }
  // $cmdpath: the folder of the image on the boot device, when the image lies inside `esp`.
  std::string cmd_dir = prefix_field ? *prefix_field : "/EFI/BOOT";
  if (image) {
    auto rel = std::filesystem::path(image->path()).lexically_relative(esp_dir);
    if (!rel.empty() && *rel.begin() != "..") cmd_dir = "/" + rel.parent_path().generic_string();
  }

  // Files read so far, each read (mapped, or copied out of the memdisk) once however often
  // the script tests or opens it; GrubFile views stay valid (map nodes do not move).
  std::map<std::filesystem::path, MappedFile> mapped;
  std::map<std::string, std::optional<std::vector<uint8_t>>> memdisk;
  GrubWorld world;
  world.devices = order;
  world.blscfg = rhel;
  if (fs_uuid) world.fs_uuids[device] = *fs_uuid;
  if (fs_label) world.fs_labels[device] = *fs_label;
  for (const auto& u : uuids) {
    auto [name, uuid] = split("fs_uuids", u);
    if (!folders.count(name)) f.fail("fs_uuids", fmt::format("'{}': no such device", u));
    world.fs_uuids[name] = uuid;
  }
  world.file = [&](const std::string& dev, const std::string& path) -> std::optional<GrubFile> {
    if (!safe_path(path)) return std::nullopt;
    if (dev == "memdisk") {
      if (grub.memdisk.empty()) return std::nullopt;
      auto it = memdisk.find(path);
      if (it == memdisk.end())
        it = memdisk.emplace(path, fat_read_file(grub.memdisk, path, image->path() + " (memdisk)"))
                 .first;
      if (!it->second) return std::nullopt;
      return GrubFile{"(memdisk)" + path + " of " + image->path(), *it->second};
    }
    auto folder = folders.find(dev);
    if (folder == folders.end()) return std::nullopt;
    const auto rel = path.find_first_not_of('/');
    const std::filesystem::path p =
        folder->second / path.substr(rel == std::string::npos ? path.size() : rel);
    auto it = mapped.find(p);
    if (it == mapped.end()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
      ctx.resolve(p.string());  // a boot input
      it = mapped.emplace(p, MappedFile(p)).first;
    }
    return GrubFile{p.string(), it->second.bytes()};
  };
  world.directory = [&](const std::string& dev, const std::string& path) {
    auto folder = folders.find(dev);
    if (folder == folders.end() || !safe_path(path)) return false;
    std::error_code ec;
    return std::filesystem::is_directory(folder->second / ("." + path), ec);
  };
  world.list = [&](const std::string& dev, const std::string& path) {
    std::vector<std::string> names;
    auto folder = folders.find(dev);
    std::error_code ec;
    if (folder == folders.end() || !safe_path(path)) return names;
    for (const auto& e : std::filesystem::directory_iterator(folder->second / ("." + path), ec))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());  // GRUB's order is the file system's; blscfg sorts
    return names;
  };
  std::map<std::string, std::string> vars = {
      {"root", device},
      {"cmdpath", "(" + device + ")" + cmd_dir},
      {"grub_platform", "efi"},
      {"grub_cpu", "x86_64"},
  };
  // What GRUB 2.06's normal mode says it supports (grub-mkconfig's scripts test these).
  for (const char* feature :
       {"chainloader_bpb", "ntldr", "platform_search_hint", "default_font_path", "all_video_module",
        "menuentry_id", "menuentry_options", "200_final", "nativedisk_cmd", "timeout_style"})
    vars[std::string("feature_") + feature] = "y";
  if (grub.prefix)
    vars["prefix"] = (!grub.prefix->empty() && (*grub.prefix)[0] == '(')
                         ? *grub.prefix
                         : "(" + device + ")" + *grub.prefix;
  GrubRun run;
  if (grub.config) {
    run = f.reading("image", [&] {
      return run_grub_script(*grub.config, image->path() + " (embedded configuration)", vars, world,
                             true);
    });
  } else {
    // No embedded configuration: normal mode runs $prefix/grub.cfg.
    const std::string cfg = vars["prefix"] + "/grub.cfg";
    const std::string& pre = vars["prefix"];  // always "(device)/path" here
    const auto close = pre.find(')');
    auto file = close == std::string::npos
                    ? std::nullopt
                    : world.file(pre.substr(1, close - 1), pre.substr(close + 1) + "/grub.cfg");
    if (!file)
      f.fail(prefix_field ? "prefix" : "image",
             fmt::format("no {}/grub.cfg in {}", *grub.prefix, esp_dir.string()));
    const GrubStep read{GrubStep::Kind::kFile, cfg, file->bytes, file->artifact, cfg};
    vars["config_file"] = cfg;
    vars["config_directory"] = vars["prefix"];
    run = f.reading("prefix", [&] {
      return run_grub_script(
          std::string_view(reinterpret_cast<const char*>(file->bytes.data()), file->bytes.size()),
          file->artifact, vars, world, false);
    });
    run.steps.insert(run.steps.begin(), read);
  }
  if (!run.booted) f.fail("esp", "the configuration boots nothing (no menu entry and no 'boot')");

  std::vector<Event> out;
  for (const auto& s : run.steps) {
    switch (s.kind) {
      case GrubStep::Kind::kCommand:
      case GrubStep::Kind::kKernelCmdline: {
        const bool cmd = s.kind == GrubStep::Kind::kCommand;
        const char* prefix = cmd ? (rhel ? "grub_cmd " : "grub_cmd: ")
                                 : (rhel ? "grub_kernel_cmdline " : "kernel_cmdline: ");
        // Red Hat hashes a command with its NUL, the kernel command line without.
        const std::vector<uint8_t> hashed = nul_text("", s.text);
        Event e = uefi::measured_event(
            8, ev::kIpl, nul_text(prefix, s.text),
            std::span(hashed).first(hashed.size() - (rhel && cmd ? 0 : 1)), ctx.banks);
        e.description = prefix + s.text;
        e.provenance = {s.where, cmd ? "grub/command" : "grub/kernel-cmdline", std::nullopt};
        out.push_back(std::move(e));
        break;
      }
      case GrubStep::Kind::kFile:
      case GrubStep::Kind::kInitrd:
      case GrubStep::Kind::kKernel: {
        const bool kernel = s.kind == GrubStep::Kind::kKernel;
        if (rhel && s.kind == GrubStep::Kind::kFile) break;  // Red Hat's measures no other file
        const std::string name = !rhel    ? s.text
                                 : kernel ? "grub_linuxefi Kernel"
                                          : "grub_linuxefi Initrd";
        Event e = uefi::measured_event(9, ev::kIpl, nul_text("", name), s.bytes, ctx.banks);
        e.description = rhel ? fmt::format("{} ({})", name, s.text) : "GRUB reads " + s.text;
        e.provenance = {s.artifact, "grub/file", std::nullopt};
        out.push_back(std::move(e));
        if (!kernel || shim_lock == 0) break;
        const PeImage pe = f.reading("esp", [&] { return parse_pe(s.bytes, s.artifact); });
        const std::vector<Digest> digests = authenticode_digests(s.bytes, pe, ctx.banks);
        for (int64_t i = 0; i < shim_lock; ++i) {
          Event k;
          k.pcr = 4;
          k.type = ev::kEfiBootServicesApplication;
          k.digests = digests;
          k.description =
              fmt::format("shim verifies {} for GRUB ({} of {})", s.text, i + 1, shim_lock);
          k.provenance = {s.artifact, "grub/shim-lock-authenticode", std::nullopt};
          out.push_back(std::move(k));
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace integral
