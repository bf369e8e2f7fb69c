/* Linked into every check test: when a test process crashes (SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL), gdb attaches and prints every thread's
 * backtrace to stderr before the process dies of the signal as it would
 * have (check still reports "Received signal N"). An intermittent crash in
 * CI then leaves its stacks in the test log instead of one line. Without
 * gdb, or with RTC_TEST_NO_CRASH_TRACE set, nothing changes. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void rtc_test_on_crash (int sig)
{
  char pid[32];
  snprintf (pid, sizeof pid, "%d", (int)getpid ());
  static const char banner[] = "\n*** crashed: the stacks of every thread follow (gdb) ***\n";
  if (write (2, banner, sizeof banner - 1) < 0) {
    /* nothing to do */
  }
  pid_t child = fork ();
  if (child == 0) {
    dup2 (2, 1);
    execlp ("gdb", "gdb", "-p", pid, "-batch", "-nx", "-q", "-ex", "set pagination off", "-ex",
            "thread apply all bt 30", (char *)NULL);
    _exit (127);
  }
  if (child > 0) {
    int status;
    while (waitpid (child, &status, 0) < 0) {
    }
  }
  signal (sig, SIG_DFL);
  raise (sig);
}

__attribute__ ((constructor)) static void rtc_test_crash_trace_init (void)
{
  if (getenv ("RTC_TEST_NO_CRASH_TRACE"))
    return;
  /* Under a sanitizer its own report says where; gdb would only slow it. */
  if (getenv ("RTC_SANITIZED"))
    return;
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = rtc_test_on_crash;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset (&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction (sigs[i], &sa, NULL);
}
