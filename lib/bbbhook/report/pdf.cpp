#include "bbbhook/report/pdf.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <numeric>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "bbbhook/report/csv.hpp"
#include "bbbhook/util/hpdf.hpp"

// Drawing: everything on a page goes through libharu's page API (HPDF_Page_Rectangle, _Stroke,
// _TextOut, _ShowText, …); libharu writes the content streams, loads, subsets and embeds the
// fonts, compresses and writes the file. A Canvas draws a page's shapes as they come and keeps its
// text until the page is done, then shows it in one text object on top. Each libharu call costs
// about a microsecond, so a color, line width, font or size is set only when it changes, and a
// string is shown in as few calls as it has fonts.
//
// Text: the fonts are made with HPDF_GetFont(…, "UTF-8"), so libharu takes UTF-8 (and writes the
// code points as two-byte CIDs: nothing beyond U+FFFF can be shown). A string is split into runs
// of consecutive characters that one font has (DejaVu Sans or its bold, a CJK font for what they
// lack); a character no font has becomes a placeholder. Widths come from per-code-point caches
// filled with HPDF_Font_GetUnicodeWidth, which also marks the glyphs to embed.

namespace bbbhook::report {

namespace {

using util::HpdfDoc;

// ---------------------------------------------------------------------------------------------
// Colors and UTF-8

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

constexpr Rgb k_ink{0x1F, 0x29, 0x33};
constexpr Rgb k_muted{0x5F, 0x6B, 0x7A};
constexpr Rgb k_faint{0x9A, 0xA5, 0xB1};
constexpr Rgb k_rule{0xCB, 0xD2, 0xD9};
constexpr Rgb k_rule_dark{0x7B, 0x87, 0x94};
constexpr Rgb k_header_bg{0xE3, 0xE8, 0xEE};
constexpr Rgb k_zebra{0xF4, 0xF6, 0xF9};
constexpr Rgb k_panel{0xEF, 0xF3, 0xF7};
constexpr Rgb k_grid{0xDD, 0xE2, 0xE8};
constexpr Rgb k_track{0xE6, 0xE9, 0xED};
constexpr Rgb k_note_bg{0xFF, 0xF4, 0xD6};
constexpr Rgb k_note_rule{0xE0, 0xB8, 0x4C};
constexpr Rgb k_viewer{0x2F, 0x6F, 0xDB};
constexpr Rgb k_viewer_open{0xB4, 0xCC, 0xF3};
constexpr Rgb k_moderator{0xC2, 0x41, 0x0C};
constexpr Rgb k_moderator_open{0xF6, 0xC6, 0xA8};

// The next code point of `s` at byte `i` (advanced past it); malformed UTF-8 gives U+FFFD.
// Control characters become spaces: a name with a tab or a line feed is shown on one line.
char32_t next_code_point(std::string_view s, size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0 < 0x20 || b0 == 0x7F ? U' ' : b0;
    }
    const int extra = b0 >= 0xF0 && b0 < 0xF5 ? 3 : b0 >= 0xE0 && b0 < 0xF0 ? 2 : b0 >= 0xC2 && b0 < 0xE0 ? 1 : -1;
    if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) {
        ++i;
        return U'\uFFFD';
    }
    char32_t cp = b0 & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return U'\uFFFD';
        }
        cp = cp << 6 | (b & 0x3F);
    }
    i += static_cast<size_t>(extra) + 1;
    // An overlong form (a NUL written in three bytes) is malformed too.
    constexpr std::array<char32_t, 4> k_least{0, 0x80, 0x800, 0x10000};
    return cp < k_least[static_cast<size_t>(extra)] ? U'\uFFFD' : cp;
}

// Appends a code point (at most U+FFFF, not a control character) as UTF-8.
void put_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | cp >> 6);
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | cp >> 12);
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Scripts for which fonts-wqy-microhei has glyphs (CJK ideographs, kana, Hangul, full-width forms).
bool is_cjk(char32_t cp) {
    return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xA960 && cp <= 0xA97F) ||
           (cp >= 0xAC00 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

// ---------------------------------------------------------------------------------------------
// Fonts: which loaded font shows a code point, and how wide it is

enum class Style : uint8_t { regular = 0, bold = 1 };

struct Face {
    std::string name; // libharu's name for the loaded font
    HPDF_FontDef def = nullptr;
    HPDF_Font font = nullptr; // made on first use: HPDF_GetFont builds a 64K-entry glyph map
};

struct Glyph {
    int16_t face = -2;    // index into the faces; -2: not looked up yet
    uint16_t width = 0;   // advance width in 1/1000 em
    bool missing = false; // no font has it: drawn as the placeholder (of face 0)
};

class Fonts {
public:
    explicit Fonts(HpdfDoc& doc) : m_doc(doc) {}

    // Loads the main font (required) and the bold one; the CJK candidates are loaded when needed.
    Status open(const PdfOptions& options) {
        const std::filesystem::path main = options.font.empty() ? k_default_pdf_font : options.font;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(main, ec))
            return make_error(ExitCode::no_input,
                              fmt::format("the PDF font {} is missing: install the Debian package fonts-dejavu-core "
                                          "or choose another TrueType font",
                                          main.string()));
        if (!std::ifstream(main, std::ios::binary))
            return make_error(ExitCode::no_input,
                              fmt::format("the PDF font {} cannot be read: {}", main.string(), errno_message(errno)));
        auto regular = load(main);
        if (!regular) return std::unexpected(regular.error());
        if (auto made = make_font(0); !made) return std::unexpected(made.error());
        if (!options.bold_font.empty() && options.bold_font != main &&
            std::filesystem::is_regular_file(options.bold_font, ec)) {
            auto bold = load(options.bold_font);
            if (!bold) return std::unexpected(bold.error());
            m_bold = *bold;
            if (auto made = make_font(m_bold); !made) return std::unexpected(made.error());
        }
        m_candidates = options.cjk_fonts;
        for (auto& cache : m_cache)
            cache.assign(0x10000, Glyph{});
        // The placeholder for characters no font has: a white square, or "?" if the font lacks it.
        m_placeholder_cp = util::tt_glyph_id(m_faces[0].def, U'\u25A1') != 0 ? U'\u25A1' : U'?';
        m_placeholder = Glyph{0, advance(m_faces[0], m_placeholder_cp), true};
        return {};
    }

    // The face and width of a code point in a style (cached).
    Glyph glyph(Style style, char32_t cp) {
        if (cp > 0xFFFF) return missing(cp);
        Glyph& slot = m_cache[static_cast<size_t>(style)][cp];
        if (slot.face == -2) slot = resolve(style, cp);
        return slot;
    }

    // Text width in 1/1000 em; `missing` is set when a character has no font.
    uint32_t measure(std::string_view text, Style style, bool* missing = nullptr) {
        uint32_t em = 0;
        for (size_t i = 0; i < text.size();) {
            const Glyph g = glyph(style, next_code_point(text, i));
            em += g.width;
            if (g.missing && missing != nullptr) *missing = true;
        }
        return em;
    }

    const Face& face(int index) const { return m_faces[static_cast<size_t>(index)]; }
    char32_t placeholder() const { return m_placeholder_cp; }
    bool missing_cjk() const { return m_missing_cjk; }
    // The first error of loading a fallback font that had a needed glyph (drawing goes on).
    const std::optional<Error>& error() const { return m_error; }

    // Embeds the nested components of composite glyphs (libharu's subsetting stops one level down).
    Status finish() {
        for (const Face& f : m_faces)
            if (f.font != nullptr)
                if (auto s = util::tt_mark_nested_components(m_doc, f.def); !s) return s;
        return {};
    }

private:
    Result<int> load(const std::filesystem::path& path) {
        const std::string file = path.string();
        const bool collection = path.extension() == ".ttc" || path.extension() == ".TTC";
        const char* name = collection ? HPDF_LoadTTFontFromFile2(m_doc.get(), file.c_str(), 0, HPDF_TRUE)
                                      : HPDF_LoadTTFontFromFile(m_doc.get(), file.c_str(), HPDF_TRUE);
        auto checked = m_doc.check_handle(name, fmt::format("loading the font {}", file));
        if (!checked) return std::unexpected(checked.error());
        auto def = util::font_def(m_doc, name);
        if (!def) return std::unexpected(def.error());
        m_faces.push_back(Face{name, *def, nullptr});
        return static_cast<int>(m_faces.size() - 1);
    }

    Status make_font(int index) {
        Face& f = m_faces[static_cast<size_t>(index)];
        if (f.font != nullptr) return {};
        auto font = m_doc.check_handle(HPDF_GetFont(m_doc.get(), f.name.c_str(), "UTF-8"),
                                       fmt::format("preparing the font {}", f.name));
        if (!font) return std::unexpected(font.error());
        f.font = *font;
        return util::fix_utf8_to_unicode(m_doc, f.font);
    }

    // Whether face `index` shows `cp`; if so, makes its font and measures (marking the glyph used).
    std::optional<Glyph> try_face(int index, char32_t cp) {
        const Face& f = m_faces[static_cast<size_t>(index)];
        if (util::tt_glyph_id(f.def, cp) == 0) return std::nullopt;
        if (auto made = make_font(index); !made) {
            if (!m_error) m_error = made.error();
            return std::nullopt;
        }
        return Glyph{static_cast<int16_t>(index), advance(f, cp), false};
    }

    // The advance width of a code point the face has, in 1/1000 em. libharu marks the glyph as
    // used: only used glyphs are embedded (it writes a subset of the font).
    static uint16_t advance(const Face& f, char32_t cp) {
        return static_cast<uint16_t>(std::max(0, HPDF_Font_GetUnicodeWidth(f.font, static_cast<HPDF_UNICODE>(cp))));
    }

    Glyph resolve(Style style, char32_t cp) {
        const int primary = style == Style::bold ? m_bold : 0;
        if (auto g = try_face(primary, cp)) return *g;
        if (primary != 0)
            if (auto g = try_face(0, cp)) return *g;
        const int first_fallback = m_bold == 0 ? 1 : 2;
        for (int i = first_fallback; i < static_cast<int>(m_faces.size()); ++i)
            if (auto g = try_face(i, cp)) return *g;
        // Load the next candidates until one has the glyph; the others stay for later characters.
        while (m_next_candidate < m_candidates.size()) {
            const std::filesystem::path& path = m_candidates[m_next_candidate++];
            std::error_code ec;
            if (!std::filesystem::is_regular_file(path, ec)) continue;
            auto loaded = load(path);
            if (!loaded) continue; // not a font libharu can embed: try the next one
            if (auto g = try_face(*loaded, cp)) return *g;
        }
        return missing(cp);
    }

    Glyph missing(char32_t cp) {
        if (is_cjk(cp)) m_missing_cjk = true;
        return m_placeholder;
    }

    HpdfDoc& m_doc;
    std::vector<Face> m_faces; // [0] main, [m_bold] bold (0 when none), then the fallbacks loaded
    int m_bold = 0;
    std::vector<std::filesystem::path> m_candidates;
    size_t m_next_candidate = 0;
    std::array<std::vector<Glyph>, 2> m_cache; // per style, indexed by code point (BMP)
    char32_t m_placeholder_cp = U'?';
    Glyph m_placeholder;
    bool m_missing_cjk = false;
    std::optional<Error> m_error;
};

