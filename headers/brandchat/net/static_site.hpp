// A folder of static files read once at start and served from memory: the chat page's
// (resources/ui/, under /ui/) and the API documents' (resources/api/: /openapi.json,
// /asyncapi.json, /docs). Nothing else on disk is reachable: a request names an entry of this
// table or nothing.
//
// load() takes the folder's regular files (subfolders included), a few KB each; a symlink is
// taken only when its target is a regular file inside the folder. Each file keeps its content
// type, a strong ETag from its SHA-256, and a gzip copy when that is smaller by a tenth or more.
// find() takes the path within the site (after /ui/ for the chat page) as the client sent it:
// percent-decoded once, it must be relative, with no empty, "." or ".." segment, no backslash,
// NUL or other control byte, and at most max_path_bytes; "" and a path ending in "/" mean that
// folder's index.html.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct StaticFile {
    std::string content_type;
    std::string body;
    std::string gzip_body;   // empty when compression does not pay
    std::string etag;        // of body, quoted; the gzip copy's is etag_gzip
    std::string etag_gzip;
};

class StaticSite {
public:
    static constexpr std::size_t max_path_bytes = 1024;
    static constexpr std::size_t max_file_bytes = 8 * 1024 * 1024;

    // Reads `folder`. Files it cannot or may not serve are skipped; each skip is described in
    // `skipped` (for the start-up log). A missing folder gives an empty site.
    static StaticSite load(std::string const& folder, std::vector<std::string>* skipped = nullptr);

    // The file for a request path within the site (after "/ui/" for the chat page), or nullptr.
    StaticFile const* find(std::string_view request_path) const;

    // The table key a request path names, or nullopt when the path is refused (see above).
    static std::optional<std::string> normalize(std::string_view request_path);

    std::size_t size() const { return files_.size(); }
    void add(std::string relative_path, std::string body); // for load() and tests

private:
    std::map<std::string, StaticFile, std::less<>> files_;
};

// Whether an Accept-Encoding header accepts gzip (a q-value of 0 refuses it).
bool accepts_gzip(std::string_view accept_encoding);

// Whether an If-None-Match header (a list of ETags, or "*") matches `etag`.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

} // namespace brandchat
