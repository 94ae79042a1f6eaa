// Process hardening for programs that hold face data in memory (`lfr watch`, `lfr serve`).
//
// HardenProcess() makes sure a crash cannot write face buffers to disk and that they are
// not swapped out:
//  * core dumps off: setrlimit(RLIMIT_CORE, 0) and prctl(PR_SET_DUMPABLE, 0) (the latter
//    also stops other processes of the same user from reading this one's memory);
//  * memory locked: mlockall(MCL_CURRENT | MCL_FUTURE), best effort. An unprivileged user
//    with a small RLIMIT_MEMLOCK is refused; that is reported, not fatal (the machine
//    should then run without swap, or grant CAP_IPC_LOCK / a larger memlock limit).
//
// Call once, early, from the main thread. Not reversible.
#ifndef LFR_PRIVACY_HARDEN_H_
#define LFR_PRIVACY_HARDEN_H_

#include <string>

namespace lfr {

struct HardenReport {
  bool core_dumps_disabled = false;
  bool not_dumpable = false;
  bool memory_locked = false;
  // One line per protection that could not be applied, with the OS's reason; "" if none.
  std::string warnings;
};

HardenReport HardenProcess();

}  // namespace lfr

#endif  // LFR_PRIVACY_HARDEN_H_
