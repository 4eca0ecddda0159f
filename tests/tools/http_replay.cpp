// http-replay: sends captured HTTP requests byte for byte to 127.0.0.1:PORT, one connection
// each, and prints the status of each answer. Used by the README demo and the benchmarks.
//
//   http-replay PORT FILE.http...        exit 0 if every answer was 2xx, 1 otherwise
#include <cstdio>
#include <cstdlib>
#include <map>

#include "support/support.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: http-replay PORT FILE.http...\n");
        return 64;
    }
    int port = std::atoi(argv[1]);
    std::map<int, int> by_status;
    bool all_ok = true;
    for (int i = 2; i < argc; ++i) {
        auto capture = bbbhook::test::read_text(argv[i]);
        auto res = bbbhook::test::send_raw(port, capture);
        ++by_status[res.status];
        if (res.status < 200 || res.status > 299) {
            all_ok = false;
            std::fprintf(stderr, "http-replay: %s: %d %s\n", argv[i], res.status, res.body.c_str());
        }
    }
    std::printf("http-replay: %d request(s):", argc - 2);
    for (auto [status, n] : by_status)
        std::printf(" %d x %d", n, status);
    std::printf("\n");
    return all_ok ? 0 : 1;
}
