// A TXT heap from an untrusted machine: as a binary image and as txt-stat text.
#include <cstdint>
#include <span>
#include <string_view>

#include "integral/formats/txt_heap.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)integral::parse_txt_heap(std::span(data, size), "fuzz").to_text();
  } catch (const integral::Error&) {
  }
  try {
    auto text = std::string_view(reinterpret_cast<const char*>(data), size);
    (void)integral::parse_txt_heap_text(text, "fuzz").to_json().dump();
  } catch (const integral::Error&) {
  }
  return 0;
}
