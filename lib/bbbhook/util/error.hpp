#pragma once
// Error values for expected failures, and the one exception family for "cannot continue".
//
// Expected failures (bad input, missing file, remote refused) return std::expected<T, Error>.
// Code that cannot continue throws Failure; the CLI layer catches it once, prints
// "bbbhook: error: <message>" and exits with its code.
#include <expected>
#include <fmt/format.h>
#include <stdexcept>
#include <string>

#include "bbbhook/util/exit_code.hpp"

namespace bbbhook {

struct Error {
    ExitCode code = ExitCode::internal;
    std::string message;
};

template <class T> using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> make_error(ExitCode code, std::string message) {
    return std::unexpected(Error{code, std::move(message)});
}

class Failure : public std::runtime_error {
public:
    Failure(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    explicit Failure(const Error& e) : Failure(e.code, e.message) {}
    ExitCode code() const { return m_code; }

private:
    ExitCode m_code;
};

// Returns the value or throws Failure with the error: for top-level steps that cannot go on.
template <class T> T value_or_throw(std::expected<T, Error> r) {
    if (!r) throw Failure(r.error());
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// "strerror(errno)" as a std::string, thread-safe.
std::string errno_message(int err);

} // namespace bbbhook
