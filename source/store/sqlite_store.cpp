#include "brandchat/store/sqlite_store.hpp"

#include "brandchat/catalog/ranking.hpp"
#include "brandchat/log.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>

namespace brandchat {

namespace asio = boost::asio;
namespace json = boost::json;

std::int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int sqlite_schema_version() { return store_schema::latest_version(); }

namespace {

// Rows deleted per expiry step, so a step is one small transaction.
constexpr int expiry_batch = 500;

std::string json_strings(std::vector<std::string> const& items) {
    json::array a;
    for (auto const& s : items) a.emplace_back(s);
    return json::serialize(a);
}

std::string json_pairs(std::vector<std::pair<std::string, std::string>> const& items) {
    json::object o;
    for (auto const& [k, v] : items) o[k] = v;
    return json::serialize(o);
}

// A JSON column back as values; what is not the expected shape reads as empty (the store wrote it).
std::vector<std::string> strings_of(std::string const& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (!ec && v.is_array())
        for (auto const& item : v.get_array())
            if (item.is_string()) out.emplace_back(item.get_string());
    return out;
}

std::vector<std::pair<std::string, std::string>> pairs_of(std::string const& text) {
    std::vector<std::pair<std::string, std::string>> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (!ec && v.is_object())
        for (auto const& [k, item] : v.get_object())
            out.emplace_back(std::string(k), item.is_string() ? std::string(item.get_string()) : json::serialize(item));
    return out;
}

// The exchanges of one turn of the event loop, and the signal their record() calls wait on.
struct Batch {
    explicit Batch(asio::any_io_executor executor) : written(std::move(executor), asio::steady_timer::time_point::max()) {}
    std::vector<Exchange> exchanges;
    asio::steady_timer written; // cancelled once the batch is committed (or failed)
    bool done = false;
};

class SqliteStore final : public Store {
public:
    explicit SqliteStore(StoreOptions options);
    ~SqliteStore() override;

    std::string describe() const override { return description_; }
    std::size_t brand_count() override { return static_cast<std::size_t>(db_.scalar("SELECT count(*) FROM brands")); }
    std::vector<Brand> load_brands() override;
    void save_brands(std::vector<Brand> const& brands) override;
    asio::awaitable<std::optional<Conversation>> load_conversation(std::string const& id, std::string const& brand_id,
                                                                   std::size_t max_turns) override;
    asio::awaitable<void> record(Exchange exchange) override;
    StoreCounters const& counters() const override { return counters_; }

private:
    asio::awaitable<void> commit_at_end_of_turn(std::shared_ptr<Batch> batch);
    void write(std::vector<Exchange> const& exchanges);
    void write_one(Exchange const& e);
    std::size_t expire_some(std::int64_t now_ms);
    std::int64_t cutoff(std::int64_t now_ms) const {
        return now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(options_.expiry).count();
    }

    StoreOptions options_;
    sqlite::Database db_;
    std::string description_;
    StoreCounters counters_;
    std::shared_ptr<Batch> open_batch_; // the one record() calls join until it is committed
    std::int64_t next_expiry_ms_ = 0;

