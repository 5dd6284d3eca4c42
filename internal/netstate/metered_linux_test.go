package netstate

import (
	"context"
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"dlhelper/downloader"
	"dlhelper/internal/faultserver"
	"dlhelper/internal/testenv"
)

// fakeNetworkManager exports NetworkManager's Metered property on a
// private bus; setting it emits PropertiesChanged as NetworkManager does.
func fakeNetworkManager(t *testing.T, addr string, initial uint32) *prop.Properties {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	props, err := prop.Export(conn, nmPath, prop.Map{
		nmName: {"Metered": {Value: initial, Emit: prop.EmitTrue}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(nmName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("take NetworkManager's name: %v (reply %v)", err, reply)
	}
	return props
}

func TestAMeteredConnectionPausesWhatItMustAndResumesOnlyThat(t *testing.T) {
	bus := testenv.PrivateBus(t)
	nm := fakeNetworkManager(t, bus, 4) // guessed not metered
	data := make([]byte, 16<<20)
	_, _ = rand.Read(data)
	srv := faultserver.New(t, data, faultserver.RateLimit(256<<10)) // runs for the whole test
	m, err := downloader.New(downloader.Config{StateDir: t.TempDir(), Root: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	sub := m.Subscribe()
	defer sub.Close()
	add := func(name string) string {
		t.Helper()
		j, err := m.Add(downloader.JobSpec{Name: name, Files: []downloader.FileSpec{{URL: srv.URL(), Name: name + ".zip"}}})
		if err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	waitState := func(id string, want downloader.JobState) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a guard, not a measure
		defer cancel()
		for {
			if j, _ := m.Job(id); j.State == want {
				return
			}
			if _, err := sub.Next(ctx); err != nil {
				j, _ := m.Job(id)
				t.Fatalf("job %s is %s; want %s (%v)", id, j.State, want, err)
			}
		}
	}

	running, usersOwn := add("running"), add("paused-by-the-user")
	waitState(running, downloader.JobRunning)
	if err := m.PauseJob(usersOwn); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, m, NetworkManager{Addr: bus}, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { stop(); <-done })

	nm.SetMust(nmName, "Metered", uint32(1)) // the phone's hotspot
	waitState(running, downloader.JobPaused)
	added := add("added-while-metered")
	waitState(added, downloader.JobPaused)

	nm.SetMust(nmName, "Metered", uint32(2)) // back on the office network
	waitState(running, downloader.JobRunning)
	waitState(added, downloader.JobRunning)
	if j, _ := m.Job(usersOwn); j.State != downloader.JobPaused {
		t.Errorf("the job the user paused is %s; want it still paused", j.State)
	}

	m.Close() // the helper quits: Run ends by itself
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after the Manager closed; want nil", err)
		}
		done <- nil // for the cleanup
	case <-time.After(30 * time.Second): // a guard, not a measure
		t.Fatal("Run still runs 30 s after the Manager closed")
	}
}
