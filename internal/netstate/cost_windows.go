package netstate

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/go-ole/go-ole"
)

// NetworkCost reads Windows' network cost from the Network List Manager
// (INetworkCostManager, the COM side of what Settings shows as "metered
// connection"), through go-ole. It asks every pollEvery instead of
// subscribing to INetworkCostManagerEvents: a connection point needs a
// COM object of our own, much more code for a change that can wait a
// minute.
type NetworkCost struct{}

// System is the system's watcher: the Network List Manager.
func System() Watcher { return NetworkCost{} }

const pollEvery = 30 * time.Second

var (
	clsidNetworkListManager = ole.NewGUID("{DCB00C01-570F-4A9B-8D69-199FDBA5723B}")
	iidINetworkCostManager  = ole.NewGUID("{DCB00008-570F-4A9B-8D69-199FDBA5723B}")
)

func (NetworkCost) Watch(ctx context.Context, out chan<- bool) error {
	// COM is set up per thread: the calls below must stay on this one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED); err != nil {
		return fmt.Errorf("COM: %w", err)
	}
	defer ole.CoUninitialize()
	mgr, err := ole.CreateInstance(clsidNetworkListManager, iidINetworkCostManager)
	if err != nil {
		return fmt.Errorf("network list manager: %w", err)
	}
	defer mgr.Release()

	last, first := false, true
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		cost, err := getCost(mgr)
		if err != nil {
			return err
		}
		if m := costMetered(cost); first || m != last {
			select {
			case out <- m:
			case <-ctx.Done():
				return nil
			}
			last, first = m, false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// getCost calls INetworkCostManager::GetCost(&cost, NULL): the cost of
// the machine's connections as a whole. It is the fourth method of the
// interface's vtable, after IUnknown's three.
func getCost(mgr *ole.IUnknown) (uint32, error) {
	vtbl := (*[4]uintptr)(unsafe.Pointer(mgr.RawVTable))
	var cost uint32
	hr, _, _ := syscall.SyscallN(vtbl[3], uintptr(unsafe.Pointer(mgr)), uintptr(unsafe.Pointer(&cost)), 0)
	if hr != 0 {
		return 0, fmt.Errorf("INetworkCostManager.GetCost: %w", ole.NewError(hr))
	}
	return cost, nil
}
