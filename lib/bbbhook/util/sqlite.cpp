#include "bbbhook/util/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace bbbhook::util {

void Db::Closer::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}
void Stmt::Finalizer::operator()(sqlite3_stmt* s) const {
    sqlite3_finalize(s);
}

Result<Db> Db::open(const std::filesystem::path& path, Mode mode, const char* vfs) {
    sqlite3* raw = nullptr;
    int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, vfs);
    Db db;
    db.m_db.reset(raw);
    if (rc != SQLITE_OK)
        return make_error(mode == Mode::read_only ? ExitCode::no_input : ExitCode::cant_create,
                          fmt::format("{}: {}", path.string(), raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_busy_timeout(raw, 10000);
    try {
        // WAL lets reports read while ingest writes; NORMAL is atomic, and a transaction lost to a
        // power cut is re-ingested from the journal together with its checkpoint.
        if (mode != Mode::read_only) db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        db.exec("PRAGMA foreign_keys=ON;");
    } catch (const Failure& f) {
        return make_error(ExitCode::cant_create, fmt::format("{}: {}", path.string(), f.what()));
    }
    return db;
}

void Db::exec(std::string_view sql) {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(m_db.get(), s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(m_db.get());
        sqlite3_free(err);
        throw Failure(ExitCode::io, fmt::format("sqlite: {} (in: {})", msg, s.substr(0, 120)));
    }
}

Stmt Db::prepare(std::string_view sql) {
    return Stmt(*this, sql);
}
int64_t Db::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(m_db.get());
}
int Db::changes() const {
    return sqlite3_changes(m_db.get());
}

Stmt::Stmt(Db& db, std::string_view sql) : m_db(&db) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                                nullptr);
    m_stmt.reset(raw);
    if (rc != SQLITE_OK)
        throw Failure(ExitCode::io,
                      fmt::format("sqlite: {} (preparing: {})", sqlite3_errmsg(db.handle()), sql.substr(0, 160)));
}

void Stmt::fail(int rc) const {
    const char* sql = sqlite3_sql(m_stmt.get());
    throw Failure(ExitCode::io, fmt::format("sqlite: {} ({}) in: {}", sqlite3_errmsg(m_db->handle()),
                                            sqlite3_errstr(rc), std::string_view(sql ? sql : "?").substr(0, 160)));
}

Stmt& Stmt::bind(int i, int64_t v) {
    if (int rc = sqlite3_bind_int64(m_stmt.get(), i, v); rc != SQLITE_OK) fail(rc);
    return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
    if (int rc = sqlite3_bind_text64(m_stmt.get(), i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK)
        fail(rc);
    return *this;
}

Stmt& Stmt::bind_ref(int i, std::string_view v) {
    if (int rc = sqlite3_bind_text64(m_stmt.get(), i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8); rc != SQLITE_OK)
        fail(rc);
    return *this;
}

Stmt& Stmt::bind_ref_or_null(int i, std::string_view v) {
    return v.empty() ? bind(i, nullptr) : bind_ref(i, v);
}

Stmt& Stmt::bind(int i, double v) {
    if (int rc = sqlite3_bind_double(m_stmt.get(), i, v); rc != SQLITE_OK) fail(rc);
    return *this;
}

Stmt& Stmt::bind(int i, std::nullptr_t) {
    if (int rc = sqlite3_bind_null(m_stmt.get(), i); rc != SQLITE_OK) fail(rc);
    return *this;
}

Stmt& Stmt::bind(int i, const std::optional<int64_t>& v) {
    return v ? bind(i, *v) : bind(i, nullptr);
}

Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
    if (int rc = sqlite3_bind_blob64(m_stmt.get(), i, bytes.data(), bytes.size(), SQLITE_TRANSIENT); rc != SQLITE_OK)
        fail(rc);
    return *this;
}

Stmt& Stmt::bind_blob_ref(int i, std::string_view bytes) {
    if (int rc = sqlite3_bind_blob64(m_stmt.get(), i, bytes.data(), bytes.size(), SQLITE_STATIC); rc != SQLITE_OK)
        fail(rc);
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(m_stmt.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
        sqlite3_reset(m_stmt.get());
        return false;
    }
    sqlite3_reset(m_stmt.get());
    fail(rc);
}

