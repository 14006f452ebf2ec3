#!/usr/bin/env python3
"""Writes a large brand file for benchmarks, generated from the bundled TechPro catalog.

    make_catalog.py --out DIR [--products N] [--brand-id ID] [--name NAME] [--seed S] [--from FILE]

DIR/ID.json gets the brand of FILE (default resources/brands/techpro.json) under another id and
name, with N products (default 100,000): each is one of FILE's products, picked in turn, with a
series word and a model number appended to its name ("Dell XPS 13 Plus Nova X4821"), its price
scaled by 0.55-1.8 (rounded to Rp ...99.000), a unique id (laptop-000001, phone-000002, ...), one
of four of them out of stock, and its category, description, features and specifications as they
are. The same arguments write the same file, byte for byte (a fixed seed). Standard library only;
the file is generated where a benchmark needs it (tools/bench --only catalog), never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SOURCE = os.path.join(ROOT, "resources", "brands", "techpro.json")

SERIES = ["Pro", "Plus", "Max", "Lite", "Ultra", "Air", "Neo", "Edge", "Prime", "Vision", "Nova", "Flex",
          "Studio", "Go", "Core", "Elite", "Active", "Smart", "Classic", "Turbo"]
MODEL_LETTERS = "ABCDEFGHJKLMNPRSTVXZ"


def id_prefix(product_id):
    """'laptop-001' -> 'laptop'."""
    return product_id.rsplit("-", 1)[0] if "-" in product_id else product_id


def scaled_price(price, factor):
    """A price scaled by factor, in whole rupiah ending in 99.000, as the catalog's are (at least Rp 99.000)."""
    return float(max(99_000, round(price * factor / 100_000) * 100_000 - 1_000))


def make_products(base, count, seed):
    """count products made from the list base (pure; the same arguments give the same list)."""
    rng = random.Random(seed)
    width = max(6, len(str(count)))
    products = []
    for i in range(count):
        src = base[i % len(base)]
        series = rng.choice(SERIES)
        model = f"{rng.choice(MODEL_LETTERS)}{rng.randrange(100, 10_000)}"
        product = {
            "id": f"{id_prefix(src['id'])}-{i + 1:0{width}d}",
            "name": f"{src['name']} {series} {model}",
            "description": src.get("description", ""),
            "category": src["category"],
            "price": scaled_price(src["price"], rng.uniform(0.55, 1.8)),
            "features": list(src.get("features", [])),
            "specifications": dict(src.get("specifications", {})),
            "availability": rng.random() >= 0.125,
        }
        products.append(product)
    return products


def make_brand(source, count, brand_id, name, seed):
    """The brand of source (a parsed brand file) as brand_id / name with count generated products (pure)."""
    old_name = source.get("name", "")

    def renamed(value):
        if isinstance(value, str):
            return value.replace(old_name, name) if old_name else value
        if isinstance(value, dict):
            return {k: renamed(v) for k, v in value.items()}
        return value

    brand = {k: renamed(v) for k, v in source.items() if k != "products"}
    brand["id"] = brand_id
    brand["name"] = name
    brand["is_active"] = True
    brand["products"] = make_products(source.get("products") or [], count, seed)
    return brand


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="make_catalog.py",
        description="Write DIR/ID.json: a brand with N products generated (deterministically) from the bundled "
                    "TechPro catalog, for benchmarks. Nothing it writes is meant to be committed.")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write ID.json into (created if missing)")
    parser.add_argument("--products", type=int, default=100_000, metavar="N", help="products to generate (default 100000)")
    parser.add_argument("--brand-id", default="bigshop", metavar="ID", help="the brand's id and file name (default bigshop)")
    parser.add_argument("--name", default="BigShop Megastore", help="the brand's name (default 'BigShop Megastore')")
    parser.add_argument("--seed", type=int, default=14, help="random seed (default 14): the same seed, the same file")
    parser.add_argument("--from", dest="source", default=DEFAULT_SOURCE, metavar="FILE",
                        help="brand file whose products are the models (default resources/brands/techpro.json)")
    args = parser.parse_args(argv)
    if args.products < 1:
        parser.error("--products must be at least 1")
    with open(args.source, encoding="utf-8") as f:
        source = json.load(f)
    if not source.get("products"):
        parser.error(f"--from {args.source}: the brand has no products to generate from")
    brand = make_brand(source, args.products, args.brand_id, args.name, args.seed)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{args.brand_id}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(brand, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {args.products:,} products, {os.path.getsize(path):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
