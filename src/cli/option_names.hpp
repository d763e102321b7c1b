#pragma once
// The command line's names for the library's parameter fields, in one table:
// options are declared by field, and a ParameterError naming a field reads
// with the flag the user typed.
#include <string>
#include <string_view>

#include "vqclip/errors.hpp"

namespace vqclip::cli {

// "-s,--steps" for "steps": the names CLI11 declares the option with.
std::string option_names(std::string_view field);

// "--steps" for "steps"; a field without a flag is returned as it is.
std::string flag_of(std::string_view field);

// The error's message with every field spelled as its flag.
std::string cli_message(const ParameterError& error);

}  // namespace vqclip::cli
