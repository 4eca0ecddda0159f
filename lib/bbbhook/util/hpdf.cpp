#include "bbbhook/util/hpdf.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <hpdf_doc.h>
#include <hpdf_fontdef.h>
#include <hpdf_streams.h>
#include <vector>

namespace bbbhook::util {

namespace {

constexpr HPDF_STATUS k_no_error = HPDF_OK;

} // namespace

HpdfDoc::HpdfDoc(std::unique_ptr<ErrorRecord> error, HPDF_Doc doc) : m_error(std::move(error)), m_doc(doc) {}

void HpdfDoc::Free::operator()(HPDF_Doc doc) const {
    HPDF_Free(doc);
}

// Called by libharu instead of its default handler (which would print and exit). Keeps the first
// error: later ones are usually its consequences.
void HpdfDoc::on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user_data) {
    auto* record = static_cast<ErrorRecord*>(user_data);
    if (record->error_no != k_no_error) return;
    record->error_no = error_no;
    record->detail_no = detail_no;
}

Result<HpdfDoc> HpdfDoc::create() {
    auto record = std::make_unique<ErrorRecord>();
    HPDF_Doc doc = HPDF_New(&HpdfDoc::on_error, record.get());
    if (doc == nullptr) return make_error(ExitCode::internal, "libharu cannot create a PDF document (out of memory?)");
    return HpdfDoc(std::move(record), doc);
}

Error HpdfDoc::take_error(std::string_view what, HPDF_STATUS status) {
    HPDF_STATUS error_no = m_error->error_no;
    HPDF_STATUS detail_no = m_error->detail_no;
    // Some failures are only set on the document (internal calls that do not raise them).
    if (error_no == k_no_error && m_doc && HPDF_GetError(m_doc.get()) != k_no_error) {
        error_no = HPDF_GetError(m_doc.get());
        detail_no = HPDF_GetErrorDetail(m_doc.get());
    }
    if (error_no == k_no_error) error_no = status;
    *m_error = ErrorRecord{};
    if (m_doc) HPDF_ResetError(m_doc.get());
    if (error_no == k_no_error) return Error{ExitCode::internal, fmt::format("libharu failed while {}", what)};
    const std::string_view name = hpdf_error_name(error_no);
    return Error{ExitCode::internal, fmt::format("libharu error {:#06x} ({}{}detail {}) while {}", error_no, name,
                                                 name.empty() ? "" : ", ", detail_no, what)};
}

Status HpdfDoc::check(HPDF_STATUS status, std::string_view what) {
    if (status == HPDF_OK && !failed()) return {};
    return std::unexpected(take_error(what, status));
}

Result<std::string> HpdfDoc::save() {
    if (auto s = check(HPDF_SaveToStream(m_doc.get()), "writing the PDF"); !s) return std::unexpected(s.error());
    const HPDF_UINT32 size = HPDF_GetStreamSize(m_doc.get());
    std::string bytes(size, '\0');
    HPDF_UINT32 read = size;
    const HPDF_STATUS status = HPDF_ReadFromStream(m_doc.get(), reinterpret_cast<HPDF_BYTE*>(bytes.data()), &read);
    // Reading the whole stream at once may report its end: that is not an error.
    if (status == HPDF_STREAM_EOF && read == size) {
        *m_error = ErrorRecord{};
        HPDF_ResetError(m_doc.get());
    } else if (auto s = check(status, "reading the PDF back from memory"); !s) {
        return std::unexpected(s.error());
    }
    if (read != size)
        return make_error(ExitCode::internal, fmt::format("libharu returned {} of the PDF's {} bytes", read, size));
    return bytes;
}

std::string_view hpdf_error_name(HPDF_STATUS error_no) {
    switch (error_no) {
    case HPDF_FAILD_TO_ALLOC_MEM: return "out of memory";
    case HPDF_FILE_IO_ERROR: return "file I/O error";
    case HPDF_FILE_OPEN_ERROR: return "cannot open a file";
    case HPDF_FONT_EXISTS: return "font already loaded";
    case HPDF_INVALID_DOCUMENT: return "invalid document";
    case HPDF_INVALID_ENCODER: return "invalid encoder";
    case HPDF_INVALID_ENCODING_NAME: return "unknown encoding";
    case HPDF_INVALID_FONTDEF_DATA: return "invalid font data";
    case HPDF_INVALID_FONT_NAME: return "unknown font name";
    case HPDF_INVALID_PARAMETER: return "invalid parameter";
    case HPDF_INVALID_TTC_FILE: return "not a TrueType collection";
    case HPDF_INVALID_TTC_INDEX: return "no such font in the TrueType collection";
    case HPDF_PAGE_INVALID_SIZE: return "invalid page size";
    case HPDF_STREAM_EOF: return "unexpected end of data";
    case HPDF_TTF_CANNOT_EMBEDDING_FONT: return "the font's license forbids embedding";
    case HPDF_TTF_INVALID_CMAP: return "unsupported TrueType cmap";
    case HPDF_TTF_INVALID_FOMAT: return "not a TrueType font";
    case HPDF_TTF_MISSING_TABLE: return "the TrueType font lacks a required table";
    case HPDF_UNSUPPORTED_FONT_TYPE: return "unsupported font type";
    case HPDF_ZLIB_ERROR: return "zlib error";
    default: return "";
    }
}

Result<HPDF_FontDef> font_def(HpdfDoc& doc, const char* name) {
    return doc.check_handle(HPDF_GetFontDef(doc.get(), name), "looking up a loaded font");
}

