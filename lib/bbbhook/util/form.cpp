#include "bbbhook/util/form.hpp"

#include <array>
#include <cstdint>

namespace bbbhook::util {

namespace {
constexpr std::array<int8_t, 256> k_hex = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int c = 0; c < 10; ++c)
        t['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; ++c) {
        t['a' + c] = static_cast<int8_t>(10 + c);
        t['A' + c] = static_cast<int8_t>(10 + c);
    }
    return t;
}();
int hex_value(char c) {
    return k_hex[static_cast<unsigned char>(c)];
}
constexpr std::string_view k_bad_escape = "'%' not followed by two hex digits";
} // namespace

std::expected<void, FormError> percent_decode_append(std::string_view s, std::string& out, bool plus_is_space) {
    const size_t start = out.size();
    size_t bad = std::string_view::npos;
    // The decoding is never longer than the input: write straight into the string.
    out.resize_and_overwrite(start + s.size(), [&](char* buf, size_t) {
        char* o = buf + start;
        const char* p = s.data();
        const char* const end = p + s.size();
        while (p < end) {
            char c = *p;
            if (c == '%') {
                int hi = end - p >= 3 ? hex_value(p[1]) : -1;
                int lo = end - p >= 3 ? hex_value(p[2]) : -1;
                if ((hi | lo) < 0) {
                    bad = static_cast<size_t>(p - s.data());
                    break;
                }
                *o++ = static_cast<char>(hi << 4 | lo);
                p += 3;
            } else {
                *o++ = c == '+' && plus_is_space ? ' ' : c;
                ++p;
            }
        }
        return static_cast<size_t>(o - buf);
    });
    if (bad != std::string_view::npos) return std::unexpected(FormError{bad, std::string(k_bad_escape)});
    return {};
}

std::expected<std::string, FormError> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    if (auto r = percent_decode_append(s, out, plus_is_space); !r) return std::unexpected(r.error());
    return out;
}

std::expected<void, FormError> check_escapes(std::string_view s) {
    // One pass, not a search per '%': in BBB's bodies every third byte or so is an escape.
    const char* p = s.data();
    const char* const end = p + s.size();
    while (p < end) {
        if (*p != '%') {
            ++p;
            continue;
        }
        if (end - p < 3 || (hex_value(p[1]) | hex_value(p[2])) < 0)
            return std::unexpected(FormError{static_cast<size_t>(p - s.data()), std::string(k_bad_escape)});
        p += 3;
    }
    return {};
}

std::expected<std::vector<FormField>, FormError> parse_form(std::string_view body) {
    std::vector<FormField> fields;
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t end = body.find('&', pos);
        if (end == std::string_view::npos) end = body.size();
        std::string_view piece = body.substr(pos, end - pos);
        if (!piece.empty()) {
            size_t eq = piece.find('=');
            auto name = percent_decode(piece.substr(0, eq));
            if (!name) return std::unexpected(FormError{pos + name.error().offset, name.error().message});
            std::string value;
            if (eq != std::string_view::npos) {
                auto v = percent_decode(piece.substr(eq + 1));
                if (!v) return std::unexpected(FormError{pos + eq + 1 + v.error().offset, v.error().message});
                value = std::move(*v);
            }
            fields.push_back({std::move(*name), std::move(value)});
        }
        pos = end + 1;
    }
    return fields;
}

std::expected<void, FormError> check_form(std::string_view body, std::string_view required) {
    bool found = false;
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t end = body.find('&', pos);
        if (end == std::string_view::npos) end = body.size();
        std::string_view piece = body.substr(pos, end - pos);
        if (auto ok = check_escapes(piece); !ok)
            return std::unexpected(FormError{pos + ok.error().offset, ok.error().message});
        if (!found) {
            std::string_view name = piece.substr(0, piece.find('='));
            // Names are plain ASCII in practice; decode only the rare encoded one.
            if (name.find_first_of("%+") == std::string_view::npos)
                found = name == required;
            else if (auto decoded = percent_decode(name))
                found = *decoded == required;
        }
        pos = end + 1;
    }
    if (!found) return std::unexpected(FormError{body.size(), "the form has no '" + std::string(required) + "' field"});
    return {};
}

const std::string* form_value(const std::vector<FormField>& fields, std::string_view name) {
    for (const auto& f : fields)
        if (f.name == name) return &f.value;
    return nullptr;
}

} // namespace bbbhook::util
