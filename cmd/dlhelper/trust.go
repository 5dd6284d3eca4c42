package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"dlhelper/bridge"
	"dlhelper/tray"
)

// askTrust is what the helper does when a portal's page asks to be trusted
// (bridge.Options.AskTrust): it opens its own approval page, logged in, in
// the default browser, and shows a notification, so the question reaches
// the user wherever they look. Without a desktop (dlhelper serve) it can
// only log where to answer.
func askTrust(open func(string) error, notify tray.Notifier, lang tray.Lang, log *slog.Logger) func(bridge.TrustRequest, string) {
	return func(r bridge.TrustRequest, approveURL string) {
		if open == nil {
			log.Warn("a portal asks to be trusted; answer on dlhelper's page: run \"dlhelper open dlhelper://approve\"", "origin", r.Origin)
			return
		}
		if err := open(approveURL); err != nil {
			log.Warn("could not open the approval page", "err", err)
		}
		if notify == nil {
			return
		}
		title, text := trustNotification(lang, r)
		if err := notify(title, text); err != nil {
			log.Warn("could not show a notification", "err", err)
		}
	}
}

// trustNotification is the notification's title and text. The origin is
// the page's own choice of words; the Notifier escapes it as plain text.
func trustNotification(lang tray.Lang, r bridge.TrustRequest) (title, text string) {
	if lang == tray.Chinese {
		title, text = "门户请求使用下载助手", fmt.Sprintf("是否允许 %s 使用下载助手下载文件？请在已打开的下载助手页面中作答。", r.Origin)
		if r.Files > 0 {
			text += fmt.Sprintf("（订单：%d 个文件）", r.Files)
		}
		return title, text
	}
	title, text = "A portal asks to use dlhelper", fmt.Sprintf("Allow %s to download files with dlhelper? Answer on dlhelper's page, now open in your browser.", r.Origin)
	if r.Files > 0 {
		text += fmt.Sprintf(" (Order: %d files.)", r.Files)
	}
	return title, text
}

// desktopNotifier is the notifier where there is a desktop (open is set).
func desktopNotifier(open func(string) error) tray.Notifier {
	if open == nil {
		return nil
	}
	return tray.DesktopNotifier("dlhelper")
}

// followOrder hands the ticket of a dlhelper://order?ticket=URL link to the
// running helper, which fetches the order (and, for a portal not trusted
// yet, asks its user first). The link comes from a web page: the ticket is
// only ever passed to the helper's checks, never opened here.
func followOrder(u *url.URL, a appEnv) {
	ticket := u.Query().Get("ticket")
	if ticket == "" || a.order == nil {
		a.log.Warn("ignoring a dlhelper://order link without a ticket")
		return
	}
	if err := a.order(ticket); err != nil {
		a.log.Error("could not take the order", "err", err)
	}
}

// submitTicket takes a ticket in the process that runs the helper.
func (s *server) submitTicket(ticket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.bridge.SubmitTicket(ctx, ticket, "")
	if err == nil {
		s.log.Info("took an order by link", "state", res.State)
	}
	return err
}

// postTicket hands a ticket to the helper running in another process,
// with the token, as POST /v1/orders.
func postTicket(ctx context.Context, stateDir string, port int, ticket string) error {
	token, err := bridge.LoadOrCreateToken(stateDir)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"ticket": ticket})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(port)+"/v1/orders", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := helperClient.Do(req)
	if err != nil {
		return fmt.Errorf("dlhelper does not answer on port %d (%v); is it running?", port, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusAccepted {
		var e struct{ Error struct{ Message string } }
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
		return fmt.Errorf("dlhelper refused the order (%s): %s", resp.Status, e.Error.Message)
	}
	return nil
}
