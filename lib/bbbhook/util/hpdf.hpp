#pragma once
// libharu (the Haru Free PDF Library, Debian's libhpdf 2.3.0) with RAII and without longjmp.
//
// libharu reports errors through a callback. Ours records the first error (its number and detail,
// see hpdf_error.h) and returns; every call's status or handle is checked and turned into an Error
// that names the libharu error number. No setjmp/longjmp.
//
// The functions after HpdfDoc reach what libharu 2.3 offers only through its installed internal
// headers (hpdf_doc.h, hpdf_fontdef.h): glyph lookups in TrueType font definitions, and two
// workarounds for libharu 2.3 bugs that its public API cannot fix (a broken ToUnicode map, and
// nested composite glyphs left out of embedded fonts). Drawing needs none of them: report/pdf
// draws through the public page API (HPDF_Page_*).
#include <cstdint>
#include <hpdf.h>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "bbbhook/util/error.hpp"

namespace bbbhook::util {

class HpdfDoc {
public:
    // A new, empty document with the recording error handler. Fails with ExitCode::internal when
    // libharu cannot allocate it.
    static Result<HpdfDoc> create();

    // The handle, owned by this object (freed with HPDF_Free).
    HPDF_Doc get() const { return m_doc.get(); }

    // Whether libharu reported an error since the last take_error()/check().
    bool failed() const { return m_error->error_no != 0; }

    // The recorded error as "libharu error 0x1017 (cannot open a file, detail 2) while <what>"
    // with ExitCode::internal, or `status` when nothing was recorded. Clears the record (and
    // libharu's own) so that the document can be used further, e.g. after a font that did not load.
    Error take_error(std::string_view what, HPDF_STATUS status = 0);

    // OK when `status` is HPDF_OK and nothing was recorded; take_error(what, status) otherwise.
    Status check(HPDF_STATUS status, std::string_view what);

    // The handle a libharu call returned, or take_error(what) when it is null or an error was
    // recorded.
    template <class Handle> Result<Handle> check_handle(Handle handle, std::string_view what) {
        if (handle == nullptr || failed()) return std::unexpected(take_error(what));
        return handle;
    }

    // Writes the document (compressed as set with HPDF_SetCompressionMode) to memory and returns
    // its bytes. Fails with ExitCode::internal naming the libharu error.
    Result<std::string> save();

private:
    struct ErrorRecord {
        HPDF_STATUS error_no = 0;
        HPDF_STATUS detail_no = 0;
    };
    struct Free {
        void operator()(HPDF_Doc doc) const;
    };
    HpdfDoc(std::unique_ptr<ErrorRecord> error, HPDF_Doc doc);
    static void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user_data);

    // On the heap: libharu keeps its address as the handler's user data, and HpdfDoc moves.
    std::unique_ptr<ErrorRecord> m_error;
    std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, Free> m_doc;
};

// A short English description of a libharu error number ("cannot open a file"), or "" when unknown.
std::string_view hpdf_error_name(HPDF_STATUS error_no);

// The definition of the font libharu loaded under `name` (what HPDF_LoadTTFontFromFile returned).
Result<HPDF_FontDef> font_def(HpdfDoc& doc, const char* name);

// The glyph index of a Basic Multilingual Plane code point in a TrueType font definition (as
// HPDF_LoadTTFontFromFile made it), 0 when the font has no glyph for it.
uint16_t tt_glyph_id(HPDF_FontDef def, char32_t code_point);

// Workaround for a libharu 2.3 bug: it writes the ToUnicode CMap of a UTF-8 font with
// Encoding-CMap operators (cidrange), which readers must reject: poppler warns and guesses, others
// may not let people search or copy the text. Replaces it with a correct one; the font's CIDs are
// Unicode code points (UCS-2), so it maps every CID to itself. Call once per font made with
// HPDF_GetFont(…, "UTF-8"). Remove it when libharu writes a valid map.
Status fix_utf8_to_unicode(HpdfDoc& doc, HPDF_Font font);

// Workaround for a libharu 2.3 bug: it embeds the components of a used composite glyph only one
// level deep, so nested composites (DejaVu's "Ё", Vietnamese "ự", many CJK ideographs) print
// without their base glyph. Marks every component of every used glyph as used, at any depth. Call
// it after the last text is shown or measured and before saving. Fails with ExitCode::internal
// when the font data cannot be read. Remove it when libharu follows components recursively.
Status tt_mark_nested_components(HpdfDoc& doc, HPDF_FontDef def);

} // namespace bbbhook::util
