#include "integral/predict/grub_script.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

// A boot device "hd0,gpt1" with these files, and GRUB's memdisk with its grub.cfg.
struct World {
  std::map<std::string, std::string> files;  // "dev:/path" -> contents
  GrubWorld world;
  World() {
    world.devices = {"hd0,gpt1"};
    world.file = [this](const std::string& dev,
                        const std::string& path) -> std::optional<GrubFile> {
      auto it = files.find(dev + ":" + path);
      if (it == files.end()) return std::nullopt;
      return GrubFile{it->first, std::span(reinterpret_cast<const uint8_t*>(it->second.data()),
                                           it->second.size())};
    };
    world.directory = [this](const std::string& dev, const std::string& path) {
      for (const auto& [k, v] : files)
        if (k.rfind(dev + ":" + path + "/", 0) == 0) return true;
      return false;
    };
    world.list = [this](const std::string& dev, const std::string& path) {
      std::vector<std::string> names;
      std::string dir = dev + ":" + path;
      if (dir.back() != '/') dir += '/';
      for (const auto& [k, v] : files)
        if (k.rfind(dir, 0) == 0 && k.find('/', dir.size()) == std::string::npos)
          names.push_back(k.substr(dir.size()));
      return names;
    };
  }
};

std::vector<std::string> texts(const GrubRun& r) {
  std::vector<std::string> out;
  for (const auto& s : r.steps) {
    const char* kind[] = {"cmd", "file", "kernel", "cmdline", "initrd"};
    out.push_back(std::string(kind[static_cast<int>(s.kind)]) + " " + s.text);
  }
  return out;
}

const std::map<std::string, std::string> kVars = {
    {"root", "hd0,gpt1"}, {"prefix", "(hd0,gpt1)/EFI/debian"}, {"cmdpath", "(hd0,gpt1)/EFI/BOOT"}};

// Debian 12's signed GRUB: its embedded configuration hands the memdisk's grub.cfg to normal,
// which finds \EFI\debian\grub.cfg. The expected steps are GRUB's rule applied by hand (each
// command's words after expansion, joined by one space), and match the reference boot's log.
TEST(GrubScript, DebianSignedImageBootsTheDefaultEntry) {
  World w;
  w.files["memdisk:/grub.cfg"] =
      "if [ -z \"$prefix\" -o ! -e \"$prefix\" ]; then\n"
      "\tif ! search --file --set=root /.disk/info; then\n"
      "\t\tsearch --file --set=root /.disk/mini-info\n"
      "\tfi\n"
      "\tset prefix=($root)/boot/grub\n"
      "fi\n"
      "if [ -e $prefix/x86_64-efi/grub.cfg ]; then\n"
      "\tsource $prefix/x86_64-efi/grub.cfg\n"
      "elif [ -e $prefix/grub.cfg ]; then\n"
      "\tsource $prefix/grub.cfg\n"
      "else\n"
      "\tsource $cmdpath/grub.cfg\n"
      "fi\n";
  w.files["hd0,gpt1:/EFI/debian/grub.cfg"] =
      "set default=0\nset timeout=0\n"
      "# a comment\n"
      "menuentry 'integral example' --class debian {\n\tlinux /vmlinuz console=ttyS0 quiet\n"
      "\tinitrd /initrd.img\n}\n";
  w.files["hd0,gpt1:/vmlinuz"] = "MZ";
  w.files["hd0,gpt1:/initrd.img"] = "cpio";
  const GrubRun r = run_grub_script("normal (memdisk)/grub.cfg", "embedded", kVars, w.world, true);
  const std::vector<std::string> expect = {
      "cmd [ -z (hd0,gpt1)/EFI/debian -o ! -e (hd0,gpt1)/EFI/debian ]",
      "cmd [ -e (hd0,gpt1)/EFI/debian/x86_64-efi/grub.cfg ]",
      "cmd [ -e (hd0,gpt1)/EFI/debian/grub.cfg ]",
      "cmd source (hd0,gpt1)/EFI/debian/grub.cfg",
      "file (hd0,gpt1)/EFI/debian/grub.cfg",
      "cmd set default=0",
      "cmd set timeout=0",
      "cmd menuentry integral example --class debian {\n\tlinux /vmlinuz console=ttyS0 quiet\n"
      "\tinitrd /initrd.img\n}",
      "cmd setparams integral example",
      "cmd linux /vmlinuz console=ttyS0 quiet",
      "kernel /vmlinuz",
      "cmdline /vmlinuz console=ttyS0 quiet",
      "cmd initrd /initrd.img",
      "initrd /initrd.img",
  };
  EXPECT_EQ(texts(r), expect);
  EXPECT_EQ(r.booted, "integral example");
  EXPECT_EQ(std::string(r.steps[10].bytes.begin(), r.steps[10].bytes.end()), "MZ");
}

