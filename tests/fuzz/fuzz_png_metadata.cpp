// Fuzzes what `vqclip meta` and a batch's resume check read from a PNG: its
// text chunks (zTXt/iTXt inflated), the record in them, and the summary line.
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = vqclip::fuzz::write_input("picture.png", data, size);
  std::error_code ignored;
  std::filesystem::remove(vqclip::sidecar_path(path), ignored);
  try {
    for (const auto& [keyword, value] : vqclip::read_png_text(path)) require(value.size() <= (size_t{16} << 20));
    const auto record = vqclip::read_picture_record(path);
    vqclip::record_is_complete(record);
    try {
      require(!vqclip::parameters_text(record).empty());
    } catch (const nlohmann::json::exception&) {  // a record lacking fields: meta says so (exit 4)
    }
    require(!record.dump().empty());
  } catch (const vqclip::InputError&) {
  }
  return 0;
}