// ---------------------------------------------------------------------------------------------
// Canvas: one page drawn through libharu's page API, shapes first, text on top

class Canvas {
public:
    Canvas(HpdfDoc& doc, Fonts& fonts) : m_doc(doc), m_fonts(fonts) {}

    // Starts drawing on `page` (a new one, or an old one to add to, as the footers do).
    void begin(HPDF_Page page) {
        m_page = page;
        m_items.clear();
        m_runs.clear();
        m_text.clear();
        m_fill.reset();
        m_stroke.reset();
        m_line_width = -1;
        m_face = -1;
        m_size = -1;
    }

    // Shows the text drawn since begin() over the shapes; the first libharu error of the page, if any.
    Status end() {
        if (!m_error && !m_items.empty()) show_text();
        if (m_error) return std::unexpected(*m_error);
        return {};
    }

    void fill_rect(double x, double y, double w, double h, Rgb color) {
        if (m_error || !set_fill(color)) return;
        if (ok(HPDF_Page_Rectangle(m_page, x, y, w, h), "drawing a rectangle"))
            ok(HPDF_Page_Fill(m_page), "filling a rectangle");
    }

    void line(double x1, double y1, double x2, double y2, double width, Rgb color) {
        if (m_error || !set_stroke(color, width)) return;
        if (ok(HPDF_Page_MoveTo(m_page, x1, y1), "drawing a line") &&
            ok(HPDF_Page_LineTo(m_page, x2, y2), "drawing a line"))
            ok(HPDF_Page_Stroke(m_page), "stroking a line");
    }

    // A rectangle filled with `fill` and crossed by diagonal lines in `lines`.
    void hatched_rect(double x, double y, double w, double h, Rgb fill, Rgb lines) {
        fill_rect(x, y, w, h, fill);
        if (m_error || w <= 0 || h <= 0) return;
        // The lines are clipped to the rectangle; the clip ends with the saved graphics state.
        const auto saved_stroke = m_stroke;
        const double saved_width = m_line_width;
        if (!ok(HPDF_Page_GSave(m_page), "saving the graphics state") ||
            !ok(HPDF_Page_Rectangle(m_page, x, y, w, h), "drawing a hatched rectangle") ||
            !ok(HPDF_Page_Clip(m_page), "clipping a hatched rectangle") ||
            !ok(HPDF_Page_EndPath(m_page), "clipping a hatched rectangle") || !set_stroke(lines, 0.6))
            return;
        for (double k = -h; k < w; k += 2.6)
            if (!ok(HPDF_Page_MoveTo(m_page, x + k, y), "hatching a rectangle") ||
                !ok(HPDF_Page_LineTo(m_page, x + k + h, y + h), "hatching a rectangle"))
                return;
        if (!ok(HPDF_Page_Stroke(m_page), "hatching a rectangle") ||
            !ok(HPDF_Page_GRestore(m_page), "restoring the graphics state"))
            return;
        m_stroke = saved_stroke;
        m_line_width = saved_width;
    }

    // A filled triangle pointing right, its tip at (x, y).
    void arrow_right(double x, double y, double half_height, Rgb color) {
        if (m_error || !set_fill(color)) return;
        if (ok(HPDF_Page_MoveTo(m_page, x - half_height * 1.2, y + half_height), "drawing an arrow") &&
            ok(HPDF_Page_LineTo(m_page, x, y), "drawing an arrow") &&
            ok(HPDF_Page_LineTo(m_page, x - half_height * 1.2, y - half_height), "drawing an arrow"))
            ok(HPDF_Page_Fill(m_page), "filling an arrow");
    }

