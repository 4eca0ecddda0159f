// util/hash: digests (known answers), hex, constant-time comparison, algorithm names and lengths.
#include <catch2/catch.hpp>
#include <thread>

#include "bbbhook/util/hash.hpp"

using namespace bbbhook::util;

TEST_CASE("digests match the FIPS 180 known answers, in one piece or several", "[hash]") {
    // FIPS 180-2 "abc" vectors.
    CHECK(hex_digest(HashAlg::sha1, "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hex_digest(HashAlg::sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_digest(HashAlg::sha384, "abc") ==
          "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    CHECK(hex_digest(HashAlg::sha512, "abc") == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a219299"
                                                "2a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    CHECK(Hasher(HashAlg::sha1).update("a").update("").update("bc").hex() == hex_digest(HashAlg::sha1, "abc"));
    // Contexts are reused per thread: many hashes in a row and on other threads stay correct.
    for (int i = 0; i < 1000; ++i)
        REQUIRE(hex_digest(HashAlg::sha256, "abc") == hex_digest(HashAlg::sha256, "abc"));
    std::string other;
    std::thread([&] { other = hex_digest(HashAlg::sha512, "abc"); }).join();
    CHECK(other == hex_digest(HashAlg::sha512, "abc"));
}

TEST_CASE("algorithms are named by name and by hex length", "[hash]") {
    CHECK(hash_alg_from_hex_length(40) == HashAlg::sha1);
    CHECK(hash_alg_from_hex_length(64) == HashAlg::sha256);
    CHECK(hash_alg_from_hex_length(96) == HashAlg::sha384);
    CHECK(hash_alg_from_hex_length(128) == HashAlg::sha512);
    CHECK_FALSE(hash_alg_from_hex_length(41));
    CHECK(hash_alg_from_name("sha384") == HashAlg::sha384);
    CHECK_FALSE(hash_alg_from_name("md5"));
    CHECK(hash_alg_name(HashAlg::sha512) == "sha512");
}

TEST_CASE("constant-time comparisons compare", "[hash]") {
    CHECK(constant_time_equal("secret", "secret"));
    CHECK_FALSE(constant_time_equal("secret", "secreT"));
    CHECK_FALSE(constant_time_equal("secret", "secret2"));
    CHECK(constant_time_equal_same_length("abcd", "abcd"));
    CHECK_FALSE(constant_time_equal_same_length("abcd", "abce"));
    CHECK_FALSE(constant_time_equal_same_length("abcd", "abc"));
    CHECK(Hasher::to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
}
