#include "bbbhook/util/form.hpp"

#include <fmt/format.h>

namespace bbbhook::util {

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

std::expected<std::string, FormError> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return std::unexpected(FormError{i, "'%' not followed by two hex digits"});
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
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
        for (size_t i = piece.find('%'); i != std::string_view::npos; i = piece.find('%', i + 1)) {
            if (i + 2 >= piece.size() || hex_value(piece[i + 1]) < 0 || hex_value(piece[i + 2]) < 0)
                return std::unexpected(FormError{pos + i, "'%' not followed by two hex digits"});
        }
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
