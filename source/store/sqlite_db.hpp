// A thin RAII layer over SQLite's C API for the store (sqlite_store.cpp) and nothing else: a
// connection, prepared statements that bind and read by position, and errors that carry
// SQLite's message and code. Private to source/store/: nothing above the store sees SQL.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace brandchat::sqlite {

// An SQLite failure: what was being done, SQLite's own message, and its extended result code.
class Error : public std::runtime_error {
public:
    Error(std::string const& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }               // extended result code (SQLITE_FULL, ...)
    bool disk_full() const { return (code_ & 0xff) == SQLITE_FULL; }

private:
    int code_;
};

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, std::string_view sql);
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
    Statement& operator=(Statement&& other) noexcept;
    ~Statement();

    // Binds the values to ?1, ?2, ... after a reset (and clearing earlier bindings).
    template <class... Values>
    Statement& bind(Values const&... values) {
        reset();
        int index = 0;
        (bind_one(++index, values), ...);
        return *this;
    }
    // Runs to the next row: true when there is one to read.
    bool step();
    // Runs a statement that returns no rows.
    void run() { while (step()) {} }

    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    double real(int column) const { return sqlite3_column_double(stmt_, column); }
    std::string text(int column) const;
    bool null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    void reset();

private:
    void bind_one(int index, std::int64_t value);
    void bind_one(int index, int value) { bind_one(index, static_cast<std::int64_t>(value)); }
    void bind_one(int index, std::uint64_t value) { bind_one(index, static_cast<std::int64_t>(value)); }
    void bind_one(int index, bool value) { bind_one(index, static_cast<std::int64_t>(value)); }
    void bind_one(int index, double value);
    void bind_one(int index, std::string_view value);
    void bind_one(int index, std::string const& value) { bind_one(index, std::string_view(value)); }
    void bind_one(int index, char const* value) { bind_one(index, std::string_view(value)); }
    void bind_one(int index, std::nullopt_t);
    template <class T>
    void bind_one(int index, std::optional<T> const& value) {
        if (value) bind_one(index, *value);
        else bind_one(index, std::nullopt);
    }
    void check(int rc, char const* doing) const;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
    // Opens (SQLITE_OPEN_CREATE only when `create`) the file, or ":memory:".
    Database(std::string const& path, bool create);
    Database(Database const&) = delete;
    Database& operator=(Database const&) = delete;
    ~Database();

    void exec(std::string_view sql); // one or more statements, no results
    Statement prepare(std::string_view sql) { return Statement(db_, sql); }
    std::int64_t scalar(std::string_view sql);   // the first column of the first row, 0 without one
    std::int64_t changes() const { return sqlite3_changes64(db_); }
    std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
    sqlite3* handle() const { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// "Error doing X: SQLite's message" with its code, for failures outside a statement.
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view doing);

} // namespace brandchat::sqlite
