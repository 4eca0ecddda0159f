// bbbhook: hands argv to the library with the table of subcommands.
#include "bbbhook/cli/app.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
    return bbbhook::cli::run(argc, argv, bbbhook::cmd::commands());
}
