//go:build !linux

package main

import (
	"os"
	"time"
)

func cpuTime(*os.ProcessState) (user, sys time.Duration, err error) { return 0, 0, errNotLinux }

func watchPeakRSS(int, <-chan struct{}) <-chan int64 {
	peak := make(chan int64, 1)
	peak <- 0
	return peak
}

func flushDisk() {}

func spreadFolders(string) {}

func machineCPU(int) (time.Duration, error) { return 0, errNotLinux }

func freeBytes(string) (int64, error) { return 0, errNotLinux }

func argLimit() int { return 32 << 10 }