void Stmt::reset() {
    sqlite3_reset(m_stmt.get());
    sqlite3_clear_bindings(m_stmt.get());
}

RowBatch::RowBatch(Db& db, std::string_view insert_into, int columns, int rows_per_statement)
    : m_db(&db), m_insert_into(insert_into), m_columns(static_cast<size_t>(columns)),
      m_rows_per_statement(static_cast<size_t>(rows_per_statement)), m_statements(m_rows_per_statement) {
    m_values.reserve(m_columns * m_rows_per_statement);
}

RowBatch& RowBatch::add(int64_t v) {
    return push({Value::Kind::integer, v, {}});
}
RowBatch& RowBatch::add(const std::optional<int64_t>& v) {
    return push(v ? Value{Value::Kind::integer, *v, {}} : Value{Value::Kind::null, 0, {}});
}
RowBatch& RowBatch::add_ref(std::string_view v) {
    return push({Value::Kind::text, 0, v});
}
RowBatch& RowBatch::add_ref_or_null(std::string_view v) {
    return v.empty() ? push({Value::Kind::null, 0, {}}) : add_ref(v);
}

RowBatch& RowBatch::push(Value v) {
    m_values.push_back(v);
    if (m_values.size() == m_columns * m_rows_per_statement) flush();
    return *this;
}

Stmt& RowBatch::statement(size_t rows) {
    auto& st = m_statements[rows - 1];
    if (!st) {
        std::string row = "(?";
        for (size_t c = 1; c < m_columns; ++c)
            row += ", ?";
        row += ")";
        std::string sql = m_insert_into + " VALUES " + row;
        for (size_t r = 1; r < rows; ++r)
            sql += ", " + row;
        st = std::make_unique<Stmt>(*m_db, sql);
    }
    return *st;
}

void RowBatch::flush() {
    size_t rows = m_values.size() / m_columns;
    if (rows == 0) return;
    Stmt& st = statement(rows);
    for (size_t i = 0; i < rows * m_columns; ++i) {
        const Value& v = m_values[i];
        int at = static_cast<int>(i) + 1;
        switch (v.kind) {
        case Value::Kind::null: st.bind(at, nullptr); break;
        case Value::Kind::integer: st.bind(at, v.integer); break;
        case Value::Kind::text: st.bind_ref(at, v.text); break;
        }
    }
    st.run();
    st.reset();
    m_values.erase(m_values.begin(), m_values.begin() + static_cast<std::ptrdiff_t>(rows * m_columns));
}

double Stmt::real(int col) const {
    return sqlite3_column_double(m_stmt.get(), col);
}

std::string_view Stmt::text_view(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt.get(), col));
    if (!p) return {};
    return {p, static_cast<size_t>(sqlite3_column_bytes(m_stmt.get(), col))};
}

int64_t Stmt::int64(int col) const {
    return sqlite3_column_int64(m_stmt.get(), col);
}
std::optional<int64_t> Stmt::opt_int64(int col) const {
    if (is_null(col)) return std::nullopt;
    return int64(col);
}
std::string Stmt::text(int col) const {
    const auto* p = sqlite3_column_text(m_stmt.get(), col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(m_stmt.get(), col)))
             : std::string();
}
std::string_view Stmt::blob(int col) const {
    const void* p = sqlite3_column_blob(m_stmt.get(), col);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(m_stmt.get(), col)))
             : std::string_view();
}
bool Stmt::is_null(int col) const {
    return sqlite3_column_type(m_stmt.get(), col) == SQLITE_NULL;
}
int Stmt::columns() const {
    return sqlite3_column_count(m_stmt.get());
}

Transaction::Transaction(Db& db) : m_db(db) {
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!m_done) {
        try {
            m_db.exec("ROLLBACK");
        } catch (...) {
            // Nothing more to do: the connection rolls back on close anyway.
        }
    }
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_done = true;
}

} // namespace bbbhook::util

namespace bbbhook::util {
void copy_database(Db& from, Db& into) {
    sqlite3_backup* b = sqlite3_backup_init(into.handle(), "main", from.handle(), "main");
    if (!b) throw Failure(ExitCode::io, fmt::format("sqlite backup: {}", sqlite3_errmsg(into.handle())));
    int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) throw Failure(ExitCode::io, fmt::format("sqlite backup: {}", sqlite3_errstr(rc)));
}
} // namespace bbbhook::util