TEST(GrubScript, QuotingExpansionAndBranches) {
  World w;
  w.files["hd0,gpt1:/vmlinuz"] = "MZ";
  const GrubRun r = run_grub_script(
      "set a=\"x  y\"; echo $a \"$a\" '$a' \\$a ${a}z\n"
      "if [ -e /nope ]; then echo 1; elif [ -f /vmlinuz -a -d /EFI ]; then echo 2; else echo 3; "
      "fi\n"
      "if false; then echo no; elif [ \"$a\" != \"x y\" ]; then echo 4; fi\n"
      "search --no-floppy --file --set=dev /vmlinuz\necho $dev $? $undefined\n"
      "linux /vmlinuz\nboot\necho never\n",
      "t.cfg", kVars, w.world, false);
  const std::vector<std::string> expect = {
      "cmd set a=x  y",
      "cmd echo x y x  y $a $a x yz",
      "cmd [ -e /nope ]",
      "cmd [ -f /vmlinuz -a -d /EFI ]",
      "cmd echo 3",
      "cmd false",
      "cmd [ x  y != x y ]",
      "cmd echo 4",
      "cmd search --no-floppy --file --set=dev /vmlinuz",
      "cmd echo hd0,gpt1 0",
      "cmd linux /vmlinuz",
      "kernel /vmlinuz",
      "cmdline /vmlinuz",
      "cmd boot",
  };
  EXPECT_EQ(texts(r), expect);
}

void expect_refused(const std::string& script, const std::string& what, int line) {
  World w;
  w.files["hd0,gpt1:/vmlinuz"] = "MZ";
  try {
    (void)run_grub_script(script, "g.cfg", kVars, w.world, false);
    FAIL() << "no error for " << script;
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(what), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("g.cfg:" + std::to_string(line) + ":"), std::string::npos)
        << e.message();
  }
}

TEST(GrubScript, RefusesWhatItDoesNotModel) {
  expect_refused("echo\nfor i in a b; do echo $i; done\n", "not modelled", 2);
  expect_refused("background_image /splash.png\n", "'background_image' reads files", 1);
  expect_refused("search --fs-uuid 1234\n", "UUID of hd0,gpt1 is not known", 1);
  expect_refused("if true; then echo\n", "missing 'fi'", 1);
  expect_refused("echo 'open\n", "not closed", 1);
  expect_refused("\n\nlinux /nothere\n", "not on the boot device", 3);
  expect_refused("source /missing.cfg\n", "not on the boot device", 1);
}

