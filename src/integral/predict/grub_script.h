// GRUB's script engine, as far as the TPM sees it: which commands a grub.cfg runs (GRUB 2.06
// measures each into PCR 8 as "grub_cmd: " + its words after expansion, joined by spaces) and
// which files they read (PCR 9), run against the boot device's files as the image will hold
// them. A subset of the language: words with '', "" and \ quoting, $var and ${var}; ';' and
// newlines; if/elif/else/fi; functions; menuentry and submenu blocks; the commands set, unset,
// [ / test, true, false, search, source / . / configfile (which set $config_file and
// $config_directory while they run, as GRUB's normal mode does), load_env, loadfont, linux /
// initrd, boot, Red Hat's blscfg, and any other command as measured-only. Loops, and commands
// that read files this model does not know, are refused with the line, so a prediction never
// silently leaves out an event.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace integral {

// What the TPM sees of one step, in order.
struct GrubStep {
  enum class Kind {
    kCommand,        // PCR 8 "grub_cmd: <text>"
    kFile,           // PCR 9: a file read, named <text> as GRUB names it
    kKernel,         // PCR 9 like kFile, then the kernel's verification through shim_lock
    kKernelCmdline,  // PCR 8 "kernel_cmdline: <text>"
    kInitrd,         // PCR 9 like kFile: an initrd the `initrd` command loads
  };
  Kind kind = Kind::kCommand;
  std::string text;
  std::span<const uint8_t> bytes;  // kFile, kKernel: the contents read
  std::string artifact;            // kFile, kKernel: the file; for provenance
  std::string where;               // "grub.cfg:12"
};

// A file as the boot device will hold it; `bytes` stays valid while the caller's world does.
struct GrubFile {
  std::string artifact;
  std::span<const uint8_t> bytes;
};

// The devices and files GRUB can see. `device` is a GRUB device name without parentheses
// ("hd0,gpt1", "memdisk"); `path` is absolute on it ("/EFI/debian/grub.cfg").
struct GrubWorld {
  std::function<std::optional<GrubFile>(const std::string& device, const std::string& path)> file;
  std::function<bool(const std::string& device, const std::string& path)> directory;
  // The names in a folder (for blscfg); empty when it is none.
  std::function<std::vector<std::string>(const std::string& device, const std::string& path)> list;
  std::vector<std::string> devices;              // what `search` looks through, in order
  std::map<std::string, std::string> fs_uuids;   // device -> its file system's UUID, as GRUB
  std::map<std::string, std::string> fs_labels;  // names it ("1234-abcd"), and label
  // Red Hat's GRUB has `blscfg`: a menu entry for each Boot Loader Specification snippet.
  bool blscfg = false;
};

struct GrubRun {
  std::vector<GrubStep> steps;
  std::optional<std::string> booted;  // the menu entry booted (its title), when one was
};

// Runs `script` (named `name` in messages) with the variables `vars` ($root, $prefix, $cmdpath
// ...). `embedded`: the image's embedded configuration, which GRUB runs before its TPM hooks:
// its own commands are not measured, and `normal FILE` runs FILE (unmeasured as a file, its
// commands measured) the way GRUB's normal mode does. After the script, the default menu entry
// is run when no `boot` came first: "setparams <title>" and its body. Throws Error(kBadInput)
// naming the file and line for what the model does not cover.
GrubRun run_grub_script(std::string_view script, const std::string& name,
                        std::map<std::string, std::string> vars, const GrubWorld& world,
                        bool embedded);

}  // namespace integral
