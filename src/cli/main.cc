// The `lfr` executable: everything happens in RunCli (src/cli/cli.cc).
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) { return lfr::cli::RunCli(argc, argv, std::cout, std::cerr); }
