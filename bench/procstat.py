"""A process's CPU time and /proc/PID/status fields, for the benches that
measure a process they started (run inside tests/netns-run.sh, whose PID
namespace has its own /proc)."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of @pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status(pid, key):
    """A numeric field of /proc/PID/status (VmRSS in kB, Threads), 0 when absent."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0
