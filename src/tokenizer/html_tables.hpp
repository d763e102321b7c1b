#pragma once
// Data behind the HTML unescaping of CLIP's text cleaning, copied from Python
// and ftfy by scripts/make_html_tables.py (html_tables.cpp is generated).
#include <cstddef>

namespace vqclip::html {

struct NamedReference {
  const char* name;   // without '&'; with the trailing ';' where the name has one
  const char* value;  // UTF-8
};

// Python's html.entities.html5, sorted by name (byte order).
extern const NamedReference kHtml5References[];
extern const size_t kHtml5ReferenceCount;

// ftfy's extra all-caps names (such as "EACUTE;" -> "É"), sorted by name.
extern const NamedReference kFtfyUppercaseReferences[];
extern const size_t kFtfyUppercaseReferenceCount;

// What windows-1252 (and HTML numeric references) make of bytes 0x80..0x9F.
extern const char32_t kWindows1252C1[32];

}  // namespace vqclip::html
