// Text quoted for a reader that parses it back: TOML strings and keys (the
// resolved scenario, values shown in messages) and shell words (the command
// line recorded in run files).
#pragma once

#include <string>
#include <string_view>

namespace tipsim {

// A TOML basic string: in double quotes, with quotes, backslashes and
// control characters escaped.
std::string toml_string(std::string_view text);
// A TOML key part: as it is when it is a bare key (letters, digits, _ and -),
// otherwise as a quoted key (toml_string).
std::string toml_key(std::string_view key);

// One word as a POSIX shell reads it back: as it is when it holds only
// characters no shell treats specially, otherwise in single quotes (an
// embedded ' written as '\'').
std::string shell_word(std::string_view word);
// The command line as a shell would read it back: its words, each
// shell_word(), separated by spaces.
std::string shell_command_line(int argc, const char* const* argv);

}  // namespace tipsim
