#include "integral/poll/ini.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral::poll {
namespace {

TEST(Ini, DefaultInheritanceCommentsAndContinuations) {
  auto ini = IniFile::parse(
      "# comment\n"
      "[DEFAULT]\n"
      "basedir = /srv/mirrors ; inline comment\n"
      "Poll-Interval: 300\n"
      "hook-passwd = p4$$wd;not-a-comment\n"
      "\n"
      "[bitbake]\n"
      "url = git://example.org/bitbake.git\n"
      "poll-interval = 60\n"
      "desc = first\n"
      "   second\n"
      "[other]\n"
      "url = x\n",
      "t.conf");
  EXPECT_EQ(ini.sections(), (std::vector<std::string>{"bitbake", "other"}));
  EXPECT_EQ(ini.get("bitbake", "basedir"), "/srv/mirrors");
  EXPECT_EQ(ini.get("bitbake", "poll-interval"), "60");
  EXPECT_EQ(ini.get("other", "POLL-INTERVAL"), "300");
  EXPECT_EQ(ini.get("other", "hook-passwd"), "p4$$wd;not-a-comment");
  EXPECT_EQ(ini.get("bitbake", "desc"), "first\nsecond");
  EXPECT_FALSE(ini.get("other", "desc"));
}

TEST(Ini, Interpolation) {
  auto ini = IniFile::parse(
      "[DEFAULT]\nroot = /srv\nbasedir = %(root)s/git\n[a]\ngitdir = %(basedir)s/a.git\n"
      "pct = 100%%\n",
      "t");
  EXPECT_EQ(ini.get("a", "gitdir"), "/srv/git/a.git");
  EXPECT_EQ(ini.get("a", "pct"), "100%");
  auto bad = IniFile::parse("[a]\nx = %(nope)s\ny = 5%\n", "t");
  EXPECT_THROW(bad.get("a", "x"), Error);
  EXPECT_THROW(bad.get("a", "y"), Error);
  auto loop = IniFile::parse("[a]\nx = %(y)s\ny = %(x)s\n", "t");
  EXPECT_THROW(loop.get("a", "x"), Error);
}

TEST(Ini, ErrorsNameTheOffset) {
  try {
    IniFile::parse("[a]\nx = 1\nno separator here\n", "f.conf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), "f.conf");
    EXPECT_EQ(e.offset(), 10u);
  }
  EXPECT_THROW(IniFile::parse("x = 1\n", "f"), Error);
  EXPECT_THROW(IniFile::parse("[a\n", "f"), Error);
  EXPECT_THROW(IniFile::parse("[a]\n[a]\n", "f"), Error);
}

TEST(Ini, PythonStringLists) {
  EXPECT_EQ(parse_python_string_list("['bitbake']", "f", 0), (std::vector<std::string>{"bitbake"}));
  EXPECT_EQ(parse_python_string_list(" [ 'a' , \"b c\", 'd\\'e', ] ", "f", 0),
            (std::vector<std::string>{"a", "b c", "d'e"}));
  EXPECT_EQ(parse_python_string_list("()", "f", 0), std::vector<std::string>{});
  EXPECT_THROW(parse_python_string_list("'a'", "f", 0), Error);
  EXPECT_THROW(parse_python_string_list("[a]", "f", 0), Error);
  EXPECT_THROW(parse_python_string_list("['a' 'b']", "f", 0), Error);
  EXPECT_THROW(parse_python_string_list("['a", "f", 0), Error);
}

}  // namespace
}  // namespace integral::poll