    sqlite::Statement begin_, commit_, rollback_;
    sqlite::Statement upsert_conversation_, insert_turn_, upsert_usage_;
    sqlite::Statement find_conversation_, recent_turns_, expire_;
};

bool is_file(std::string const& path) { return path != ":memory:" && !path.empty(); }

SqliteStore::SqliteStore(StoreOptions options)
    : options_(std::move(options)), db_(options_.path.empty() ? ":memory:" : options_.path, true) {
    auto const& path = options_.path;
    if (is_file(path) && sqlite3_db_readonly(db_.handle(), "main") == 1)
        throw std::runtime_error("database " + path + " is read-only: give the server's user write access to it and its folder");
    store_schema::migrate(db_, path, store_schema::latest_version());
    try {
        if (is_file(path)) {
            // Committed transactions survive a crash of the process; a power loss can take the
            // last ones since a checkpoint (README, "Data"). WAL lets a backup read meanwhile.
            auto mode = db_.prepare("PRAGMA journal_mode = WAL");
            if (!mode.step() || mode.text(0) != "wal")
                throw std::runtime_error("database " + path + ": cannot use write-ahead logging (is its folder writable?)");
            db_.exec("PRAGMA synchronous = NORMAL");
        }
        db_.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 50; PRAGMA temp_store = MEMORY");
        begin_ = db_.prepare("BEGIN IMMEDIATE");
        commit_ = db_.prepare("COMMIT");
        rollback_ = db_.prepare("ROLLBACK");
        upsert_conversation_ = db_.prepare(R"sql(
            INSERT INTO conversations (id, brand_id, user_id, language, last_product_ids, last_confidence,
                                       prompt_tokens, completion_tokens, total_tokens, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
            ON CONFLICT (id) DO UPDATE SET
                user_id = coalesce(excluded.user_id, user_id), language = coalesce(excluded.language, language),
                last_product_ids = excluded.last_product_ids, last_confidence = excluded.last_confidence,
                prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                completion_tokens = completion_tokens + excluded.completion_tokens,
                total_tokens = total_tokens + excluded.total_tokens, updated_at = excluded.updated_at)sql");
        insert_turn_ = db_.prepare("INSERT INTO turns (conversation_id, role, content, created_at) VALUES (?1, ?2, ?3, ?4)");
        upsert_usage_ = db_.prepare(R"sql(
            INSERT INTO brand_usage (brand_id, replies, prompt_tokens, completion_tokens, total_tokens)
            VALUES (?1, 1, ?2, ?3, ?4)
            ON CONFLICT (brand_id) DO UPDATE SET replies = replies + 1,
                prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                completion_tokens = completion_tokens + excluded.completion_tokens,
                total_tokens = total_tokens + excluded.total_tokens)sql");
        find_conversation_ = db_.prepare(R"sql(
            SELECT user_id, language, last_product_ids, last_confidence, prompt_tokens, completion_tokens, total_tokens
            FROM conversations WHERE id = ?1 AND brand_id = ?2 AND updated_at >= ?3)sql");
        recent_turns_ = db_.prepare(R"sql(
            SELECT role, content FROM (SELECT id, role, content FROM turns WHERE conversation_id = ?1
                                       ORDER BY id DESC LIMIT ?2) ORDER BY id)sql");
        expire_ = db_.prepare(R"sql(
            DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE updated_at < ?1 LIMIT ?2))sql");
        // What expired while the server was down goes now, before anything is served.
        auto now = wall_clock_ms();
        while (expire_some(now) == expiry_batch) {}
    } catch (sqlite::Error const& e) {
        throw std::runtime_error("database " + path + ": " + e.what());
    }
    description_ = is_file(path) ? "SQLite file " + std::filesystem::absolute(path).string() : std::string("SQLite in memory (nothing kept)");
    description_ += ", schema " + std::to_string(store_schema::latest_version());
}

SqliteStore::~SqliteStore() {
    // Exchanges recorded in the loop's last turn, whose commit never ran (the loop stopped).
    if (open_batch_ && !open_batch_->exchanges.empty()) write(open_batch_->exchanges);
}

std::vector<Brand> SqliteStore::load_brands() {
    std::vector<Brand> out;
    auto brands = db_.prepare(R"sql(
        SELECT id, name, description, is_active, language, welcome_message, persona_prompt, system_prompt, model,
               company_info, appearance, allowed_origins, created_at, updated_at FROM brands ORDER BY id)sql");
    auto products = db_.prepare(R"sql(
        SELECT id, name, description, category, price, features, specifications, availability
        FROM products WHERE brand_id = ?1 ORDER BY position)sql");
    while (brands.step()) {
        Brand b;
        b.id = brands.text(0);
        b.name = brands.text(1);
        b.description = brands.text(2);
        b.is_active = brands.integer(3) != 0;
        if (auto language = parse_language_code(brands.text(4))) b.language = *language;
        b.welcome_message = brands.text(5);
        b.persona_prompt = brands.text(6);
        b.system_prompt = brands.text(7);
        b.model = brands.text(8);
        b.company.fields = pairs_of(brands.text(9));
        b.appearance_json = brands.text(10);
        b.allowed_origins = strings_of(brands.text(11));
        b.created_at = brands.text(12);
        b.updated_at = brands.text(13);
        products.bind(b.id);
        while (products.step()) {
            Product p;
            p.id = products.text(0);
            p.name = products.text(1);
            p.description = products.text(2);
            p.category = products.text(3);
            p.price = products.real(4);
            p.features = strings_of(products.text(5));
            p.specifications = pairs_of(products.text(6));
            p.availability = products.integer(7) != 0;
            derive_product_fields(p);
            b.products.push_back(std::move(p));
        }
        build_word_index(b);
        out.push_back(std::move(b));
    }
    return out;
}

void SqliteStore::save_brands(std::vector<Brand> const& brands) {
    auto upsert = db_.prepare(R"sql(
        INSERT INTO brands (id, name, description, is_active, language, welcome_message, persona_prompt, system_prompt,
                            model, company_info, appearance, allowed_origins, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
            is_active = excluded.is_active, language = excluded.language, welcome_message = excluded.welcome_message,
            persona_prompt = excluded.persona_prompt, system_prompt = excluded.system_prompt, model = excluded.model,
            company_info = excluded.company_info, appearance = excluded.appearance,
            allowed_origins = excluded.allowed_origins, created_at = excluded.created_at,
            updated_at = excluded.updated_at)sql");
    auto clear = db_.prepare("DELETE FROM products WHERE brand_id = ?1");
    auto insert = db_.prepare(R"sql(
        INSERT INTO products (brand_id, id, position, name, description, category, price, features, specifications,
                              availability) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql");
    begin_.bind().run();
    try {
        for (auto const& b : brands) {
            upsert.bind(b.id, b.name, b.description, b.is_active, language_code(b.language), b.welcome_message,
                        b.persona_prompt, b.system_prompt, b.model, json_pairs(b.company.fields),
                        b.appearance_json.empty() ? std::string("{}") : b.appearance_json, json_strings(b.allowed_origins),
                        b.created_at, b.updated_at)
                .run();
            clear.bind(b.id).run();
            std::int64_t position = 0;
            for (auto const& p : b.products)
                insert.bind(b.id, p.id, position++, p.name, p.description, p.category, p.price, json_strings(p.features),
                            json_pairs(p.specifications), p.availability)
                    .run();
        }
        commit_.bind().run();
    } catch (...) {
        rollback_.bind().step();
        throw;
    }
}

asio::awaitable<std::optional<Conversation>> SqliteStore::load_conversation(std::string const& id, std::string const& brand_id,
                                                                          std::size_t max_turns) {
    std::optional<Conversation> out;
    try {
        find_conversation_.bind(id, brand_id, cutoff(wall_clock_ms()));
        if (!find_conversation_.step()) co_return out;
        auto& c = out.emplace();
        c.id = id;
        c.brand_id = brand_id;
        if (!find_conversation_.null(0)) c.user_id = find_conversation_.text(0);
        if (!find_conversation_.null(1)) c.language = parse_language_code(find_conversation_.text(1));
        c.last_product_ids = strings_of(find_conversation_.text(2));
        if (!find_conversation_.null(3)) c.last_confidence = find_conversation_.real(3);
        c.usage.prompt = static_cast<std::uint64_t>(find_conversation_.integer(4));
        c.usage.completion = static_cast<std::uint64_t>(find_conversation_.integer(5));
        c.usage.total = static_cast<std::uint64_t>(find_conversation_.integer(6));
        find_conversation_.reset();
        recent_turns_.bind(id, static_cast<std::int64_t>(max_turns));
        while (recent_turns_.step())
            c.turns.push_back({recent_turns_.text(0) == "user" ? Turn::Role::user : Turn::Role::assistant, recent_turns_.text(1)});
        recent_turns_.reset();
        ++counters_.conversations_loaded;
    } catch (sqlite::Error const& e) {
        // The customer goes on in a new conversation rather than getting no reply.
        log::error("store: could not read conversation ", id, ": ", e.what());
        out.reset();
    }
    co_return out;
}

asio::awaitable<void> SqliteStore::record(Exchange exchange) {
    auto executor = co_await asio::this_coro::executor;
    if (!open_batch_) {
        open_batch_ = std::make_shared<Batch>(executor);
        asio::co_spawn(executor, commit_at_end_of_turn(open_batch_), asio::detached);
    }
    auto batch = open_batch_;
    batch->exchanges.push_back(std::move(exchange));
    while (!batch->done) {
        co_await batch->written.async_wait(asio::as_tuple(asio::use_awaitable));
        // Cancelled from outside (the connection is closing): the exchange is still written.
        if (!batch->done && (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
            co_return;
    }
}

asio::awaitable<void> SqliteStore::commit_at_end_of_turn(std::shared_ptr<Batch> batch) {
    // Every reply that ends in this turn of the loop joins the batch before it is written.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (open_batch_ == batch) open_batch_.reset();
    write(batch->exchanges);
    batch->done = true;
    batch->written.cancel();
}

void SqliteStore::write(std::vector<Exchange> const& exchanges) {
    if (exchanges.empty()) return;
    try {
        begin_.bind().run();
        try {
            for (auto const& e : exchanges) write_one(e);
            auto now = wall_clock_ms();
            if (now >= next_expiry_ms_) {
                expire_some(now);
                next_expiry_ms_ = now + std::clamp<std::int64_t>((now - cutoff(now)) / 4, 1000, 60000);
            }
            commit_.bind().run();
        } catch (...) {
            rollback_.bind().step();
            throw;
        }
        counters_.exchanges_written += exchanges.size();
        ++counters_.commits;
    } catch (sqlite::Error const& e) {
        counters_.write_errors += exchanges.size();
        log::error("store: ", exchanges.size(), exchanges.size() == 1 ? " exchange" : " exchanges",
                   " not kept: ", e.what(), e.disk_full() ? " (the disk is full)" : "");
    }
}

void SqliteStore::write_one(Exchange const& e) {
    std::optional<std::string> language;
    if (e.language) language = std::string(language_code(*e.language));
    upsert_conversation_
        .bind(e.conversation_id, e.brand_id, e.user_id, language, json_strings(e.last_product_ids), e.last_confidence,
              e.usage.prompt, e.usage.completion, e.usage.total, e.at_ms)
        .run();
    insert_turn_.bind(e.conversation_id, "user", e.user_text, e.at_ms).run();
    if (!e.reply_text.empty()) insert_turn_.bind(e.conversation_id, "assistant", e.reply_text, e.at_ms).run();
    upsert_usage_.bind(e.brand_id, e.usage.prompt, e.usage.completion, e.usage.total).run();
}

std::size_t SqliteStore::expire_some(std::int64_t now_ms) {
    expire_.bind(cutoff(now_ms), expiry_batch).run();
    auto n = static_cast<std::size_t>(db_.changes());
    counters_.conversations_expired += n;
    return n;
}

} // namespace

std::unique_ptr<Store> open_sqlite_store(StoreOptions const& options) {
    try {
        return std::make_unique<SqliteStore>(options);
    } catch (sqlite::Error const& e) {
        throw std::runtime_error(std::string(e.what()) + " (--database " + options.path + ")");
    }
}

void create_sqlite_schema_at(std::string const& path, int version) {
    sqlite::Database db(path, true);
    store_schema::migrate(db, path, version);
}

} // namespace brandchat
