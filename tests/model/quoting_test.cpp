// quoting.cpp: TOML strings and keys that toml++ reads back as written, and
// shell words that a POSIX shell reads back as written.
#include "quoting.hpp"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cstdio>
#include <string>

namespace tipsim {
namespace {

// What toml++ reads back from `key = VALUE`.
std::string toml_value_of(const std::string& quoted) {
  const toml::table t = toml::parse("key = " + quoted + "\n");
  return std::string(t["key"].value_or(std::string_view("<not a string>")));
}

TEST(Quoting, TomlStringsReadBackAsWritten) {
  for (const std::string& text : {std::string("plain"), std::string("with \"quotes\" and \\ backslash"),
                                  std::string("tab\there, new\nline, bell\a"),
                                  std::string("del\x7f"
                                              "after"),
                                  std::string("été, 人口"), std::string()}) {
    SCOPED_TRACE(text);
    const std::string quoted = toml_string(text);
    EXPECT_EQ(quoted.front(), '"');
    EXPECT_EQ(quoted.back(), '"');
    EXPECT_EQ(toml_value_of(quoted), text);
  }
}

TEST(Quoting, TomlKeysAreBareOnlyWhenTheyMayBe) {
  EXPECT_EQ(toml_key("shelter_beds-2"), "shelter_beds-2");
  EXPECT_EQ(toml_key("North Africa"), "\"North Africa\"");
  EXPECT_EQ(toml_key("a.b"), "\"a.b\"");
  EXPECT_EQ(toml_key(""), "\"\"");
  // A quoted key reads back as the name it quotes.
  const toml::table t = toml::parse("[region]\n" + toml_key("Côte d'Ivoire") + " = 1\n");
  EXPECT_TRUE(t["region"]["Côte d'Ivoire"].is_integer());
}

// The words /bin/sh makes of `WORDS`, each followed by '|'.
std::string shell_reads(const std::string& words) {
  std::FILE* out = ::popen(("printf '%s|' " + words).c_str(), "r");
  std::string read;
  char buffer[256];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;) read.append(buffer, n);
  ::pclose(out);
  return read;
}

TEST(Quoting, ShellWordsReadBackAsWritten) {
  EXPECT_EQ(shell_word("runs/out.h5"), "runs/out.h5");  // nothing to quote
  for (const std::string& word :
       {std::string("two words"), std::string("it's"), std::string("$HOME `id` *"), std::string("a\"b\\c"),
        std::string("policy.protection.shelter_beds_per_100k=2"), std::string("")}) {
    SCOPED_TRACE(word);
    EXPECT_EQ(shell_reads(shell_word(word)), word + "|");
  }
}

TEST(Quoting, ACommandLineIsItsWordsQuoted) {
  const char* argv[] = {"tipsim", "run", "my scenario.toml", "--set", "scenario.name='x'"};
  EXPECT_EQ(shell_reads(shell_command_line(5, argv)), "tipsim|run|my scenario.toml|--set|scenario.name='x'|");
}

}  // namespace
}  // namespace tipsim
