#include "brandchat/net/static_site.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace brandchat;
namespace fs = std::filesystem;

namespace {

std::string gunzip(std::string const& packed) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = static_cast<uInt>(packed.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

void write_file(fs::path const& p, std::string const& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A folder like resources/ui, with a secret next to it and links that point in and out.
struct UiFolder {
    fs::path top = fs::temp_directory_path() / ("brandchat-ui-" + std::to_string(::getpid()));
    fs::path ui = top / "ui";
    UiFolder() {
        fs::remove_all(top);
        std::string page = "<!doctype html><title>chat</title>" + std::string(2000, ' ') + "<p>hello</p>";
        write_file(ui / "index.html", page);
        write_file(ui / "app.js", "export const x = 1;\n");
        write_file(ui / "img" / "logo.png", std::string("\x89PNG\r\n", 6));
        write_file(ui / "docs" / "index.html", "<p>docs</p>");
        write_file(top / "secret.txt", "OPENAI_API_KEY=sk-secret");
        fs::create_symlink(top / "secret.txt", ui / "leak.txt");       // out: refused
        fs::create_symlink(top, ui / "up");                             // a folder out: not walked
        fs::create_symlink("/etc/passwd", ui / "passwd");               // out: refused
        fs::create_symlink(ui / "app.js", ui / "alias.js");             // in: served
    }
    ~UiFolder() { fs::remove_all(top); }
};

} // namespace

TEST_CASE("request paths: decoded once, relative, no empty, dot or dot-dot segment, no control bytes") {
    CHECK(StaticSite::normalize("") == "index.html");
    CHECK(StaticSite::normalize("app.js") == "app.js");
    CHECK(StaticSite::normalize("docs/") == "docs/index.html");
    CHECK(StaticSite::normalize("img/logo%2Epng") == "img/logo.png");
    CHECK(StaticSite::normalize("a%20b.css") == "a b.css");
    for (char const* refused : {"/etc/passwd", "//etc/passwd", "..", "../secret.txt", "a/../../secret.txt", "./index.html",
                                "a/./b", "a//b", "%2e%2e/secret.txt", "%2E%2E%2Fsecret.txt", "..%2fsecret.txt", "%2fetc%2fpasswd",
                                "..\\secret.txt", "a\\b", "%5c..%5csecret.txt", "index.html%00.png", "a%0ab", "a%7fb", "%",
                                "%2", "%zz", "%g0"}) {
        INFO(refused);
        CHECK_FALSE(StaticSite::normalize(refused));
    }
    CHECK_FALSE(StaticSite::normalize(std::string_view("index.html\0", 11)));
    // Double encoding stays encoded: "%252e%252e" names a file called "%2e%2e", not "..".
    CHECK(StaticSite::normalize("%252e%252e/secret.txt") == "%2e%2e/secret.txt");
    CHECK(StaticSite::normalize(std::string(StaticSite::max_path_bytes, 'a')));
    CHECK_FALSE(StaticSite::normalize(std::string(StaticSite::max_path_bytes + 1, 'a')));
    CHECK_FALSE(StaticSite::normalize(std::string(100000, '/')));
}

TEST_CASE("the page is read once; only its own files are reachable, links out are refused") {
    UiFolder folder;
    std::vector<std::string> skipped;
    auto site = StaticSite::load(folder.ui.string(), &skipped);
    CHECK(site.size() == 5); // index.html, app.js, img/logo.png, docs/index.html, alias.js
    REQUIRE(site.find(""));
    CHECK(site.find("")->content_type == "text/html; charset=utf-8");
    CHECK(site.find("index.html") == site.find(""));
    REQUIRE(site.find("alias.js"));
    CHECK(site.find("alias.js")->body == "export const x = 1;\n");
    CHECK(site.find("app.js")->content_type == "text/javascript; charset=utf-8");
    CHECK(site.find("img/logo.png")->content_type == "image/png");
    CHECK(site.find("docs/")->body == "<p>docs</p>");
    for (char const* unreachable : {"leak.txt", "passwd", "up/secret.txt", "../secret.txt", "%2e%2e/secret.txt", "/etc/passwd",
                                    "img", "img/", "nope.html"}) {
        INFO(unreachable);
        CHECK(site.find(unreachable) == nullptr);
    }
    CHECK(skipped.size() == 3); // leak.txt, passwd, up
    // Read once: the disk can change or vanish; what is served does not.
    fs::remove_all(folder.ui);
    REQUIRE(site.find("app.js"));
    CHECK(site.find("app.js")->body == "export const x = 1;\n");
}

TEST_CASE("a compressible file carries a gzip copy with its own ETag; a tiny or binary one does not") {
    UiFolder folder;
    auto site = StaticSite::load(folder.ui.string());
    auto const* page = site.find("index.html");
    REQUIRE(page);
    REQUIRE_FALSE(page->gzip_body.empty());
    CHECK(page->gzip_body.size() < page->body.size() / 2);
    CHECK(gunzip(page->gzip_body) == page->body);
    CHECK(page->etag.front() == '"');
    CHECK(page->etag != page->etag_gzip);
    CHECK(site.find("img/logo.png")->gzip_body.empty());
    CHECK(site.find("app.js")->gzip_body.empty()); // 20 bytes: gzip's header costs more than it saves
    // The ETag follows the content, not the file's time.
    StaticSite other;
    other.add("index.html", page->body);
    CHECK(other.find("")->etag == page->etag);
    other.add("index.html", page->body + " ");
    CHECK(other.find("")->etag != page->etag);
}

TEST_CASE("Accept-Encoding and If-None-Match are read as lists") {
    CHECK(accepts_gzip("gzip"));
    CHECK(accepts_gzip("gzip, deflate, br"));
    CHECK(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    CHECK(accepts_gzip("*"));
    CHECK_FALSE(accepts_gzip(""));
    CHECK_FALSE(accepts_gzip("br, deflate"));
    CHECK_FALSE(accepts_gzip("gzip;q=0"));
    CHECK_FALSE(accepts_gzip("gzip; q=0.000"));
    CHECK_FALSE(accepts_gzip("*, gzip;q=0"));
    CHECK(accepts_gzip("gzip;q=0.001"));
    CHECK(etag_matches("\"abc\"", "\"abc\""));
    CHECK(etag_matches("\"x\", \"abc\"", "\"abc\""));
    CHECK(etag_matches("W/\"abc\"", "\"abc\""));
    CHECK(etag_matches("*", "\"abc\""));
    CHECK_FALSE(etag_matches("\"abcd\"", "\"abc\""));
    CHECK_FALSE(etag_matches("", "\"abc\""));
}
