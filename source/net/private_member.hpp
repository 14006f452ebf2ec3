// Reaching a private member of a library class that offers no API for what we need.
//
// Access is not checked for the arguments of an explicit instantiation
// ([temp.spec.general]/6), so `Expose<Tag, &Class::member_>` instantiated once hands the member
// pointer to the friend function `member(Tag{})`:
//
//     struct PoolOf { friend auto member(PoolOf); };
//     template struct Expose<PoolOf, &Reactor::pool_>;
//     auto& pool = reactor.*member(PoolOf{});
//
// The tags go in the including file's unnamed namespace inside `brandchat`, which is this one:
// the friend declared in a tag and the one defined here must be the same function. Only for
// members whose layout we pin with a BOOST_VERSION check next to the use.
#pragma once

namespace brandchat {
namespace {

template <class Tag, auto Member>
struct Expose {
    friend auto member(Tag) { return Member; }
};

} // namespace
} // namespace brandchat