    // Text with its baseline starting at (x, y). Kept until end(), split into runs of consecutive
    // characters that one font shows; a character no font has becomes the placeholder.
    void text(double x, double y, std::string_view s, Style style, double size, Rgb color) {
        if (s.empty()) return;
        const auto first_run = static_cast<uint32_t>(m_runs.size());
        int face = -1;
        for (size_t i = 0; i < s.size();) {
            char32_t cp = next_code_point(s, i);
            const Glyph g = m_fonts.glyph(style, cp);
            if (g.missing) cp = m_fonts.placeholder();
            if (g.face != face) {
                if (face >= 0) m_text += '\0';
                face = g.face;
                m_runs.push_back(Run{face, static_cast<uint32_t>(m_text.size())});
            }
            put_utf8(m_text, cp);
        }
        m_text += '\0';
        m_items.push_back(TextItem{x, y, size, color, first_run, static_cast<uint32_t>(m_runs.size()) - first_run});
    }

    // Width in points.
    double width(std::string_view s, Style style, double size) { return m_fonts.measure(s, style) * size / 1000.0; }

private:
    // A run of one font's characters: UTF-8, null-terminated, at `offset` in m_text.
    struct Run {
        int face = 0;
        uint32_t offset = 0;
    };
    struct TextItem {
        double x = 0, y = 0, size = 0;
        Rgb color;
        uint32_t first_run = 0, runs = 0;
    };

    // Whether a libharu call succeeded; otherwise records its error (and nothing more is drawn).
    bool ok(HPDF_STATUS status, std::string_view what) {
        if (status == HPDF_OK && !m_doc.failed()) return true;
        if (!m_error) m_error = m_doc.take_error(what, status);
        return false;
    }

    // One text object with all of the page's text, a color, font or size set only when it changes.
    void show_text() {
        if (!ok(HPDF_Page_BeginText(m_page), "beginning a page's text")) return;
        for (const TextItem& item : m_items) {
            if (!set_fill(item.color)) return;
            for (uint32_t r = item.first_run; r < item.first_run + item.runs; ++r) {
                const Run& run = m_runs[r];
                if (!set_font(run.face, item.size)) return;
                const char* utf8 = m_text.c_str() + run.offset;
                // The first run starts the line; the others follow where the previous one ended.
                const HPDF_STATUS status = r == item.first_run ? HPDF_Page_TextOut(m_page, item.x, item.y, utf8)
                                                               : HPDF_Page_ShowText(m_page, utf8);
                if (!ok(status, "showing text")) return;
            }
        }
        ok(HPDF_Page_EndText(m_page), "ending a page's text");
    }

    bool set_fill(Rgb color) {
        if (m_fill == color) return true;
        if (!ok(HPDF_Page_SetRGBFill(m_page, color.r / 255.0F, color.g / 255.0F, color.b / 255.0F),
                "setting the fill color"))
            return false;
        m_fill = color;
        return true;
    }

    bool set_stroke(Rgb color, double width) {
        if (m_stroke != color) {
            if (!ok(HPDF_Page_SetRGBStroke(m_page, color.r / 255.0F, color.g / 255.0F, color.b / 255.0F),
                    "setting the stroke color"))
                return false;
            m_stroke = color;
        }
        if (m_line_width != width) {
            if (!ok(HPDF_Page_SetLineWidth(m_page, width), "setting the line width")) return false;
            m_line_width = width;
        }
        return true;
    }

    bool set_font(int face, double size) {
        if (face == m_face && size == m_size) return true;
        if (!ok(HPDF_Page_SetFontAndSize(m_page, m_fonts.face(face).font, size), "setting the font")) return false;
        m_face = face;
        m_size = size;
        return true;
    }

    HpdfDoc& m_doc;
    Fonts& m_fonts;
    HPDF_Page m_page = nullptr;
    std::vector<TextItem> m_items; // the page's text, in the order drawn
    std::vector<Run> m_runs;
    std::string m_text;
    std::optional<Rgb> m_fill, m_stroke; // the page's graphics state as set so far
    double m_line_width = -1;
    int m_face = -1;
    double m_size = -1;
    std::optional<Error> m_error;
};

// ---------------------------------------------------------------------------------------------
// The report

constexpr double k_margin_x = 36;
constexpr double k_margin_top = 40;
constexpr double k_margin_bottom = 48;
constexpr double k_cap_center = 0.34; // the middle of a line's capitals, in em above the baseline
constexpr double k_slack = 0.01;      // points: a width computed two ways may differ in its last bit
constexpr std::string_view k_ellipsis = "\u2026";
constexpr std::string_view k_null = "\u2013";

constexpr std::array<double, 6> k_table_sizes{8.5, 8, 7.5, 7, 6.5, 6};

// A prepared table cell: its text in the arena and its width in 1/1000 em (regular style).
struct PreparedCell {
    uint32_t offset = 0;
    uint32_t length = 0;
    uint32_t em = 0;
    bool null = false;
};

struct ColumnPlan {
    double x = 0;     // left edge
    double width = 0; // including padding
    bool right = false;
    bool wraps = false;
};

class Report {
public:
    Report(const Document& doc, LocalClock& clock, const PdfOptions& options, HpdfDoc& pdf, Fonts& fonts)
        : m_doc(doc), m_clock(clock), m_options(options), m_pdf(pdf), m_fonts(fonts), m_canvas(pdf, fonts) {}

    Status render() {
        m_total = m_doc.rows.size();
        for (const Timeline& t : m_doc.timelines)
            m_total += t.people.size();
        // Format and measure every cell once, and find the texts no font can show.
        prepare_cells();
        scan_other_texts();
        // First page: title, generation time, time zone, filters, summary, the note on fonts.
        if (auto s = new_page(); !s) return s;
        draw_header();
        // The table, its header row on every page.
        if (auto s = draw_table(); !s) return s;
        // One timeline chart per meeting, from a new page.
        if (auto s = draw_timelines(); !s) return s;
        if (auto s = end_page(); !s) return s;
        // "Page X of Y" now that Y is known.
        if (auto s = draw_footers(); !s) return s;
        if (m_fonts.error()) return std::unexpected(*m_fonts.error());
        if (m_options.progress) m_options.progress(m_total, m_total);
        return {};
    }

private:
    // ---- pages ----

    Status new_page() {
        if (m_page != nullptr)
            if (auto s = end_page(); !s) return s;
        auto page = m_pdf.check_handle(HPDF_AddPage(m_pdf.get()), "adding a page");
        if (!page) return std::unexpected(page.error());
        const HPDF_PageSizes size = m_options.paper == Paper::letter ? HPDF_PAGE_SIZE_LETTER : HPDF_PAGE_SIZE_A4;
        const HPDF_PageDirection direction =
            m_options.orientation == Orientation::landscape ? HPDF_PAGE_LANDSCAPE : HPDF_PAGE_PORTRAIT;
        if (auto s = m_pdf.check(HPDF_Page_SetSize(*page, size, direction), "setting the page size"); !s) return s;
        m_page = *page;
        m_pages.push_back(m_page);
        m_width = HPDF_Page_GetWidth(m_page);
        m_height = HPDF_Page_GetHeight(m_page);
        m_left = k_margin_x;
        m_right = m_width - k_margin_x;
        m_top = m_height - k_margin_top;
        m_bottom = k_margin_bottom;
        m_y = m_top;
        m_canvas.begin(m_page);
        return {};
    }

    Status end_page() {
        if (m_page == nullptr) return {};
        auto s = m_canvas.end();
        m_page = nullptr;
        if (s && m_options.progress) m_options.progress(m_done, m_total);
        return s;
    }

