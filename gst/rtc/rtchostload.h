/* How busy the host's CPUs are, for decisions that would add CPU work of
 * our own (the room's low layers: rtcroomlayers.cpp).
 *
 * Linux's pressure stall information, /proc/pressure/cpu (kernel 4.20+):
 * "some avg10", the share of the last ~10 s in which a runnable task
 * waited for a CPU. 100 % means every core is taken and work queues; an
 * encoder started then slows everything already running. Without PSI
 * (disabled, or not Linux): the 1-minute load average per core (x100,
 * at most 100) from /proc/loadavg, which follows a load more slowly;
 * neither: unknown.
 *
 * Stateless: any thread (it reads a small file; call it once a second,
 * not per packet). */
#pragma once

namespace rtc {

struct CpuPressure {
  int percent = -1;             /* 0..100; -1: unknown */
  const char *source = nullptr; /* "psi", "loadavg" or nullptr */
};

CpuPressure read_cpu_pressure ();

/* The "some" line's avg10 in the text of a PSI file; -1 when absent. */
double parse_psi_some_avg10 (const char *text);

} // namespace rtc