// What grub-mkconfig writes for Debian 12 (00_header, 10_linux), trimmed: the expected commands
// are GRUB's rule applied by hand and match the reference boot of Debian's signed GRUB
// (examples/shim-grub/grub.cfg): a function definition is not measured, its call and body are;
// NAME=VALUE is measured as written; "${unset}" in quotes is an empty word; `[ -s FILE ]` and
// load_env read the environment block, measured each time as the file it is (PCR 9); a font found
// in the memdisk is not measured, one on the device is (PCR 9).
TEST(GrubScript, GrubMkconfigOutput) {
  World w;
  w.files["hd0,gpt1:/vmlinuz"] = "MZ";
  w.files["hd0,gpt1:/EFI/debian/grubenv"] =
      "# GRUB Environment Block\nsaved_entry=gnulinux-x\nnext_entry=\n##########";
  w.files["memdisk:/fonts/unicode.pf2"] = "PFF2";
  w.files["hd0,gpt1:/EFI/debian/fonts/extra.pf2"] = "PFF2x";
  w.world.fs_uuids["hd0,gpt1"] = "1234-ABCD";
  const GrubRun r = run_grub_script(
      "if [ -s $prefix/grubenv ]; then\n  set have_grubenv=true\n  load_env\nfi\n"
      "if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\nelse\n"
      "   set default=\"0\"\nfi\n"
      "if [ x\"${feature_menuentry_id}\" = xy ]; then\n  menuentry_id_option=\"--id\"\nelse\n"
      "  menuentry_id_option=\"\"\nfi\n"
      "export menuentry_id_option\n"
      "function load_video {\n  if [ x$feature_all_video_module = xy ]; then\n"
      "    insmod all_video\n  fi\n}\n"
      "if loadfont unicode ; then\n  load_video\nfi\nloadfont extra\nloadfont nofont\n"
      "echo $saved_entry\nset timeout=0\n"
      "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {\n"
      "\tload_video\n\tsearch --no-floppy --fs-uuid --set=root 1234-abcd\n"
      "\techo\t'Loading Linux ...'\n\tlinux\t/vmlinuz ro\n}\n",
      "grub.cfg",
      {{"root", "hd0,gpt1"},
       {"prefix", "(hd0,gpt1)/EFI/debian"},
       {"feature_menuentry_id", "y"},
       {"feature_all_video_module", "y"}},
      w.world, false);
  const std::vector<std::string> expect = {
      "cmd [ -s (hd0,gpt1)/EFI/debian/grubenv ]",
      "file (hd0,gpt1)/EFI/debian/grubenv",
      "cmd set have_grubenv=true",
      "cmd load_env",
      "file (hd0,gpt1)/EFI/debian/grubenv",
      "cmd [  ]",
      "cmd set default=0",
      "cmd [ xy = xy ]",
      "cmd menuentry_id_option=--id",
      "cmd export menuentry_id_option",
      "cmd loadfont unicode",
      "cmd load_video",
      "cmd [ xy = xy ]",
      "cmd insmod all_video",
      "cmd loadfont extra",
      "file (hd0,gpt1)/EFI/debian/fonts/extra.pf2",
      "cmd loadfont nofont",
      "cmd echo gnulinux-x",
      "cmd set timeout=0",
      "cmd menuentry Debian GNU/Linux --class debian --id gnulinux-simple {\n\tload_video\n"
      "\tsearch --no-floppy --fs-uuid --set=root 1234-abcd\n\techo\t'Loading Linux ...'\n"
      "\tlinux\t/vmlinuz ro\n}",
      "cmd setparams Debian GNU/Linux",
      "cmd load_video",
      "cmd [ xy = xy ]",
      "cmd insmod all_video",
      "cmd search --no-floppy --fs-uuid --set=root 1234-abcd",
      "cmd echo Loading Linux ...",
      "cmd linux /vmlinuz ro",
      "kernel /vmlinuz",
      "cmdline /vmlinuz ro",
  };
  EXPECT_EQ(texts(r), expect);
}

TEST(GrubScript, MenuNeedsAnAutomaticDefault) {
  World w;
  w.files["hd0,gpt1:/vmlinuz"] = "MZ";
  EXPECT_THROW((void)run_grub_script("set timeout=-1\nmenuentry a { linux /vmlinuz }\n", "g.cfg",
                                     kVars, w.world, false),
               Error);
  // GRUB boots the first entry when $default names none or is empty
  for (const char* def : {"7", "nosuch", "\"\""})
    EXPECT_EQ(run_grub_script(fmt::format("set default={}\nmenuentry a {{ linux /vmlinuz }}\n"
                                          "menuentry b {{ linux /vmlinuz }}\n",
                                          def),
                              "g.cfg", kVars, w.world, false)
                  .booted,
              "a")
        << def;
  // by title; the second entry's positional words go to setparams
  const GrubRun r = run_grub_script(
      "set default=b\nmenuentry a { echo a }\nmenuentry b extra --id=bb { echo $1 $2 }\n", "g.cfg",
      kVars, w.world, false);
  EXPECT_EQ(r.booted, "b");
  ASSERT_GE(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[r.steps.size() - 2].text, "setparams b extra");
  EXPECT_EQ(r.steps.back().text, "echo b extra");
}