    double content_width() const { return m_right - m_left; }

    // ---- text helpers ----

    double em_to_pt(uint32_t em, double size) const { return em * size / 1000.0; }

    // `text` shortened with "…" to fit `width` points.
    std::string ellipsize(std::string_view text, Style style, double size, double width) {
        if (m_fonts.measure(text, style) * size / 1000.0 <= width + k_slack) return std::string(text);
        const double limit = width - m_fonts.measure(k_ellipsis, style) * size / 1000.0;
        double w = 0;
        size_t end = 0;
        for (size_t i = 0; i < text.size();) {
            const char32_t cp = next_code_point(text, i);
            w += m_fonts.glyph(style, cp).width * size / 1000.0;
            if (w > limit + k_slack) break;
            end = i;
        }
        std::string out(text.substr(0, end));
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        out += k_ellipsis;
        return out;
    }

    // At most `max_lines` lines no wider than `width`: breaks after spaces and hyphens where it
    // can, inside words where it must; the last line is shortened with "…" if text is left over.
    std::vector<std::string> wrap(std::string_view text, Style style, double size, double width, size_t max_lines) {
        std::vector<std::string> lines;
        size_t pos = 0;
        const auto skip_spaces = [&] {
            while (pos < text.size() && text[pos] == ' ')
                ++pos;
        };
        skip_spaces();
        while (pos < text.size() && lines.size() < max_lines) {
            if (lines.size() + 1 == max_lines) {
                lines.push_back(ellipsize(text.substr(pos), style, size, width));
                break;
            }
            double w = 0;
            size_t fit_end = pos, break_end = std::string_view::npos, break_next = 0;
            bool overflow = false;
            for (size_t i = pos; i < text.size();) {
                const size_t start = i;
                const char32_t cp = next_code_point(text, i);
                w += m_fonts.glyph(style, cp).width * size / 1000.0;
                if (w > width + k_slack) {
                    overflow = true;
                    break;
                }
                fit_end = i;
                if (cp == U' ') {
                    break_end = start;
                    break_next = i;
                } else if (cp == U'-' || cp == U'/') {
                    break_end = i;
                    break_next = i;
                }
            }
            if (!overflow) {
                lines.emplace_back(text.substr(pos));
                break;
            }
            if (break_end != std::string_view::npos && break_end > pos) {
                lines.emplace_back(text.substr(pos, break_end - pos));
                pos = break_next;
            } else {
                if (fit_end == pos) next_code_point(text, fit_end); // at least one character per line
                lines.emplace_back(text.substr(pos, fit_end - pos));
                pos = fit_end;
            }
            skip_spaces();
        }
        return lines;
    }

    void note_missing(std::string_view text, Style style = Style::regular) {
        bool missing = false;
        m_fonts.measure(text, style, &missing);
        if (missing) m_unshowable.emplace(text);
    }

    // ---- cells ----

    void append_cell_text(const Cell& cell, Kind kind) {
        auto out = std::back_inserter(m_arena);
        if (const auto* s = std::get_if<std::string>(&cell)) {
            m_arena += *s;
        } else if (const auto* i = std::get_if<int64_t>(&cell)) {
            switch (kind) {
            case Kind::instant: m_arena += m_clock.local(*i).substr(0, 16); break;
            case Kind::duration: m_arena += format_hms(*i); break;
            case Kind::percent: fmt::format_to(out, "{:.1f}%", static_cast<double>(*i)); break;
            case Kind::text:
            case Kind::integer: fmt::format_to(out, "{}", *i); break;
            }
        } else if (const auto* d = std::get_if<double>(&cell)) {
            switch (kind) {
            case Kind::percent: fmt::format_to(out, "{:.1f}%", *d); break;
            case Kind::integer: fmt::format_to(out, "{:.0f}", *d); break;
            case Kind::instant: m_arena += m_clock.local(std::llround(*d)).substr(0, 16); break;
            case Kind::duration: m_arena += format_hms(std::llround(*d)); break;
            case Kind::text: fmt::format_to(out, "{}", *d); break;
            }
        }
    }

    void prepare_cells() {
        const size_t columns = m_doc.columns.size();
        m_cells.resize(m_doc.rows.size() * columns);
        m_arena.reserve(m_doc.rows.size() * columns * 12);
        const uint32_t null_em = m_fonts.measure(k_null, Style::regular);
        for (size_t r = 0; r < m_doc.rows.size(); ++r) {
            const Row& row = m_doc.rows[r];
            for (size_t c = 0; c < columns; ++c) {
                PreparedCell& cell = m_cells[r * columns + c];
                if (c >= row.size() || std::holds_alternative<std::monostate>(row[c])) {
                    cell.null = true;
                    cell.em = null_em;
                    continue;
                }
                cell.offset = static_cast<uint32_t>(m_arena.size());
                append_cell_text(row[c], m_doc.columns[c].kind);
                cell.length = static_cast<uint32_t>(m_arena.size() - cell.offset);
                bool missing = false;
                cell.em = m_fonts.measure(cell_text(cell), Style::regular, &missing);
                if (missing) m_unshowable.emplace(cell_text(cell));
            }
        }
    }

    std::string_view cell_text(const PreparedCell& cell) const {
        return cell.null ? k_null : std::string_view(m_arena).substr(cell.offset, cell.length);
    }

    void scan_other_texts() {
        note_missing(m_doc.title, Style::bold);
        for (const auto& [key, value] : m_doc.filters)
            note_missing(value);
        for (const auto& [key, value] : m_doc.summary)
            note_missing(value, Style::bold);
        for (const Timeline& t : m_doc.timelines) {
            note_missing(t.meeting, Style::bold);
            note_missing(t.detail);
            for (const TimelinePerson& p : t.people)
                note_missing(p.name, moderator(p) ? Style::bold : Style::regular);
        }
    }

