// mvg/viz/text.hpp: ASCII labels on a canvas (titles, tick labels, legends), using stb_easy_font's
// segment font: no font files and no new dependency (Debian's libstb-dev ships the header).
// Contract: draw_text puts (y, x) at the top-left of the text box; every pixel it sets lies inside
// [x, x + text_width(text, scale)) × [y, y + text_height(scale)), and the box is clipped to the canvas.
// One line only: bytes outside printable ASCII (including '\n') are drawn as '?', because stb indexes
// its glyph table with the raw byte. scale (1..max_text_scale) magnifies each font pixel to a
// scale×scale block.
//
// stb_easy_font.h defines only `static` functions and tables (stb 1.1), so each translation unit gets
// its own copy and including this header in several files of one program links fine; the copies are
// token-identical, which is what the inline functions below rely on.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

#include <stb/stb_easy_font.h>

#include "mvg/core/error.hpp"
#include "mvg/viz/canvas.hpp"

namespace mvg::viz {

// Far beyond any legible size; the bound keeps every pixel computation inside int.
inline constexpr int max_text_scale = 256;

namespace detail {

inline char printable(char c) { return c >= 32 && c <= 126 ? c : '?'; }

// Width in font pixels of one glyph: stb's own advance, so text_width and draw_text agree exactly.
inline int glyph_advance(char c) {
  char s[2] = {printable(c), '\0'};
  return stb_easy_font_width(s);
}

// stb uses at most 11 quads (of 64 bytes) for one glyph; 16 leaves room, so nothing is ever truncated.
inline constexpr int glyph_buffer_bytes = 16 * 64;

inline void check_scale(int scale, const char* what) {
  MVG_CHECK(scale >= 1 && scale <= max_text_scale, what, ": scale must be 1..", max_text_scale, ", got ", scale);
}

}  // namespace detail

// stb's line height (12 font pixels); glyph ink stays within it, descenders included.
inline int text_height(int scale = 1) {
  detail::check_scale(scale, "text_height");
  return 12 * scale;
}

inline int text_width(std::string_view text, int scale = 1) {
  detail::check_scale(scale, "text_width");
  int w = 0;
  for (char c : text) w += detail::glyph_advance(c);
  return w * scale;
}

inline void draw_text(canvas& cv, int y, int x, std::string_view text, rgb color, int scale = 1) {
  detail::check_scale(scale, "draw_text");
  // One glyph at a time keeps the vertex buffer small and fixed, whatever the text length.
  alignas(float) char vbuf[detail::glyph_buffer_bytes];
  long long pen = x;
  for (char c : text) {
    char s[2] = {detail::printable(c), '\0'};
    const int quads = stb_easy_font_print(0.0f, 0.0f, s, nullptr, vbuf, sizeof vbuf);
    for (int q = 0; q < quads; ++q) {
      // A quad is 4 vertices of {x, y, z: float; color: 4 bytes}; the glyph segments are axis-aligned,
      // so vertices 0 and 2 are opposite corners. memcpy, not a float* cast: the buffer is char.
      float v0[2], v2[2];
      std::memcpy(v0, vbuf + q * 64, sizeof v0);
      std::memcpy(v2, vbuf + q * 64 + 32, sizeof v2);
      const long long qx = static_cast<long long>(v0[0]), qy = static_cast<long long>(v0[1]);
      const long long qw = static_cast<long long>(v2[0]) - qx, qh = static_cast<long long>(v2[1]) - qy;
      const long long py = y + qy * scale, px = pen + qx * scale;
      if (py >= cv.height() || px >= cv.width() || py + qh * scale <= 0 || px + qw * scale <= 0) continue;
      cv.fill_rect(static_cast<int>(py), static_cast<int>(px), static_cast<int>(qh * scale),
                   static_cast<int>(qw * scale), color);
    }
    pen += static_cast<long long>(detail::glyph_advance(c)) * scale;
    if (pen >= cv.width()) break;  // the rest is off the canvas
  }
}

}  // namespace mvg::viz
