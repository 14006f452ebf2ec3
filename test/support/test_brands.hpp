// The bundled brands, loaded once for tests that rank or answer from a real catalog.
#pragma once

#include "brandchat/catalog/brand.hpp"

namespace brandchat::test {

inline BrandCatalog const& bundled_brands() {
    static BrandCatalog const catalog = BrandCatalog::load_directory(BRANDCHAT_SOURCE_RESOURCES "/brands");
    return catalog;
}

inline Brand const& bundled(std::string const& id) { return *bundled_brands().find(id); }

} // namespace brandchat::test
