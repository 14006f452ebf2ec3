// Brand files imported at start: a bad file, a bad product or a repeated id is skipped and said
// (file, line, what is wrong); everything else loads.
#include <doctest/doctest.h>

#include "brandchat/catalog/brand.hpp"

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace brandchat;
namespace fs = std::filesystem;

namespace {

struct Folder {
    fs::path path;
    Folder() {
        std::string pattern = (fs::temp_directory_path() / "brandchat-files-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~Folder() { fs::remove_all(path); }
    void write(std::string const& name, std::string const& text) const { std::ofstream(path / name) << text; }
};

bool mentions(std::vector<std::string> const& problems, std::string const& a, std::string const& b) {
    for (auto const& p : problems)
        if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("a bad brand file, a bad product and a repeated id are skipped with file, line and reason") {
    Folder dir;
    dir.write("a_good.json", R"({"id": "good", "name": "Good Shop",
  "products": [
    {"id": "p1", "name": "Kettle", "category": "Kitchen", "price": 250000},
    {"id": "p2", "name": "Toaster", "category": "Kitchen"},
    {"id": "p1", "name": "Kettle again", "category": "Kitchen", "price": 1},
    {"id": "p3", "name": "Mixer", "category": "Kitchen", "price": 900000},
    {"id": "p4", "name": "Blender", "category": "Kitchen", "price": 1, "image_url": "javascript:alert"},
    {"id": "p5", "name": "Juicer", "category": "Kitchen", "price": 2, "image_url": "https://img.example/j.png", "url": "http://shop.example/j"}
  ]})");
    dir.write("b_broken.json", "{\"id\": \"broken\",\n \"name\": \"Broken\",\n \"products\": [\n {\"id\": \"x\" \"name\": 1}\n]}");
    dir.write("c_nameless.json", R"({"id": "nameless"})");
    dir.write("d_twin.json", R"({"id": "good", "name": "Same id as a_good"})");

    std::vector<std::string> problems;
    auto brands = BrandCatalog::read_directory(dir.path.string(), &problems);
    REQUIRE(brands.size() == 1);
    CHECK(brands[0].id == "good");
    REQUIRE(brands[0].products.size() == 3);
    CHECK(brands[0].products[0].id == "p1");
    CHECK(brands[0].products[0].name == "Kettle");
    CHECK(brands[0].products[0].json.find("image_url") == std::string::npos); // none: not in its JSON
    CHECK(brands[0].products[1].id == "p3");
    CHECK(brands[0].products[2].image_url == "https://img.example/j.png");
    CHECK(brands[0].products[2].json.find(R"("url":"http://shop.example/j")") != std::string::npos);

    CHECK(problems.size() == 6);
    CHECK(mentions(problems, "a_good.json: line 7, product 5", "\"image_url\" must be an http or https address"));
    CHECK(mentions(problems, "a_good.json: line 4, product 2", "\"price\" must be a number"));
    CHECK(mentions(problems, "a_good.json: line 5, product 3", "used twice"));
    CHECK(mentions(problems, "b_broken.json: line 4", "not valid JSON"));
    CHECK(mentions(problems, "c_nameless.json", "\"name\" must be a string"));
    CHECK(mentions(problems, "d_twin.json", "earlier file"));

    // Without a list to report to, the first bad file stops the import, naming it.
    CHECK_THROWS_WITH_AS(BrandCatalog::read_directory(dir.path.string()), doctest::Contains("a_good.json"), std::runtime_error);
}