// GRUB's normal mode names the configuration file running in $config_file and its folder in
// $config_directory (a path without a device on $root), and restores them afterwards.
TEST(GrubScript, ConfigDirectoryWhileAConfigurationFileRuns) {
  World w;
  w.files["hd0,gpt1:/EFI/x/a.cfg"] = "echo $config_directory $config_file\nsource /b.cfg\n";
  w.files["hd0,gpt1:/b.cfg"] = "echo $config_directory\n";
  const GrubRun r = run_grub_script("source (hd0,gpt1)/EFI/x/a.cfg\necho [$config_directory]\n",
                                    "g.cfg", kVars, w.world, false);
  const std::vector<std::string> want = {
      "cmd source (hd0,gpt1)/EFI/x/a.cfg",
      "file (hd0,gpt1)/EFI/x/a.cfg",
      "cmd echo (hd0,gpt1)/EFI/x (hd0,gpt1)/EFI/x/a.cfg",
      "cmd source /b.cfg",
      "file /b.cfg",
      "cmd echo (hd0,gpt1)",
      "cmd echo []",
  };
  EXPECT_EQ(texts(r), want);
}

// Red Hat's blscfg, rules applied by hand from its source (RHEL 8's GRUB 2.02): snippets in
// /loader/entries/ (none there: /boot/loader/entries/), newest version first as rpm compares
// versions ("1.10" after "1.9", "2~rc1" before "2"), a snippet without `linux` skipped, the
// options' variables expanded when the entry is made (a one-letter variable at the end is
// dropped, as GRUB drops it), an empty line ending a snippet, and no setparams line.
TEST(GrubScript, BlscfgMakesRedHatsEntries) {
  World w;
  w.world.blscfg = true;
  w.world.devices = {"hd0,gpt1", "hd0,gpt2"};
  const std::string dir = "hd0,gpt2:/boot/loader/entries/";
  w.files[dir + "a-1.9.conf"] = "title A 1.9\nversion 1.9\nlinux /vmlinuz-1.9\n";
  w.files[dir + "a-1.10.conf"] =
      "# a comment\n  title A 1.10\r\nversion\t1.10\nlinux /vmlinuz-1.10\n"
      "initrd /initrd-1.10\ninitrd /extra.img\noptions $opts quiet $x\n\ninitrd /never.img\n";
  w.files[dir + "b-2~rc1.conf"] = "version 2~rc1\nlinux /vmlinuz-2rc1\n";
  w.files[dir + "c.conf"] = "version 3\ntitle no kernel\n";
  w.files[dir + ".hidden.conf"] = "version 9\nlinux /x\n";
  w.files[dir + "notes.txt"] = "version 9\nlinux /x\n";
  for (const char* f :
       {"/vmlinuz-1.9", "/vmlinuz-1.10", "/vmlinuz-2rc1", "/initrd-1.10", "/extra.img"})
    w.files[std::string("hd0,gpt2:") + f] = "k";
  auto vars = kVars;
  vars["root"] = "hd0,gpt2";
  auto booted = [&](const std::string& def) {
    return run_grub_script(
        "set opts=\"ro root=/dev/sda2\"\nset x=1\nblscfg\nset default=" + def + "\n", "g.cfg", vars,
        w.world, false);
  };
  // newest first: 2~rc1 (newer than 1.10), then 1.10, then 1.9
  EXPECT_EQ(booted("0").booted, "/vmlinuz-2rc1");  // no title: the kernel names it
  const GrubRun r = booted("a-1.10");
  EXPECT_EQ(r.booted, "A 1.10");
  const std::vector<std::string> tail = {
      "cmd load_video",
      "cmd set gfx_payload=keep",
      "cmd insmod gzio",
      "cmd linux (hd0,gpt2)/vmlinuz-1.10 ro root=/dev/sda2 quiet",
      "kernel (hd0,gpt2)/vmlinuz-1.10",
      "cmdline (hd0,gpt2)/vmlinuz-1.10 ro root=/dev/sda2 quiet",
      "cmd initrd (hd0,gpt2)/initrd-1.10 (hd0,gpt2)/extra.img",
      "initrd (hd0,gpt2)/initrd-1.10",
      "initrd (hd0,gpt2)/extra.img",
  };
  const auto t = texts(r);
  ASSERT_GE(t.size(), tail.size());
  EXPECT_EQ(std::vector<std::string>(t.end() - static_cast<ptrdiff_t>(tail.size()), t.end()), tail);
  EXPECT_EQ(booted("2").booted, "A 1.9");
  EXPECT_EQ(booted("3").booted, "/vmlinuz-2rc1");  // c.conf made no entry: 3 is out of range
  // Without the dialect there is no such command.
  w.world.blscfg = false;
  EXPECT_THROW((void)booted("0"), Error);
}

}  // namespace
}  // namespace integral
