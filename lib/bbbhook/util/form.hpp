#pragma once
// application/x-www-form-urlencoded decoding (WHATWG URLSearchParams and RFC 3986 styles).
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace bbbhook::util {

struct FormField {
    std::string name;
    std::string value;
};

struct FormError {
    size_t offset = 0; // byte offset in the encoded input
    std::string message;
};

// Decodes one percent-encoded component; '+' becomes a space when plus_is_space.
// Fails on a '%' not followed by two hex digits.
std::expected<std::string, FormError> percent_decode(std::string_view s, bool plus_is_space = true);

// The same, appended to `out` (its capacity reused): the fast path for large values such as a
// callback's `event`. On failure `out` holds a partial decoding.
std::expected<void, FormError> percent_decode_append(std::string_view s, std::string& out, bool plus_is_space = true);

// Fails (with the offset in `s`) if a '%' in `s` is not followed by two hex digits.
std::expected<void, FormError> check_escapes(std::string_view s);

// Splits "a=1&b=2" into fields in order. Empty pieces ("a=1&&b=2") are skipped, as browsers do;
// a piece without '=' is a field with an empty value. Fails on malformed percent-escapes.
std::expected<std::vector<FormField>, FormError> parse_form(std::string_view body);

// Checks that `body` is well-formed (every '%' followed by two hex digits) and has a field called
// `required`, without decoding or allocating (for the request path). Fails with the offset of a
// bad escape, or offset body.size() and a message naming the missing field.
std::expected<void, FormError> check_form(std::string_view body, std::string_view required);

// The value of the first field called `name`, if any.
const std::string* form_value(const std::vector<FormField>& fields, std::string_view name);

namespace detail {

// percent_decode_append and check_escapes have one implementation per instruction set; the one
// that this CPU supports best is chosen once. The tests run every supported one on the same input.
enum class SimdLevel { scalar, avx2, avx512 };

// Whether this CPU (and build) can run `level`; scalar is always supported.
bool simd_level_supported(SimdLevel level);

// percent_decode_append and check_escapes at `level`, or at scalar if it is not supported.
std::expected<void, FormError> percent_decode_append(std::string_view s, std::string& out, bool plus_is_space,
                                                     SimdLevel level);
std::expected<void, FormError> check_escapes(std::string_view s, SimdLevel level);

} // namespace detail

} // namespace bbbhook::util
