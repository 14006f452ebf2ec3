// Checkpoints: the write-ahead log copied into the database file and the file synced. SQLite
// does it in one call that cannot be cut into slices, and after a large import the log holds the
// whole import (a 100,000-product import: about 110 MB, half a second of copying and syncing).
// So the server runs it in a process of its own, itself started as `brandchat --checkpoint-log
// FILE`, and waits for its exit on the event loop (Boost.Process): the chats go on meanwhile.
// SQLite lets any process checkpoint a WAL file that others are reading and writing; a
// checkpoint killed half-way leaves the file as it was, and the next one does the work.
#include "brandchat/log.hpp"
#include "brandchat/store/sqlite_store.hpp"
#include "sqlite_store_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
// std::filesystem, not Boost.Filesystem (a library to link); 1.81's config then misses a header.
#define BOOST_PROCESS_USE_STD_FS 1
#include <boost/optional.hpp>
#include <boost/process/v2/process.hpp>

#include <chrono>
#include <optional>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace brandchat {

int checkpoint_sqlite_log(std::string const& path) {
    // Housekeeping: where it shares a CPU with the server, the server's chats go first.
    if (::nice(10) == -1) { /* not lowered: it runs as it is */ }
    try {
        sqlite::Database db(path, false);
        // For the first read below, should the server hold a lock on the file at that moment (a
        // PASSIVE checkpoint itself never waits: it copies what no reader still needs).
        db.exec("PRAGMA busy_timeout = 5000");
        // A connection opens the file (and sees it is in WAL mode) at its first read: before
        // that, a checkpoint does nothing and says it is done.
        db.scalar("PRAGMA schema_version");
        int log_pages = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &copied);
        if (rc != SQLITE_OK) sqlite::fail(db.handle(), rc, "checkpointing " + path);
        return 0;
    } catch (std::exception const& e) {
        // On the server's stderr, in its log format (spawn_checkpoint passes --log-format json)
        log::event(log::Level::error, "checkpoint failed", {{"file", path}, {"error", e.what()}});
        return 1;
    }
}

namespace sqlite_store {

void SqliteStore::checkpoint_here() {
    int log_pages = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) log::warn("store: checkpoint failed: ", sqlite3_errmsg(db_.handle()));
}

void SqliteStore::start_checkpoint(asio::any_io_executor executor) {
    if (*checkpointing_) return; // the one running copies this log too, or the next one will
    if (options_.checkpoint_program.empty()) return checkpoint_here();
    *checkpointing_ = true;
    asio::co_spawn(executor, checkpoint_elsewhere(alive_, checkpointing_), asio::detached);
}

namespace {

// Started with posix_spawn, which neither copies the server's page tables (a fork of a server
// holding a large import took 35 ms) nor runs anything of ours in the child, and with every
// descriptor above stderr closed in the child (Asio's sockets are inheritable). Not Boost.Process
// 1.81's launchers: the default one forks, and the vfork one calls the io_context's notify_fork
// in the memory the child shares with the server, which replaced the server's reactor and signal
// descriptors (SIGTERM went unheard). Throws std::system_error when it cannot.
pid_t spawn_checkpoint(std::string program, std::string path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    std::string flag = "--checkpoint-log", format_flag = "--log-format", json = "json";
    // Its only line, should it fail, in the server's own log format.
    bool const as_json = log::format() == log::Format::json;
    char* argv[] = {program.data(), flag.data(), path.data(), as_json ? format_flag.data() : nullptr, json.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + program);
    return pid;
}

// The child's exit status: Boost.Process waits on a pidfd; where one cannot be had (no
// descriptor left, an old kernel), a timer looks every 20 ms, so that no child is left a zombie.
asio::awaitable<int> exit_of(pid_t pid) {
    namespace bp = boost::process::v2;
    auto executor = co_await asio::this_coro::executor;
    std::optional<bp::process> child;
    try {
        child.emplace(executor, pid);
    } catch (std::exception const&) {
    }
    if (child) {
        auto [ec, native_status] = co_await child->async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) throw boost::system::system_error(ec, "waiting for the checkpoint process");
        co_return bp::evaluate_exit_code(native_status);
    }
    asio::steady_timer poll(executor);
    for (;;) {
        int status = 0;
        if (auto done = ::waitpid(pid, &status, WNOHANG); done == pid) co_return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        else if (done < 0) throw std::system_error(errno, std::generic_category(), "waitpid");
        poll.expires_after(std::chrono::milliseconds(20));
        co_await poll.async_wait(asio::use_awaitable);
    }
}

} // namespace

asio::awaitable<void> SqliteStore::checkpoint_elsewhere(std::shared_ptr<bool> alive, std::shared_ptr<bool> checkpointing) {
    struct Done { // whatever happens, the next checkpoint may start
        std::shared_ptr<bool> flag;
        ~Done() { *flag = false; }
    } done{std::move(checkpointing)};
    if (!*alive) co_return; // the store went before the coroutine began
    auto began = std::chrono::steady_clock::now();
    pid_t pid = -1;
    try {
        pid = spawn_checkpoint(options_.checkpoint_program, options_.path);
    } catch (std::exception const& e) {
        // Not left undone: the log would grow without end. Here, once, in this turn.
        log::warn("store: could not start the checkpoint process (", e.what(), "): checkpointing in this process");
        checkpoint_here();
        co_return;
    }
    try {
        auto status = co_await exit_of(pid);
        if (!*alive) co_return;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
        if (status != 0) log::warn("store: the checkpoint process ended with status ", status, " (tried again later)");
        else log::debug("store: checkpoint in its own process: ", ms, " ms");
    } catch (std::exception const& e) {
        if (*alive) log::warn("store: ", e.what());
    }
}

} // namespace sqlite_store

} // namespace brandchat
