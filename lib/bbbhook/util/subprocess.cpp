#include "bbbhook/util/subprocess.hpp"

#include <cerrno>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bbbhook/util/fd.hpp"

extern char** environ;

namespace bbbhook::util {

Result<std::string> capture_output(const std::vector<std::string>& argv) {
    if (argv.empty()) return make_error(ExitCode::internal, "capture_output: no program");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(ExitCode::io, fmt::format("pipe: {}", errno_message(errno)));
    UniqueFd read_end(fds[0]), write_end(fds[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return make_error(ExitCode::no_input, fmt::format("cannot run {}: {}", argv[0], errno_message(rc)));
    write_end.reset();

    std::string output;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(read_end.get(), buf, sizeof buf);
        if (n > 0)
            output.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
            break;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output;
    std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                        : fmt::format("was killed by signal {}", WTERMSIG(status));
    // posix_spawnp reports a missing program as exit 127 of the child.
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) how = "was not found or could not be started";
    return make_error(ExitCode::no_input, fmt::format("{} {}", argv[0], how));
}

} // namespace bbbhook::util
