// HardenProcess, applied in a forked child so the test process itself is not changed.
#include "privacy/harden.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace lfr {
namespace {

TEST(Harden, DisablesCoreDumpsAndDumpabilityAndReportsMemoryLocking) {
  int pipe_fd[2];
  ASSERT_EQ(pipe(pipe_fd), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fd[0]);
    HardenReport r = HardenProcess();
    rlimit core{};
    getrlimit(RLIMIT_CORE, &core);
    // Bit 0: RLIMIT_CORE is 0; bit 1: not dumpable; bit 2: report agrees; bit 3: a refused
    // mlockall came with a warning.
    unsigned char bits = 0;
    if (core.rlim_cur == 0 && core.rlim_max == 0) bits |= 1;
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0) bits |= 2;
    if (r.core_dumps_disabled && r.not_dumpable) bits |= 4;
    if (r.memory_locked || r.warnings.find("mlockall") != std::string::npos) bits |= 8;
    (void)!write(pipe_fd[1], &bits, 1);
    _exit(0);
  }
  close(pipe_fd[1]);
  unsigned char bits = 0;
  ASSERT_EQ(read(pipe_fd[0], &bits, 1), 1);
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_TRUE(bits & 1) << "RLIMIT_CORE not 0";
  EXPECT_TRUE(bits & 2) << "process still dumpable";
  EXPECT_TRUE(bits & 4) << "report disagrees with the process state";
  EXPECT_TRUE(bits & 8) << "memory locking neither done nor reported";
}

}  // namespace
}  // namespace lfr
