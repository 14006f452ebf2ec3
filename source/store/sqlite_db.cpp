#include "sqlite_db.hpp"

#include <utility>

namespace brandchat::sqlite {

void fail(sqlite3* db, int rc, std::string_view doing) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int code = db ? sqlite3_extended_errcode(db) : rc;
    throw Error(std::string(doing) + ": " + message, code);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "preparing \"" + std::string(sql.substr(0, 60)) + "\"");
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::check(int rc, char const* doing) const {
    if (rc != SQLITE_OK) fail(db_, rc, doing);
}

void Statement::reset() {
    sqlite3_reset(stmt_); // returns the last step's error, which step() has reported already
    sqlite3_clear_bindings(stmt_);
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
    sqlite3_reset(stmt_);
    fail(db_, rc, "running \"" + sql.substr(0, 60) + "\"");
}

std::string Statement::text(int column) const {
    auto const* p = sqlite3_column_text(stmt_, column);
    int n = sqlite3_column_bytes(stmt_, column);
    return p ? std::string(reinterpret_cast<char const*>(p), static_cast<std::size_t>(n)) : std::string();
}

void Statement::bind_one(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index, value), "binding a number"); }
void Statement::bind_one(int index, double value) { check(sqlite3_bind_double(stmt_, index, value), "binding a number"); }
void Statement::bind_one(int index, std::string_view value) {
    check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "binding text");
}
void Statement::bind_one(int index, std::nullopt_t) { check(sqlite3_bind_null(stmt_, index), "binding null"); }

Database::Database(std::string const& path, bool create) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        int code = db_ ? sqlite3_extended_errcode(db_) : rc;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw Error("cannot open " + path + ": " + message, code);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw Error(what, sqlite3_extended_errcode(db_));
    }
}

std::int64_t Database::scalar(std::string_view sql) {
    auto statement = prepare(sql);
    return statement.step() ? statement.integer(0) : 0;
}

} // namespace brandchat::sqlite
