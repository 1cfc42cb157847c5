// flarectl: the CLI of flare. Everything lives in flare_cli; this only hands it the process.

#include <csignal>

#include "cli/app.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // `flarectl jobs list | head` must not die mid-write
  return flare::cli::RunCli(argc, argv, flare::cli::Io::Process(), flare::cli::Env::Process(),
                            flare::SystemClock::Instance());
}
