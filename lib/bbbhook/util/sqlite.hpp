#pragma once
// SQLite with RAII: a connection, prepared statements with bound parameters, transactions.
// Every failure carries the statement's SQL and SQLite's message. Never build SQL from values:
// bind them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bbbhook/util/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace bbbhook::util {

class Stmt;

class Db {
public:
    enum class Mode { read_write_create, read_only };
    // Opens (and creates) the database with WAL, synchronous=NORMAL, foreign keys and a busy
    // timeout, through the SQLite VFS named `vfs` (nullptr: the default). Fails with cant_create /
    // no_input.
    static Result<Db> open(const std::filesystem::path& path, Mode mode = Mode::read_write_create,
                           const char* vfs = nullptr);

    // Runs one or more statements without results (schema, pragmas). Throws Failure(io) on error.
    void exec(std::string_view sql);
    Stmt prepare(std::string_view sql);
    int64_t last_insert_rowid() const;
    int changes() const;
    sqlite3* handle() const { return m_db.get(); }

private:
    struct Closer {
        void operator()(sqlite3* db) const;
    };
    std::unique_ptr<sqlite3, Closer> m_db;
};

// A prepared statement. bind() is 1-based like SQLite; step() returns true while rows come.
// Errors throw Failure(io) naming the SQL: a failing statement is a bug or a broken database.
class Stmt {
public:
    Stmt(Db& db, std::string_view sql);
    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
    Stmt& bind(int i, std::string_view v); // copied (SQLITE_TRANSIENT)
    // Not copied (SQLITE_STATIC): `v` must stay valid and unchanged until the statement has run
    // (the hot inserts of ingest, whose rows outlive their statement's step).
    Stmt& bind_ref(int i, std::string_view v);
    // Text, or NULL when empty; by reference as bind_ref.
    Stmt& bind_ref_or_null(int i, std::string_view v);
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::nullptr_t);
    Stmt& bind(int i, const std::optional<int64_t>& v);
    Stmt& bind_blob(int i, std::string_view bytes);     // copied
    Stmt& bind_blob_ref(int i, std::string_view bytes); // not copied, as bind_ref
    bool step();
    void run() {
        while (step()) {
        }
    }
    void reset(); // clears bindings too

    int64_t int64(int col) const;
    std::optional<int64_t> opt_int64(int col) const;
    std::string text(int col) const;
    std::string_view text_view(int col) const; // valid until the next step/reset
    double real(int col) const;
    std::string_view blob(int col) const; // valid until the next step/reset
    bool is_null(int col) const;
    int columns() const;

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* s) const;
    };
    [[noreturn]] void fail(int rc) const;
    Db* m_db;
    std::unique_ptr<sqlite3_stmt, Finalizer> m_stmt;
};

// Inserts rows several at a time: "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), …" with up to
// `rows_per_statement` rows, so that SQLite's work per statement (step, halt, reset) is done once
// for that many rows. Text is bound by reference (as Stmt::bind_ref): it must stay valid and
// unchanged until the rows are written, by a full statement or by flush().
//
//   util::RowBatch rows(db, "INSERT INTO t (a, b)", 2);
//   for (...) rows.add(id).add_ref_or_null(name);   // a row is complete after `columns` values
//   rows.flush();
class RowBatch {
public:
    RowBatch(Db& db, std::string_view insert_into, int columns, int rows_per_statement = 16);
    RowBatch& add(int64_t v);
    RowBatch& add(const std::optional<int64_t>& v);
    RowBatch& add_ref(std::string_view v);
    RowBatch& add_ref_or_null(std::string_view v); // NULL when empty
    void flush();                                  // writes the rows not written yet

private:
    struct Value {
        enum class Kind : uint8_t { null, integer, text } kind;
        int64_t integer;
        std::string_view text;
    };
    RowBatch& push(Value v);
    Stmt& statement(size_t rows); // prepared once per row count

    Db* m_db;
    std::string m_insert_into;
    size_t m_columns, m_rows_per_statement;
    std::vector<Value> m_values;
    std::vector<std::unique_ptr<Stmt>> m_statements; // [rows - 1]
};

// BEGIN IMMEDIATE … COMMIT; rolls back if not committed.
class Transaction {
public:
    explicit Transaction(Db& db);
    ~Transaction();
    void commit();

private:
    Db& m_db;
    bool m_done = false;
};

} // namespace bbbhook::util

namespace bbbhook::util {
// Copies the whole of `from` into `into` with SQLite's online backup (one transaction on `into`,
// safe while others read it). Throws Failure(io).
void copy_database(Db& from, Db& into);
} // namespace bbbhook::util
