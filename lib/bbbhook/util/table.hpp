#pragma once
// A plain-text table for terminals: a header row, columns padded to the widest cell (counted in
// UTF-8 code points), two spaces between columns, no trailing blanks.
#include <cstdio>
#include <string>
#include <vector>

namespace bbbhook::util {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> header) : m_header(std::move(header)) {}
    void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
    bool empty() const { return m_rows.empty(); }
    std::string render() const;

private:
    std::vector<std::string> m_header;
    std::vector<std::vector<std::string>> m_rows;
};

// Code points in a UTF-8 string (continuation bytes not counted).
size_t display_width(const std::string& s);

} // namespace bbbhook::util