    static bool moderator(const TimelinePerson& p) {
        return p.role.size() == 9 && std::equal(p.role.begin(), p.role.end(), "MODERATOR", [](char a, char b) {
                   return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 32) : a) == b;
               });
    }

    // ---- first page ----

    std::string_view title() const {
        return m_doc.title.empty() ? std::string_view("Attendance report") : std::string_view(m_doc.title);
    }

    static std::string capitalized(std::string_view key) {
        std::string out(key);
        if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
        std::replace(out.begin(), out.end(), '_', ' ');
        return out;
    }

    void draw_header() {
        const double w = content_width();
        // Title.
        constexpr double title_size = 17;
        for (const std::string& line : wrap(title(), Style::bold, title_size, w, 2)) {
            m_canvas.text(m_left, m_y - title_size * 0.93, line, Style::bold, title_size, k_ink);
            m_y -= title_size * 1.2;
        }
        m_y -= 6;
        // Generation, time zone and filters as label/value pairs, in two columns when many.
        std::vector<std::pair<std::string, std::string>> pairs;
        pairs.emplace_back("Generated", m_clock.local(m_doc.generated_ms));
        pairs.emplace_back("Time zone", m_doc.time_zone.empty() ? m_clock.zone_name() : m_doc.time_zone);
        if (m_doc.filters.empty()) pairs.emplace_back("Filters", "none");
        for (const auto& [key, value] : m_doc.filters)
            pairs.emplace_back(capitalized(key), value);
        constexpr double size = 8.5, pitch = 12;
        const size_t per_column = pairs.size() > 3 ? (pairs.size() + 1) / 2 : pairs.size();
        const double column_w = pairs.size() > 3 ? (w - 16) / 2 : w;
        double label_w = 0;
        for (const auto& [key, value] : pairs)
            label_w = std::max(label_w, m_canvas.width(key, Style::regular, size));
        label_w = std::min(label_w + 10, column_w * 0.4);
        const double top = m_y;
        double lowest = m_y;
        for (size_t i = 0; i < pairs.size(); ++i) {
            const size_t column = i / per_column;
            const double x = m_left + static_cast<double>(column) * (column_w + 16);
            if (i % per_column == 0) m_y = top;
            const double baseline = m_y - pitch + 3;
            m_canvas.text(x, baseline, ellipsize(pairs[i].first, Style::regular, size, label_w - 4), Style::regular,
                          size, k_muted);
            const auto lines = wrap(pairs[i].second, Style::regular, size, column_w - label_w, 2);
            for (size_t l = 0; l < lines.size(); ++l)
                m_canvas.text(x + label_w, baseline - pitch * static_cast<double>(l), lines[l], Style::regular, size,
                              k_ink);
            m_y -= pitch * static_cast<double>(std::max<size_t>(lines.size(), 1));
            lowest = std::min(lowest, m_y);
        }
        m_y = lowest - 10;
        draw_summary();
        draw_font_note();
    }

    // The summary as a band of figures: the value large, its label under it.
    void draw_summary() {
        if (m_doc.summary.empty()) return;
        const double w = content_width();
        const size_t per_row = std::clamp<size_t>(static_cast<size_t>(w / 95), 1, m_doc.summary.size());
        const size_t rows = (m_doc.summary.size() + per_row - 1) / per_row;
        constexpr double cell_h = 34, pad = 8;
        const double band_h = static_cast<double>(rows) * cell_h + pad;
        m_canvas.fill_rect(m_left, m_y - band_h, w, band_h, k_panel);
        const double cell_w = (w - 2 * pad) / static_cast<double>(per_row);
        for (size_t i = 0; i < m_doc.summary.size(); ++i) {
            const double x = m_left + pad + static_cast<double>(i % per_row) * cell_w;
            const double top = m_y - pad / 2 - static_cast<double>(i / per_row) * cell_h;
            const auto& [label, value] = m_doc.summary[i];
            m_canvas.text(x, top - 16, ellipsize(value, Style::bold, 13, cell_w - 8), Style::bold, 13, k_ink);
            m_canvas.text(x, top - 27, ellipsize(label, Style::regular, 7.5, cell_w - 8), Style::regular, 7.5, k_muted);
        }
        m_y -= band_h + 12;
    }

    void draw_font_note() {
        if (m_unshowable.empty()) return;
        const size_t n = m_unshowable.size();
        std::string placeholder;
        const char32_t cp = m_fonts.placeholder();
        if (cp < 0x80)
            placeholder = static_cast<char>(cp);
        else
            placeholder = "\u25A1";
        // Two sentences, each on its own line(s): what happened, then what to do.
        const std::string what = fmt::format("{} {} characters that no installed font can show; they are shown as {}.",
                                             n, n == 1 ? "name contains" : "names contain", placeholder);
        const std::string advice =
            m_fonts.missing_cjk() ? "Install the package fonts-wqy-microhei (Chinese, Japanese, Korean) to see them."
                                  : "Install a font that has them to see them.";
        constexpr double size = 8;
        std::vector<std::string> lines = wrap(what, Style::regular, size, content_width() - 16, 2);
        for (std::string& line : wrap(advice, Style::regular, size, content_width() - 16, 2))
            lines.push_back(std::move(line));
        const double h = static_cast<double>(lines.size()) * 11 + 8;
        m_canvas.fill_rect(m_left, m_y - h, content_width(), h, k_note_bg);
        m_canvas.fill_rect(m_left, m_y - h, 2.5, h, k_note_rule);
        for (size_t i = 0; i < lines.size(); ++i)
            m_canvas.text(m_left + 9, m_y - 4 - 11 * static_cast<double>(i + 1) + 2.5, lines[i], Style::regular, size,
                          k_ink);
        m_y -= h + 12;
    }

    // ---- the table ----

    struct TableLayout {
        double size = 8.5;
        double pad_x = 3.5;
        double pad_y = 2.6;
        double line_h = 10.5;
        std::vector<ColumnPlan> columns;
    };

    // Column widths from measured content: numbers keep their width, text may wrap; the spare
    // width goes to the wide columns. The largest font size at which everything fits wins.
    TableLayout plan_table() {
        const size_t n = m_doc.columns.size();
        std::vector<uint32_t> header_em(n), header_word_em(n), content_em(n, 0);
        for (size_t c = 0; c < n; ++c) {
            const std::string& title = m_doc.columns[c].title.empty() ? m_doc.columns[c].key : m_doc.columns[c].title;
            header_em[c] = m_fonts.measure(title, Style::bold);
            size_t start = 0;
            while (start <= title.size()) {
                size_t end = title.find(' ', start);
                if (end == std::string::npos) end = title.size();
                header_word_em[c] =
                    std::max(header_word_em[c],
                             m_fonts.measure(std::string_view(title).substr(start, end - start), Style::bold));
                start = end + 1;
            }
        }
        for (size_t r = 0; r < m_doc.rows.size(); ++r)
            for (size_t c = 0; c < n; ++c)
                content_em[c] = std::max(content_em[c], m_cells[r * n + c].em);

        TableLayout layout;
        const double available = content_width();
        std::vector<double> min_w(n), nat_w(n);
        for (double size : k_table_sizes) {
            layout.size = size;
            layout.pad_x = size >= 7 ? 3.5 : 2.5;
            double sum_min = 0;
            for (size_t c = 0; c < n; ++c) {
                const bool text = m_doc.columns[c].kind == Kind::text;
                const double pad = 2 * layout.pad_x;
                nat_w[c] = em_to_pt(std::max(header_em[c], content_em[c]), size) + pad;
                const uint32_t content_min = text ? std::min<uint32_t>(content_em[c], 9000) : content_em[c];
                min_w[c] = em_to_pt(std::max(header_word_em[c], content_min), size) + pad;
                sum_min += min_w[c];
            }
            if (sum_min <= available) break;
        }
        layout.line_h = layout.size * 1.24;
        layout.pad_y = layout.size * 0.3;
        // Start from the minimum, then give: text columns their natural width (a name on one
        // line), the narrow ones first, then number columns their header on one line, and what
        // is left to the wide columns.
        std::vector<double> width = min_w;
        double spare = available - std::accumulate(width.begin(), width.end(), 0.0);
        const auto give = [&](auto&& wants) {
            std::vector<size_t> takers;
            double asked = 0;
            for (size_t c = 0; c < n; ++c)
                if (wants(c) && nat_w[c] > width[c]) {
                    takers.push_back(c);
                    asked += nat_w[c] - width[c];
                }
            if (asked <= 0 || spare <= 0) return;
            const double share = std::min(1.0, spare / asked);
            for (size_t c : takers) {
                const double extra = (nat_w[c] - width[c]) * share;
                width[c] += extra;
                spare -= extra;
            }
        };
        give([&](size_t c) { return m_doc.columns[c].kind == Kind::text && !m_doc.columns[c].wide; });
        give([&](size_t c) { return m_doc.columns[c].kind == Kind::text && m_doc.columns[c].wide; });
        give([&](size_t c) { return m_doc.columns[c].kind != Kind::text; });
        if (spare > 0) {
            std::vector<size_t> takers;
            for (size_t c = 0; c < n; ++c)
                if (m_doc.columns[c].wide) takers.push_back(c);
            if (takers.empty())
                for (size_t c = 0; c < n; ++c)
                    if (m_doc.columns[c].kind == Kind::text) takers.push_back(c);
            if (takers.empty())
                for (size_t c = 0; c < n; ++c)
                    takers.push_back(c);
            for (size_t c : takers)
                width[c] += spare / static_cast<double>(takers.size());
            spare = 0;
        } else if (spare < 0) {
            // Even the smallest size does not fit: shrink every column alike; cells are shortened.
            const double factor = available / (available - spare);
            for (double& w : width)
                w *= factor;
        }
        double x = m_left;
        for (size_t c = 0; c < n; ++c) {
            const Kind kind = m_doc.columns[c].kind;
            layout.columns.push_back(
                ColumnPlan{x, width[c], kind == Kind::integer || kind == Kind::percent || kind == Kind::duration,
                           kind == Kind::text});
            x += width[c];
        }
        return layout;
    }

    // The lines of one cell in its column (usually one, the text as is).
    std::vector<std::string> cell_lines(std::string_view text, uint32_t em, const ColumnPlan& col, const TableLayout& t,
                                        Style style) {
        const double inner = col.width - 2 * t.pad_x;
        if (em_to_pt(em, t.size) <= inner + k_slack) return {std::string(text)};
        if (col.wraps) return wrap(text, style, t.size, inner, 2);
        return {ellipsize(text, style, t.size, inner)};
    }

    void draw_cell_lines(const std::vector<std::string>& lines, const ColumnPlan& col, const TableLayout& t,
                         double row_top, Style style, Rgb color) {
        for (size_t l = 0; l < lines.size(); ++l) {
            const double baseline =
                row_top - t.pad_y - t.line_h * (static_cast<double>(l) + 0.5) - t.size * k_cap_center;
            double x = col.x + t.pad_x;
            if (col.right) x = col.x + col.width - t.pad_x - m_canvas.width(lines[l], style, t.size);
            m_canvas.text(x, baseline, lines[l], style, t.size, color);
        }
    }

    // The header row at m_y.
    void draw_table_header(const TableLayout& t) {
        std::vector<std::vector<std::string>> titles;
        size_t lines = 1;
        for (size_t c = 0; c < t.columns.size(); ++c) {
            const Column& column = m_doc.columns[c];
            const std::string& title = column.title.empty() ? column.key : column.title;
            titles.push_back(wrap(title, Style::bold, t.size, t.columns[c].width - 2 * t.pad_x, 2));
            lines = std::max(lines, titles.back().size());
        }
        const double h = static_cast<double>(lines) * t.line_h + 2 * t.pad_y + 1;
        m_canvas.fill_rect(m_left, m_y - h, content_width(), h, k_header_bg);
        m_canvas.line(m_left, m_y - h, m_right, m_y - h, 0.8, k_rule_dark);
        for (size_t c = 0; c < t.columns.size(); ++c)
            draw_cell_lines(titles[c], t.columns[c], t, m_y - 0.5, Style::bold, k_ink);
        m_y -= h;
    }

    Status draw_table() {
        if (m_doc.columns.empty()) return {};
        const TableLayout t = plan_table();
        const size_t n = m_doc.columns.size();
        const double single_h = t.line_h + 2 * t.pad_y;
        // A new page when not even the header and two rows fit here.
        if (m_y - (3 * single_h + 2 * t.line_h) < m_bottom)
            if (auto s = new_page(); !s) return s;
        draw_table_header(t);
        if (m_doc.rows.empty()) {
            m_canvas.text(m_left + t.pad_x, m_y - single_h / 2 - t.size * k_cap_center - 2,
                          "No rows match the filters.", Style::regular, t.size, k_muted);
            m_y -= single_h + 4;
            return {};
        }
        std::vector<std::vector<std::string>> wrapped(n);
        std::vector<bool> is_wrapped(n), repeated(n);
        size_t page_first = 0; // the first row on this page
        // Lays out row r: which cells repeat the row above, which are wrapped; returns its height.
        const auto measure = [&](size_t r) {
            size_t lines = 1;
            for (size_t c = 0; c < n; ++c) {
                const PreparedCell& cell = m_cells[r * n + c];
                // A grouping column (the meeting) is shown when it changes and atop each page.
                repeated[c] =
                    m_doc.columns[c].group && r > page_first && cell_text(cell) == cell_text(m_cells[(r - 1) * n + c]);
                // Cells wider than their column are wrapped or shortened; the others are drawn as is.
                is_wrapped[c] = !repeated[c] && em_to_pt(cell.em, t.size) > t.columns[c].width - 2 * t.pad_x + k_slack;
                if (!is_wrapped[c]) continue;
                wrapped[c] = cell_lines(cell_text(cell), cell.em, t.columns[c], t, Style::regular);
                lines = std::max(lines, wrapped[c].size());
            }
            return static_cast<double>(lines) * t.line_h + 2 * t.pad_y;
        };
        for (size_t r = 0; r < m_doc.rows.size(); ++r) {
            double h = measure(r);
            if (m_y - h < m_bottom) {
                m_canvas.line(m_left, m_y, m_right, m_y, 0.6, k_rule);
                if (auto s = new_page(); !s) return s;
                draw_table_header(t);
                page_first = r;
                h = measure(r);
            }
            if (r % 2 == 1) m_canvas.fill_rect(m_left, m_y - h, content_width(), h, k_zebra);
            // A thin rule between groups.
            if (r > page_first)
                for (size_t c = 0; c < n; ++c)
                    if (m_doc.columns[c].group && !repeated[c]) {
                        m_canvas.line(m_left, m_y, m_right, m_y, 0.4, k_rule);
                        break;
                    }
            for (size_t c = 0; c < n; ++c) {
                if (repeated[c]) continue;
                const PreparedCell& cell = m_cells[r * n + c];
                const ColumnPlan& col = t.columns[c];
                const Rgb color = cell.null ? k_faint : k_ink;
                if (is_wrapped[c]) {
                    draw_cell_lines(wrapped[c], col, t, m_y, Style::regular, color);
                    continue;
                }
                // The fast path: one line, its width known.
                const double baseline = m_y - t.pad_y - t.line_h * 0.5 - t.size * k_cap_center;
                const double x = col.right ? col.x + col.width - t.pad_x - em_to_pt(cell.em, t.size) : col.x + t.pad_x;
                m_canvas.text(x, baseline, cell_text(cell), Style::regular, t.size, color);
            }
            m_y -= h;
            ++m_done;
        }
        m_canvas.line(m_left, m_y, m_right, m_y, 0.6, k_rule);
        m_y -= 14;
        return {};
    }

    // ---- timelines ----

    // Minutes between two ticks: the smallest interval that leaves labels room.
    static int64_t tick_interval_ms(int64_t span_ms, double plot_width) {
        static constexpr std::array<int64_t, 13> minutes{1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 10080};
        const double max_ticks = std::max(2.0, plot_width / 42.0);
        for (int64_t m : minutes)
            if (static_cast<double>(span_ms) / static_cast<double>(m * 60'000) <= max_ticks) return m * 60'000;
        return minutes.back() * 60'000;
    }

    struct Chart {
        int64_t t0 = 0, t1 = 0;
        double plot_x0 = 0, plot_x1 = 0;
        double label_w = 0;
        double x(int64_t t) const {
            const double f = static_cast<double>(std::clamp(t, t0, t1) - t0) / static_cast<double>(t1 - t0);
            return plot_x0 + f * (plot_x1 - plot_x0);
        }
    };

    static constexpr double k_name_size = 7.5;
    static constexpr double k_pitch = 12;
    static constexpr double k_bar_h = 7;
    static constexpr double k_axis_h = 15;

    Status draw_timelines() {
        if (m_doc.timelines.empty()) return {};
        if (auto s = new_page(); !s) return s;
        m_canvas.text(m_left, m_y - 13, "Timelines", Style::bold, 14, k_ink);
        m_y -= 22;
        for (const Timeline& t : m_doc.timelines)
            if (auto s = draw_timeline(t); !s) return s;
        return {};
    }

    void draw_legend(double y) {
        double x = m_left;
        const auto item = [&](std::string_view label, auto&& swatch) {
            swatch(x, y - 1, 12.0, 6.0);
            x += 15;
            m_canvas.text(x, y, label, Style::regular, 7, k_muted);
            x += m_canvas.width(label, Style::regular, 7) + 12;
        };
        item("Viewer", [&](double sx, double sy, double w, double h) { m_canvas.fill_rect(sx, sy, w, h, k_viewer); });
        item("Moderator (name in bold)",
             [&](double sx, double sy, double w, double h) { m_canvas.fill_rect(sx, sy, w, h, k_moderator); });
        item("Still present at the last event", [&](double sx, double sy, double w, double h) {
            m_canvas.hatched_rect(sx, sy, w - 3, h, k_viewer_open, k_viewer);
            m_canvas.arrow_right(sx + w, sy + h / 2, h / 2 + 1, k_viewer);
        });
        item("Absent (a gap is a rejoin)",
             [&](double sx, double sy, double w, double h) { m_canvas.fill_rect(sx, sy, w, h, k_track); });
    }

    // Tick labels in local time above the plot, with a rule under them.
    void draw_axis(const Chart& chart) {
        const int64_t interval = tick_interval_ms(chart.t1 - chart.t0, chart.plot_x1 - chart.plot_x0);
        const bool long_span = chart.t1 - chart.t0 > 20LL * 3'600'000;
        const int64_t offset_ms = static_cast<int64_t>(m_clock.offset_seconds(chart.t0)) * 1000;
        const int64_t local0 = chart.t0 + offset_ms;
        int64_t tick = (local0 / interval + (local0 % interval != 0 ? 1 : 0)) * interval - offset_ms;
        const double baseline = m_y - 9;
        double last_right = -1e9;
        for (; tick <= chart.t1; tick += interval) {
            const double x = chart.x(tick);
            const std::string label = long_span ? m_clock.local(tick).substr(5, 11) : m_clock.hour_minute(tick);
            const double w = m_canvas.width(label, Style::regular, 7);
            const double lx = std::clamp(x - w / 2, chart.plot_x0 - 4, m_right - w);
            if (lx > last_right + 4) {
                m_canvas.text(lx, baseline, label, Style::regular, 7, k_muted);
                last_right = lx + w;
            }
            m_canvas.line(x, m_y - k_axis_h + 1, x, m_y - k_axis_h + 4, 0.5, k_rule_dark);
        }
        m_canvas.line(chart.plot_x0, m_y - k_axis_h + 1, chart.plot_x1, m_y - k_axis_h + 1, 0.5, k_rule_dark);
        m_y -= k_axis_h;
    }

    void draw_grid(const Chart& chart, double top, double bottom) {
        const int64_t interval = tick_interval_ms(chart.t1 - chart.t0, chart.plot_x1 - chart.plot_x0);
        const int64_t offset_ms = static_cast<int64_t>(m_clock.offset_seconds(chart.t0)) * 1000;
        const int64_t local0 = chart.t0 + offset_ms;
        for (int64_t tick = (local0 / interval + (local0 % interval != 0 ? 1 : 0)) * interval - offset_ms;
             tick <= chart.t1; tick += interval)
            m_canvas.line(chart.x(tick), top, chart.x(tick), bottom, 0.4, k_grid);
    }

    // The row's stripe and the bar's track (absent), under the grid.
    void draw_person_background(const Chart& chart, double row_top, bool odd) {
        if (odd) m_canvas.fill_rect(m_left, row_top - k_pitch, content_width(), k_pitch, k_zebra);
        m_canvas.fill_rect(chart.plot_x0, row_top - (k_pitch + k_bar_h) / 2, chart.plot_x1 - chart.plot_x0, k_bar_h,
                           k_track);
    }

    // The name, the presences over the grid and the time present.
    void draw_person(const Chart& chart, const TimelinePerson& person, double row_top) {
        const bool mod = moderator(person);
        const Style style = mod ? Style::bold : Style::regular;
        m_canvas.text(m_left, row_top - k_pitch / 2 - k_name_size * k_cap_center,
                      ellipsize(person.name, style, k_name_size, chart.label_w - 8), style, k_name_size, k_ink);
        const double bar_y = row_top - (k_pitch + k_bar_h) / 2;
        const Rgb solid = mod ? k_moderator : k_viewer;
        const Rgb light = mod ? k_moderator_open : k_viewer_open;
        int64_t present_ms = 0;
        for (const Presence& p : person.presence) {
            const int64_t from = std::clamp(p.from_ms, chart.t0, chart.t1);
            const int64_t to = std::clamp(p.to_ms, chart.t0, chart.t1);
            if (to < from) continue;
            present_ms += to - from;
            const double xa = chart.x(from);
            const double xb = std::max(chart.x(to), xa + 0.8); // a short visit stays visible
            if (p.open) {
                m_canvas.hatched_rect(xa, bar_y, xb - xa, k_bar_h, light, solid);
                m_canvas.arrow_right(xb + 4, bar_y + k_bar_h / 2, k_bar_h / 2 + 1, solid);
            } else {
                m_canvas.fill_rect(xa, bar_y, xb - xa, k_bar_h, solid);
            }
        }
        const std::string total = format_hms(present_ms);
        m_canvas.text(m_right - m_canvas.width(total, Style::regular, 7), row_top - k_pitch / 2 - 7 * k_cap_center,
                      total, Style::regular, 7, k_muted);
    }

    Status draw_timeline(const Timeline& t) {
        Chart chart;
        chart.t0 = t.start_ms;
        chart.t1 = std::max(t.end_ms, t.start_ms + 60'000);
        double names_w = 0;
        for (const TimelinePerson& p : t.people)
            names_w =
                std::max(names_w, m_canvas.width(p.name, moderator(p) ? Style::bold : Style::regular, k_name_size));
        chart.label_w = std::clamp(names_w + 10, 80.0, content_width() * 0.28);
        const double total_w = m_canvas.width("00:00:00", Style::regular, 7) + 14;
        chart.plot_x0 = m_left + chart.label_w;
        chart.plot_x1 = m_right - total_w;

        // Keep the heading with the axis and the first rows.
        constexpr double heading_h = 62;
        const double first_rows = static_cast<double>(std::min<size_t>(std::max<size_t>(t.people.size(), 1), 4));
        if (m_y - (heading_h + k_axis_h + first_rows * k_pitch) < m_bottom && m_y < m_top - 1)
            if (auto s = new_page(); !s) return s;
        const double w = content_width();
        m_canvas.line(m_left, m_y, m_right, m_y, 0.8, k_rule_dark);
        m_canvas.text(m_left, m_y - 14,
                      ellipsize(t.meeting.empty() ? "(unnamed meeting)" : t.meeting, Style::bold, 11, w), Style::bold,
                      11, k_ink);
        std::string when = fmt::format("{} \u2013 {} \u00B7 {} \u00B7 {} {}", m_clock.local(t.start_ms).substr(0, 16),
                                       m_clock.local(t.end_ms).substr(0, 16), format_hms(t.end_ms - t.start_ms),
                                       t.people.size(), t.people.size() == 1 ? "person" : "people");
        if (t.running) when += " \u00B7 still running at its last event";
        std::string detail = t.detail.empty() ? when : t.detail + "  \u00B7  " + when;
        const auto detail_lines = wrap(detail, Style::regular, 8, w, 2);
        double y = m_y - 27;
        for (const std::string& line : detail_lines) {
            m_canvas.text(m_left, y, line, Style::regular, 8, k_muted);
            y -= 10.5;
        }
        draw_legend(y - 2);
        m_y = y - 12;

        if (t.people.empty()) {
            draw_axis(chart);
            m_canvas.text(m_left, m_y - 10, "Nobody joined.", Style::regular, k_name_size, k_muted);
            m_y -= 30;
            return {};
        }
        size_t index = 0;
        while (index < t.people.size()) {
            draw_axis(chart);
            const auto fit = static_cast<size_t>(std::max(1.0, std::floor((m_y - m_bottom) / k_pitch)));
            const size_t count = std::min(fit, t.people.size() - index);
            const double rows_h = static_cast<double>(count) * k_pitch;
            for (size_t k = 0; k < count; ++k)
                draw_person_background(chart, m_y - static_cast<double>(k) * k_pitch, (index + k) % 2 == 1);
            draw_grid(chart, m_y, m_y - rows_h);
            for (size_t k = 0; k < count; ++k)
                draw_person(chart, t.people[index + k], m_y - static_cast<double>(k) * k_pitch);
            m_y -= rows_h;
            index += count;
            m_done += count;
            if (index < t.people.size()) {
                if (auto s = new_page(); !s) return s;
                m_canvas.text(m_left, m_y - 10, ellipsize(fmt::format("{} (continued)", t.meeting), Style::bold, 9, w),
                              Style::bold, 9, k_ink);
                m_y -= 16;
            }
        }
        m_y -= 22;
        return {};
    }

    // ---- footers ----

    Status draw_footers() {
        const std::string left =
            fmt::format("{} \u00B7 generated {} ({})", title(), m_clock.local(m_doc.generated_ms).substr(0, 16),
                        m_doc.time_zone.empty() ? m_clock.zone_name() : m_doc.time_zone);
        for (size_t i = 0; i < m_pages.size(); ++i) {
            m_canvas.begin(m_pages[i]);
            const std::string number = fmt::format("Page {} of {}", i + 1, m_pages.size());
            const double number_w = m_canvas.width(number, Style::regular, 7.5);
            m_canvas.line(m_left, m_bottom - 12, m_right, m_bottom - 12, 0.5, k_rule);
            m_canvas.text(m_left, m_bottom - 24, ellipsize(left, Style::regular, 7, content_width() - number_w - 20),
                          Style::regular, 7, k_muted);
            m_canvas.text(m_right - number_w, m_bottom - 24, number, Style::regular, 7.5, k_ink);
            if (auto s = m_canvas.end(); !s) return s;
        }
        return {};
    }

    const Document& m_doc;
    LocalClock& m_clock;
    const PdfOptions& m_options;
    HpdfDoc& m_pdf;
    Fonts& m_fonts;
    Canvas m_canvas;

    std::string m_arena; // the table's cell texts, one after the other
    std::vector<PreparedCell> m_cells;
    std::unordered_set<std::string> m_unshowable; // texts with characters no font has

    std::vector<HPDF_Page> m_pages;
    HPDF_Page m_page = nullptr;
    double m_width = 0, m_height = 0;
    double m_left = 0, m_right = 0, m_top = 0, m_bottom = 0;
    double m_y = 0; // the top of what comes next
    size_t m_done = 0, m_total = 0;
};

// The document information dictionary: strings in UTF-16 (through the UTF-8 encoder) and the
// generation time with its offset.
Status set_info(HpdfDoc& pdf, const Document& doc, LocalClock& clock) {
    if (auto s = pdf.check(HPDF_SetCurrentEncoder(pdf.get(), "UTF-8"), "choosing the encoding of the document info");
        !s)
        return s;
    if (auto s = pdf.check(HPDF_SetInfoAttr(pdf.get(), HPDF_INFO_CREATOR, "bbbhook"), "setting the creator"); !s)
        return s;
    if (!doc.title.empty())
        if (auto s = pdf.check(HPDF_SetInfoAttr(pdf.get(), HPDF_INFO_TITLE, doc.title.c_str()), "setting the title");
            !s)
            return s;
    // "YYYY-MM-DD HH:MM:SS" in the report's zone, and that zone's offset.
    const std::string local = clock.local(doc.generated_ms);
    const int offset = clock.offset_seconds(doc.generated_ms);
    const auto number = [&](size_t pos, size_t len) {
        int v = 0;
        std::from_chars(local.data() + pos, local.data() + pos + len, v);
        return v;
    };
    if (local.size() < 19) return {};
    HPDF_Date date{};
    date.year = number(0, 4);
    date.month = number(5, 2);
    date.day = number(8, 2);
    date.hour = number(11, 2);
    date.minutes = number(14, 2);
    date.seconds = number(17, 2);
    date.ind = offset == 0 ? 'Z' : offset > 0 ? '+' : '-';
    date.off_hour = std::abs(offset) / 3600;
    date.off_minutes = std::abs(offset) % 3600 / 60;
    return pdf.check(HPDF_SetInfoDateAttr(pdf.get(), HPDF_INFO_CREATION_DATE, date), "setting the creation date");
}

} // namespace

std::vector<std::filesystem::path> default_cjk_fonts() {
    // Droid Sans Fallback first: it costs a third of WenQuanYi Micro Hei in time and size (libharu
    // embeds every table but the glyphs whole); Micro Hei for what it lacks, such as Hangul.
    return {
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // fonts-droid-fallback
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",            // fonts-wqy-microhei
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",              // fonts-wqy-zenhei
        "/usr/share/fonts/truetype/arphic/uming.ttc",                // fonts-arphic-uming
        "/usr/share/fonts/truetype/arphic/ukai.ttc",                 // fonts-arphic-ukai
    };
}

Result<std::string> render_pdf(const Document& doc, LocalClock& clock, const PdfOptions& options) {
    // A document whose streams are all compressed, with Unicode (UTF-8) fonts.
    auto pdf = HpdfDoc::create();
    if (!pdf) return std::unexpected(pdf.error());
    if (auto s = pdf->check(HPDF_SetCompressionMode(pdf->get(), HPDF_COMP_ALL), "enabling compression"); !s)
        return std::unexpected(s.error());
    if (auto s = pdf->check(HPDF_UseUTFEncodings(pdf->get()), "enabling UTF-8"); !s) return std::unexpected(s.error());
    // The fonts: the main one must be there.
    Fonts fonts(*pdf);
    if (auto s = fonts.open(options); !s) return std::unexpected(s.error());
    // The pages.
    Report report(doc, clock, options, *pdf, fonts);
    if (auto s = report.render(); !s) return std::unexpected(s.error());
    // Every glyph used, with its components; the document info; the bytes.
    if (auto s = fonts.finish(); !s) return std::unexpected(s.error());
    if (auto s = set_info(*pdf, doc, clock); !s) return std::unexpected(s.error());
    return pdf->save();
}

} // namespace bbbhook::report
