package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime is the CPU time the kernel counted for a finished process,
// from the rusage wait4 returned.
func cpuTime(ps *os.ProcessState) (user, sys time.Duration, err error) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, errNotLinux
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), nil
}

// rssEvery is how often a running process's peak RSS is read. A read costs
// tens of microseconds of our CPU; VmHWM only grows, so a sample misses
// at most what the process adds in its last interval.
const rssEvery = 10 * time.Millisecond

// watchPeakRSS samples VmHWM, the high-water mark of the process's own
// memory, until stop is closed, and then sends the largest value in KiB.
//
// The rusage ru_maxrss would be simpler but is wrong here: Go starts
// children with vfork (CLONE_VM), and at exec the kernel raises the
// child's maxrss to the high-water mark of the memory it shared, ours.
// Every contender would then report at least dlbench's own peak, which
// uploading 1 GiB makes large. The process is read through a handle on its
// /proc folder, so a recycled PID is never read by mistake.
func watchPeakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	peak := make(chan int64, 1)
	proc, err := os.OpenRoot(fmt.Sprintf("/proc/%d", pid))
	if err != nil {
		peak <- 0
		return peak
	}
	go func() {
		defer proc.Close()
		tick := time.NewTicker(rssEvery)
		defer tick.Stop()
		var kib int64
		for {
			kib = max(kib, readHWM(proc))
			select {
			case <-stop:
				peak <- kib
				return
			case <-tick.C:
			}
		}
	}()
	return peak
}

// readHWM is the VmHWM line of status in KiB, 0 once the process is gone.
func readHWM(proc *os.Root) int64 {
	b, err := proc.ReadFile("status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nVmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(line)), " kB"), 10, 64)
	return kib
}

// machineCPU is the CPU time every CPU of the machine was busy since boot
// (/proc/stat: all but idle and iowait), less what process serverPID
// used (its utime and stime). Differences of it measure a run with the
// kernel's work for it included; other load on the machine counts too,
// so dlbench wants the machine to itself.
func machineCPU(serverPID int) (time.Duration, error) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already in user
			break
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		busy += n
	}
	if serverPID > 0 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", serverPID))
		if err != nil {
			return 0, err
		}
		// Fields after the command name, which may hold spaces: state is
		// the 3rd field of the line, utime and stime the 14th and 15th.
		_, rest, ok := bytes.Cut(b, []byte(") "))
		pf := strings.Fields(string(rest))
		if !ok || len(pf) < 13 {
			return 0, fmt.Errorf("/proc/%d/stat: unexpected format", serverPID)
		}
		for _, v := range pf[11:13] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/stat: %w", serverPID, err)
			}
			busy -= n
		}
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc/stat; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// flushDisk writes back what the last run left dirty, so the next run does
// not pay for it. Only aria2c and curl leave dirty pages; dlhelper fsyncs
// its files before it renames them.
func flushDisk() { syscall.Sync() }

// spreadFolders marks dir as the top of a directory tree (chattr +T), so
// that ext4 puts each folder made in it in a block group of its own
// choosing rather than next to its siblings. This keeps the benchmark's
// own cleanup out of the numbers: on an ext4 without a journal (this
// project's test VMs), a new file's inode skips every inode of its group
// freed in the last minute, each skip a buffer-cache lookup. Creating
// 2,000 files in a folder next to one whose 2,000 files were just deleted
// cost 460 ms of CPU against 60 ms in a fresh group, and that landed on
// whichever contender ran next. It changes nothing on other file systems
// and is skipped where the flag cannot be set.
func spreadFolders(dir string) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return
	}
	unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFL))
}

// fsTopdirFL is FS_TOPDIR_FL of linux/fs.h, which x/sys/unix lacks.
const fsTopdirFL = 0x00020000

// freeBytes is the space an unprivileged user can still write in dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// argLimit is the kernel's limit on an exec's arguments and environment
// (fs/exec.c): a quarter of the stack limit, at most 6 MiB, at least
// 128 KiB. Half of it is kept back for what argBytes does not count.
func argLimit() int {
	const floor, ceiling = 128 << 10, 6 << 20
	limit := uint64(ceiling)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &rl); err == nil {
		limit = min(limit, rl.Cur/4)
	}
	return int(max(limit, floor)) / 2
}
