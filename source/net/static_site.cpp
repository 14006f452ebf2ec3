#include "brandchat/net/static_site.hpp"

#include "brandchat/net/field_values.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace brandchat {

namespace fs = std::filesystem;

namespace {

std::string content_type_for(std::string_view path) {
    auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".json")) return "application/json";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".txt")) return "text/plain; charset=utf-8";
    if (ends(".png")) return "image/png";
    if (ends(".ico")) return "image/x-icon";
    if (ends(".webp")) return "image/webp";
    return "application/octet-stream";
}

bool compressible(std::string_view content_type) {
    return content_type.starts_with("text/") || content_type == "application/json" || content_type == "image/svg+xml";
}

std::string gzip(std::string_view data) {
    z_stream z{};
    // windowBits 15 + 16: a gzip wrapper (RFC 1952), which every browser takes as Content-Encoding: gzip.
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : std::string();
}

std::string strong_etag(std::string_view data, std::string_view suffix) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string tag = "\"";
    for (unsigned i = 0; i < 16 && i < length; ++i) {
        tag += hex[digest[i] >> 4];
        tag += hex[digest[i] & 15];
    }
    return tag.append(suffix) + "\"";
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<std::string> StaticSite::normalize(std::string_view request_path) {
    if (request_path.size() > max_path_bytes) return std::nullopt;
    std::string decoded;
    decoded.reserve(request_path.size());
    for (std::size_t i = 0; i < request_path.size(); ++i) {
        char c = request_path[i];
        if (c == '%') {
            int hi = i + 2 < request_path.size() ? hex_value(request_path[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(request_path[i + 2]) : -1;
            if (lo < 0) return std::nullopt; // a malformed escape
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        // Decoded once: a "%" that decoding produced stays a "%", so "%252e" names "%2e", not ".".
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return std::nullopt;
        decoded += c;
    }
    if (decoded.empty() || decoded.back() == '/') decoded += "index.html";
    std::string_view rest = decoded;
    for (;;) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        if (segment.empty() || segment == "." || segment == "..") return std::nullopt; // "//abs", "a//b", "./", "../"
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return decoded;
}

StaticFile const* StaticSite::find(std::string_view request_path) const {
    auto key = normalize(request_path);
    if (!key) return nullptr;
    auto it = files_.find(*key);
    return it == files_.end() ? nullptr : &it->second;
}

void StaticSite::add(std::string relative_path, std::string body) {
    StaticFile file;
    file.content_type = content_type_for(relative_path);
    file.etag = strong_etag(body, "");
    if (compressible(file.content_type)) {
        auto packed = gzip(body);
        if (!packed.empty() && packed.size() * 10 <= body.size() * 9) {
            file.gzip_body = std::move(packed);
            file.etag_gzip = strong_etag(body, "-gz");
        }
    }
    file.body = std::move(body);
    files_.insert_or_assign(std::move(relative_path), std::move(file));
}

StaticSite StaticSite::load(std::string const& folder, std::vector<std::string>* skipped) {
    StaticSite site;
    auto skip = [&](fs::path const& p, std::string const& why) {
        if (skipped) skipped->push_back(p.string() + ": " + why);
    };
    std::error_code ec;
    fs::path root = fs::canonical(folder, ec);
    if (ec) return site;
    // Directory symlinks are not followed; a file symlink is checked below.
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        auto const& entry = *it;
        fs::path source = entry.path();
        auto status = entry.symlink_status(ec);
        if (ec) break;
        if (fs::is_symlink(status)) {
            fs::path target = fs::canonical(source, ec);
            auto [end_of_root, at] = std::mismatch(root.begin(), root.end(), target.begin(), target.end());
            if (ec || end_of_root != root.end() || !fs::is_regular_file(target)) {
                skip(source, "a symbolic link to something other than a file in the folder");
                ec.clear();
                continue;
            }
            source = target;
        } else if (!fs::is_regular_file(status)) {
            continue; // folders are walked; sockets, devices and the like are never served
        }
        auto size = fs::file_size(source, ec);
        if (ec || size > max_file_bytes) {
            skip(source, ec ? ec.message() : "larger than 8 MiB");
            ec.clear();
            continue;
        }
        std::ifstream in(source, std::ios::binary);
        std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in && !in.eof()) {
            skip(source, "could not be read");
            continue;
        }
        auto relative = entry.path().lexically_relative(root).generic_string();
        if (!normalize(relative)) {
            skip(entry.path(), "a name that no request can name");
            continue;
        }
        site.add(std::move(relative), std::move(body));
    }
    return site;
}

bool accepts_gzip(std::string_view accept_encoding) {
    std::optional<bool> gzip_listed, any_listed;
    for_each_list_element(accept_encoding, [&](std::string_view item) {
        auto semicolon = item.find(';');
        auto coding = trim_whitespace(item.substr(0, semicolon));
        bool acceptable = true;
        if (semicolon != std::string_view::npos) {
            auto param = trim_whitespace(item.substr(semicolon + 1));
            if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                auto q = trim_whitespace(param.substr(2));
                // q=0, 0.0, 0.00, 0.000: "not acceptable"; anything else is some preference.
                acceptable = !(q.starts_with("0") && q.find_first_not_of("0.") == std::string_view::npos);
            }
        }
        if (iequals_ascii(coding, "gzip") || iequals_ascii(coding, "x-gzip")) gzip_listed = acceptable;
        else if (coding == "*") any_listed = acceptable;
    });
    if (gzip_listed) return *gzip_listed;
    return any_listed.value_or(false);
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    bool match = false;
    for_each_list_element(if_none_match, [&](std::string_view tag) {
        if (tag == "*") match = true;
        if (tag.starts_with("W/")) tag.remove_prefix(2); // If-None-Match compares weakly (RFC 9110 13.1.2)
        if (tag == etag) match = true;
    });
    return match;
}

} // namespace brandchat
