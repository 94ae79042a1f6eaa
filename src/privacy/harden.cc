#include "privacy/harden.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace lfr {

HardenReport HardenProcess() {
  HardenReport r;
  auto warn = [&r](const char* what) {
    r.warnings += std::string(what) + ": " + std::strerror(errno) + "\n";
  };
  const rlimit no_core{0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) == 0) {
    r.core_dumps_disabled = true;
  } else {
    warn("cannot disable core dumps (setrlimit RLIMIT_CORE)");
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0) {
    r.not_dumpable = true;
  } else {
    warn("cannot mark the process non-dumpable (prctl PR_SET_DUMPABLE)");
  }
  if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
    r.memory_locked = true;
  } else {
    warn("cannot lock memory against swap (mlockall; raise RLIMIT_MEMLOCK or grant CAP_IPC_LOCK, "
         "or run without swap)");
  }
  return r;
}

}  // namespace lfr
