// The one translation unit that compiles stb's implementations.
#define STB_IMAGE_IMPLEMENTATION
// The formats vqclip documents and no others: Debian's stb_image (2.27) reads a
// 16-bit PNM past its buffer (found by fuzz_image) and overflows an int in PNM
// headers; PSD, TGA, HDR and PIC were never meant to be read either.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include <stb_image.h>
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
