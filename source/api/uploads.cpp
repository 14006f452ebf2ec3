// Product files: POST /brands/{brand_id}/upload/products takes a multipart/form-data field
// `file` (`curl -F file=@products.csv`), a JSON file (an array of products, or one) or a CSV file,
// and imports it all or nothing as the bulk import does; GET /uploads lists the uploads.
//
// The CSV layout is the original system's: a header line naming the columns, in any order,
// id,name,description,category,price,features,specifications,availability,image_url,url (name,
// category and price needed; others may be left out); `features` one cell of comma-separated items
// ("Cotton blend, Machine washable"); `specifications` one cell holding a JSON object
// ("{""size"": ""S-XL""}", quotes doubled as CSV quotes them); `availability` true/false, 1/0 or
// yes/no, empty for true. Quoting is RFC 4180's (libcsv). An invalid cell is named as
// ("file", row, column), row 0 being the first line after the header.
#include "api_call.hpp"
#include "brandchat/language/text.hpp"

#include "brandchat/net/form_data.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/json.hpp>
#include <csv.h>

#include <algorithm>

namespace brandchat::api {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kept_uploads = 200;

struct CsvRows {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    static void field(void* text, std::size_t size, void* self) {
        static_cast<CsvRows*>(self)->row.emplace_back(text ? static_cast<char const*>(text) : "", text ? size : 0);
    }
    static void end_row(int, void* self) {
        auto* r = static_cast<CsvRows*>(self);
        r->rows.push_back(std::move(r->row));
        r->row.clear();
    }
};

// The file's rows as products in JSON (what read_product reads), with the cells that cannot be
// read noted (and left out of their row); nothing when the file as a whole is not CSV.
std::optional<json::array> products_of_csv(std::string_view text, FieldErrors& errors) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3); // a byte order mark, as spreadsheets write
    if (!valid_utf8(text)) { // its cells become products' text
        errors.add({"file"}, "The file is not UTF-8 text (save it as CSV UTF-8)", "string_unicode");
        return std::nullopt;
    }
    CsvRows parsed;
    csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::runtime_error("libcsv could not start");
    bool ok = csv_parse(&parser, text.data(), text.size(), CsvRows::field, CsvRows::end_row, &parsed) == text.size() &&
              csv_fini(&parser, CsvRows::field, CsvRows::end_row, &parsed) == 0;
    std::string why = ok ? "" : csv_strerror(csv_error(&parser));
    csv_free(&parser);
    if (!ok) {
        errors.add({"file"}, "Not valid CSV: " + why + " (after row " + std::to_string(parsed.rows.size()) + ")", "csv_invalid");
        return std::nullopt;
    }
    if (parsed.rows.empty()) {
        errors.add({"file"}, "The CSV file is empty: it needs a header line naming the columns", "csv_invalid");
        return std::nullopt;
    }
    auto header = parsed.rows.front();
    for (auto& h : header) {
        h.erase(0, h.find_first_not_of(" \t"));
        h.erase(h.find_last_not_of(" \t") + 1);
        std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    for (auto needed : {"name", "category", "price"})
        if (std::find(header.begin(), header.end(), needed) == header.end())
            errors.add({"file", "header"}, std::string("The header names no '") + needed + "' column", "missing");
    if (!errors.empty()) return std::nullopt;
    json::array out; // with errors noted in cells, which read_product then does not see
    for (std::size_t r = 1; r < parsed.rows.size(); ++r) {
        auto const& cells = parsed.rows[r];
        json::array loc{"file", r - 1};
        json::object p;
        for (std::size_t c = 0; c < header.size() && c < cells.size(); ++c) {
            auto const& key = header[c];
            auto const& cell = cells[c];
            if (key == "features") {
                json::array features;
                for (std::size_t at = 0; at <= cell.size();) {
                    auto end = std::min(cell.find(',', at), cell.size());
                    auto item = cell.substr(at, end - at);
                    item.erase(0, item.find_first_not_of(" \t"));
                    item.erase(item.find_last_not_of(" \t") + 1);
                    if (!item.empty()) features.emplace_back(item);
                    at = end + 1;
                }
                p["features"] = std::move(features);
            } else if (key == "specifications") {
                if (cell.find_first_not_of(" \t") == std::string::npos) continue;
                boost::system::error_code ec;
                auto v = json::parse(cell, ec);
                if (ec || !v.is_object()) errors.add(at(loc, "specifications"), "A JSON object such as {\"size\": \"S-XL\"} is needed here", "dict_type");
                else p["specifications"] = std::move(v);
            } else if (key == "availability") {
                auto v = cell;
                std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
                if (v == "true" || v == "1" || v == "yes") p["availability"] = true;
                else if (v == "false" || v == "0" || v == "no") p["availability"] = false;
                else if (!v.empty()) errors.add(at(loc, "availability"), "Input should be true or false", "bool_type");
            } else if (key == "id" || key == "name" || key == "description" || key == "category" || key == "price" || key == "brand_id" ||
                       key == "image_url" || key == "url") {
                if (!cell.empty() || key == "name") p[key] = cell;
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

void remember(ServerContext& server, UploadRecord record) {
    auto& kept = server.uploads;
    kept.push_back(std::move(record));
    if (kept.size() > kept_uploads) kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(kept.size() - kept_uploads));
}

bool ends_with_nocase(std::string const& name, std::string_view suffix) {
    if (name.size() < suffix.size()) return false;
    auto tail = name.substr(name.size() - suffix.size());
    std::transform(tail.begin(), tail.end(), tail.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return tail == suffix;
}

asio::awaitable<HttpResponse> upload_products(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    std::string why;
    auto parts = parse_form_data(call.request.content_type, call.request.body, why);
    if (!parts) co_return detail(400, "Expected a multipart/form-data upload with a 'file' field: " + why);
    auto file = std::find_if(parts->begin(), parts->end(), [](FormPart const& p) { return p.name == "file"; });
    FieldErrors errors;
    if (file == parts->end()) {
        errors.add({"body", "file"}, "Field required", "missing");
        co_return errors.answer();
    }
    if (!valid_utf8(file->filename)) { // kept and shown in GET /uploads
        errors.add({"body", "file", "filename"}, "Input should be a valid string, unable to parse raw data as a unicode string",
                   "string_unicode");
        co_return errors.answer();
    }
    bool csv = ends_with_nocase(file->filename, ".csv");
    if (!csv && !ends_with_nocase(file->filename, ".json"))
        co_return detail(400, "Unsupported file type. Supported formats: .json, .csv");
    UploadRecord record{random_id("upl-", 12), brand->id, file->filename, now_text(), "failed", file->body.size(), 0};
    std::optional<json::array> rows;
    json::array const file_loc{"file"}; // named: GCC 12 cannot take a braced list as a coroutine's argument
    if (csv) {
        rows = products_of_csv(file->body, errors);
    } else if (auto v = co_await large_json(file->body, file_loc, errors)) {
        if (v->is_array()) rows = std::move(v->get_array());
        else if (v->is_object()) rows = json::array{std::move(*v)};
        else errors.add({"file"}, "A JSON file of products holds an array of them, or one object", "list_type");
    }
    if (!rows) { // not even rows: the file as a whole is wrong
        remember(call.server, std::move(record));
        co_return errors.answer();
    }
    auto outcome = co_await import_rows(call, brand->id, *rows, file_loc, std::move(errors)); // with the CSV's cell errors
    if (!outcome.errors.empty()) {
        remember(call.server, std::move(record));
        co_return outcome.errors.answer();
    }
    record.status = "success";
    record.products_added = outcome.imported;
    auto filename = record.filename, id = record.upload_id;
    remember(call.server, std::move(record));
    co_return json_answer(json::object{{"message", "Successfully uploaded " + filename + " and added " + std::to_string(outcome.imported) +
                                                       " products to " + brand->id},
                                       {"filename", filename},
                                       {"products_added", outcome.imported},
                                       {"upload_id", id}});
}

json::object upload_json(UploadRecord const& u) {
    return json::object{{"upload_id", u.upload_id}, {"brand_id", u.brand_id},     {"filename", u.filename},
                        {"upload_time", u.upload_time}, {"file_size", u.file_size}, {"products_added", u.products_added},
                        {"status", u.status}};
}

// A brand key sees its brand's uploads; an admin key every one.
asio::awaitable<HttpResponse> list_uploads(ApiCall& call) {
    json::array out;
    for (auto const& u : call.server.uploads)
        if (call.principal->may_act_on(u.brand_id)) out.push_back(upload_json(u));
    co_return json_answer(out);
}

asio::awaitable<HttpResponse> find_upload(ApiCall& call) {
    for (auto const& u : call.server.uploads)
        if (u.filename == call.param(0) && call.principal->may_act_on(u.brand_id)) co_return json_answer(upload_json(u));
    co_return detail(404, "File not found");
}

constexpr Route routes[] = {
    {"POST", "/brands/{brand_id}/upload/products", Access::brand, upload_products},
    {"GET", "/uploads", Access::brand, list_uploads},
    {"GET", "/uploads/{filename}", Access::brand, find_upload}, // no {brand_id}: any key, and it shows what the key may see
};

} // namespace

std::span<Route const> upload_routes() { return routes; }

} // namespace brandchat::api