uint16_t tt_glyph_id(HPDF_FontDef def, char32_t code_point) {
    if (code_point > 0xFFFF) return 0;
    return HPDF_TTFontDef_GetGlyphid(def, static_cast<HPDF_UINT16>(code_point));
}

Status fix_utf8_to_unicode(HpdfDoc& doc, HPDF_Font font) {
    HPDF_Dict cmap = HPDF_DictStream_New(doc.get()->mmgr, doc.get()->xref);
    if (auto s = doc.check_handle(cmap, "making a ToUnicode map"); !s) return std::unexpected(s.error());
    cmap->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    // bfrange entries may only vary in their last byte: one per high byte, surrogates left out.
    std::string text = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                       "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                       "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                       "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
    std::vector<unsigned> highs;
    for (unsigned high = 0; high <= 0xFF; ++high)
        if (high < 0xD8 || high > 0xDF) highs.push_back(high);
    for (size_t i = 0; i < highs.size(); i += 100) {
        const size_t n = std::min<size_t>(100, highs.size() - i);
        text += fmt::format("{} beginbfrange\n", n);
        for (size_t k = i; k < i + n; ++k)
            text += fmt::format("<{0:02X}00> <{0:02X}FF> <{0:02X}00>\n", highs[k]);
        text += "endbfrange\n";
    }
    text += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    if (auto s = doc.check(HPDF_Stream_Write(cmap->stream, reinterpret_cast<const HPDF_BYTE*>(text.data()),
                                             static_cast<HPDF_UINT>(text.size())),
                           "writing a ToUnicode map");
        !s)
        return s;
    // Replaces the entry; libharu's own map stays in the file, unused.
    return doc.check(HPDF_Dict_Add(font, "ToUnicode", cmap), "setting a font's ToUnicode map");
}

namespace {

// Reads a big-endian 16-bit value from the font's stream.
bool read_u16(HPDF_Stream stream, uint16_t& value) {
    HPDF_BYTE bytes[2];
    HPDF_UINT size = 2;
    if (HPDF_Stream_Read(stream, bytes, &size) != HPDF_OK || size != 2) return false;
    value = static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
    return true;
}

} // namespace

// The same walk over a composite glyph's component records as libharu's own (static)
// CheckCompositGryph, repeated for the components it finds, until no new glyph is marked. The
// glyph table offsets come from libharu's parsed 'loca'; nothing else of the font is read here.
Status tt_mark_nested_components(HpdfDoc& doc, HPDF_FontDef def) {
    auto* attr = static_cast<HPDF_TTFontDefAttr>(def->attr);
    if (attr == nullptr || attr->stream == nullptr || attr->glyph_tbl.flgs == nullptr ||
        attr->glyph_tbl.offsets == nullptr)
        return {}; // not embedded: nothing to mark
    // Component record flags (TrueType 'glyf' table).
    constexpr uint16_t k_args_are_words = 0x0001, k_scale = 0x0008, k_more = 0x0020, k_xy_scale = 0x0040,
                       k_two_by_two = 0x0080;
    const HPDF_UINT32 offset_unit = attr->header.index_to_loc_format == 0 ? 2 : 1;
    std::vector<uint16_t> todo;
    for (uint16_t gid = 0; gid < attr->num_glyphs; ++gid)
        if (attr->glyph_tbl.flgs[gid] != 0) todo.push_back(gid);
    while (!todo.empty()) {
        const uint16_t gid = todo.back();
        todo.pop_back();
        const HPDF_UINT32 begin = attr->glyph_tbl.offsets[gid];
        if (attr->glyph_tbl.offsets[gid + 1] <= begin) continue; // an empty glyph (a space)
        const HPDF_UINT32 position = attr->glyph_tbl.base_offset + begin * offset_unit;
        uint16_t contours = 0;
        if (HPDF_Stream_Seek(attr->stream, static_cast<HPDF_INT>(position), HPDF_SEEK_SET) != HPDF_OK ||
            !read_u16(attr->stream, contours))
            return std::unexpected(doc.take_error("reading a glyph of an embedded font"));
        if (contours != 0xFFFF) continue; // a simple glyph (numberOfContours >= 0)
        // Skip the bounding box, then read the component records.
        if (HPDF_Stream_Seek(attr->stream, 8, HPDF_SEEK_CUR) != HPDF_OK)
            return std::unexpected(doc.take_error("reading a composite glyph of an embedded font"));
        uint16_t flags = 0;
        do {
            uint16_t component = 0;
            if (!read_u16(attr->stream, flags) || !read_u16(attr->stream, component))
                return std::unexpected(doc.take_error("reading a composite glyph of an embedded font"));
            HPDF_INT skip = (flags & k_args_are_words) ? 4 : 2;
            if (flags & k_scale)
                skip += 2;
            else if (flags & k_xy_scale)
                skip += 4;
            else if (flags & k_two_by_two)
                skip += 8;
            if (HPDF_Stream_Seek(attr->stream, skip, HPDF_SEEK_CUR) != HPDF_OK)
                return std::unexpected(doc.take_error("reading a composite glyph of an embedded font"));
            if (component < attr->num_glyphs && attr->glyph_tbl.flgs[component] == 0) {
                attr->glyph_tbl.flgs[component] = 1;
                todo.push_back(component);
            }
        } while (flags & k_more);
    }
    return {};
}

} // namespace bbbhook::util
