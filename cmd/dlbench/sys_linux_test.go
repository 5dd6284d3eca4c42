package main

import (
	"crypto/sha256"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The machine's busy time must include our own CPU: burn some, and the
// machine's count must have grown by at least as much, less the rounding
// of one clock tick per CPU.
func TestMachineCPUCountsThisProcess(t *testing.T) {
	before, err := machineCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	selfBefore := selfCPU(t)
	sum := sha256.Sum256(nil)
	for selfCPU(t)-selfBefore < 200*time.Millisecond {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	self := selfCPU(t) - selfBefore
	after, err := machineCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	slack := time.Duration(2*runtime.NumCPU()) * time.Second / clockTicks
	if got := after - before; got+slack < self {
		t.Errorf("machine CPU grew %v while this process alone used %v", got, self)
	}
	// A server's CPU is taken out: read back to back, the machine's count
	// with and without our own PID as the server differ by our CPU.
	all, err1 := machineCPU(0)
	less, err2 := machineCPU(os.Getpid())
	own := selfCPU(t)
	if err1 != nil || err2 != nil {
		t.Fatalf("machineCPU: %v, %v", err1, err2)
	}
	if d := all - less; d < own-slack || d > own+slack {
		t.Errorf("taking this process out of the count removed %v; it used %v", d, own)
	}
}

func selfCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// spreadFolders must leave the work folder marked as the top of a tree on
// a file system that keeps inode flags (ext4, as on the benchmark VMs).
func TestSpreadFoldersMarksTheTopOfATree(t *testing.T) {
	dir := t.TempDir()
	flags := func() uint32 {
		f, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		v, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		if err != nil {
			t.Skipf("%s keeps no inode flags: %v", dir, err)
		}
		return v
	}
	if flags()&fsTopdirFL != 0 {
		t.Fatal("a new folder is already marked")
	}
	spreadFolders(dir)
	if flags()&fsTopdirFL == 0 {
		t.Fatalf("%s is not marked as the top of a tree after spreadFolders", dir)
	}
}
