#include "vqclip/errors.hpp"

namespace vqclip {

const char* exit_code_table() {
  return "Exit codes:\n"
         "  0    success\n"
         "  1    internal error (a bug, or a non-finite loss)\n"
         "  2    usage error (bad flag, bad value, impossible combination)\n"
         "  3    model bundle error (missing, corrupt or inconsistent bundle)\n"
         "  4    input error (prompt file, image or text that cannot be used)\n"
         "  5    output error (cannot write an output)\n"
         "  6    batch finished with some jobs failed\n"
         "  130  interrupted (SIGINT/SIGTERM), after saving what was done\n";
}

}  // namespace vqclip
