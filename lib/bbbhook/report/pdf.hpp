#pragma once
// The PDF of a report, for people who print it: a header (title, filters, generation time, time
// zone), the summary, the table with its header row on every page, then one timeline chart per
// meeting, and "Page X of Y" on every page. Text is in embedded TrueType fonts (DejaVu Sans; a
// CJK font for what DejaVu lacks, when one is installed), so every script a name may be written
// in prints as it is; characters no font has are replaced by a visible placeholder and counted
// in a note on the first page.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bbbhook/report/clock.hpp"
#include "bbbhook/report/model.hpp"
#include "bbbhook/util/error.hpp"

namespace bbbhook::report {

enum class Paper { a4, letter };
enum class Orientation { portrait, landscape };

// DejaVu Sans (Debian package fonts-dejavu-core): Latin, Greek, Cyrillic and more.
inline constexpr const char* k_default_pdf_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr const char* k_default_pdf_bold_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

// The TrueType CJK fonts of Debian packages that libharu 2.3 can embed, cheapest first:
// fonts-droid-fallback (Chinese, Japanese), fonts-wqy-microhei (Chinese, Japanese, Korean),
// fonts-wqy-zenhei, fonts-arphic-uming/ukai. (Noto CJK is OpenType/CFF: libharu cannot embed it.)
std::vector<std::filesystem::path> default_cjk_fonts();

struct PdfOptions {
    Paper paper = Paper::a4;
    Orientation orientation = Orientation::portrait;
    // The main TrueType font (required). Empty: the default.
    std::filesystem::path font = k_default_pdf_font;
    // For titles and the table header. Empty or missing: `font` is used.
    std::filesystem::path bold_font = k_default_pdf_bold_font;
    // Fonts for the characters `font` lacks, tried in order (a .ttc is read at index 0) and loaded
    // only when such a character occurs; missing or unreadable files are skipped. Empty: none.
    std::vector<std::filesystem::path> cjk_fonts = default_cjk_fonts();
    // Called after each page with the rows and timeline people drawn so far and their total
    // (the last call has done == total). May be empty.
    std::function<void(size_t done, size_t total)> progress;
};

// Renders the whole document and returns the PDF's bytes (the caller writes them atomically).
// `clock` formats the instants in the report's time zone. Fails with ExitCode::no_input when the
// main font is missing (the message names the path and the package fonts-dejavu-core) or
// unreadable, ExitCode::internal for libharu errors, e.g. a font it cannot read (the message names
// the libharu error number).
Result<std::string> render_pdf(const Document& doc, LocalClock& clock, const PdfOptions& options);

} // namespace bbbhook::report
