// main() of vqclip_spm_linked_tests: the SentencePiece tests with the module's
// source compiled in, handed to the loader before any tokenizer is made.
#include <gtest/gtest.h>

#include "tokenizer/spm_module/spm_linked.hpp"

int main(int argc, char** argv) {
  vqclip::use_linked_spm_module(vqclip::linked_spm_entry_points());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
