package tray

// msgKey names one sentence of the menu or its notifications. Every one
// exists in English and Chinese; TestEveryMessageHasBothLanguages fails
// when one lacks a translation, and TestChineseMenuShowsNoEnglish when a
// sentence bypasses this table.
type msgKey int

const (
	msgIdle msgKey = iota
	msgDownloading
	msgWaiting
	msgPaused
	msgFailedCount
	msgStatusTip
	msgPauseAll
	msgPauseAllTip
	msgResumeAll
	msgResumeAllTip
	msgOpenFolder
	msgOpenFolderTip
	msgOpenPage
	msgOpenPageTip
	msgStartAtLogin
	msgStartAtLoginTip
	msgQuit
	msgQuitTip
	msgCompleteTitle
	msgFailedTitle
	msgCompletedAny
	msgCompleted
	msgFailedAny
	msgFailed
	msgOneFile
	msgFiles
	msgCount // not a message: the number of them
)

// messages holds each sentence in both languages. Arguments are numbered
// (%[1]s) where the languages put them in a different order.
var messages = [msgCount]struct{ en, zh string }{
	msgIdle:            {"Idle", "空闲"},
	msgDownloading:     {"%d downloading", "%d 个下载中"},
	msgWaiting:         {"%d waiting for a new link", "%d 个等待新链接"},
	msgPaused:          {"Paused", "已暂停"},
	msgFailedCount:     {"%d failed", "%d 个失败"},
	msgStatusTip:       {"What the helper is doing", "下载助手当前的状态"},
	msgPauseAll:        {"Pause all", "全部暂停"},
	msgPauseAllTip:     {"Pause every download; nothing is lost", "暂停所有下载，已下载的部分不会丢失"},
	msgResumeAll:       {"Resume all", "全部继续"},
	msgResumeAllTip:    {"Resume every paused or failed download", "继续所有已暂停或失败的下载"},
	msgOpenFolder:      {"Open download folder", "打开下载文件夹"},
	msgOpenFolderTip:   {"Show the download folder", "在文件管理器中显示下载文件夹"},
	msgOpenPage:        {"Open status page", "打开状态页"},
	msgOpenPageTip:     {"Show every order in the browser", "在浏览器中查看所有订单"},
	msgStartAtLogin:    {"Start at login", "登录时启动"},
	msgStartAtLoginTip: {"Start the helper when you log in", "登录系统时自动启动下载助手"},
	msgQuit:            {"Quit", "退出"},
	msgQuitTip:         {"Stop every download, keeping its progress, and quit", "停止所有下载（保留进度）并退出"},
	msgCompleteTitle:   {"Download complete", "下载完成"},
	msgFailedTitle:     {"Download failed", "下载失败"},
	msgCompletedAny:    {"An order has finished downloading.", "一个订单已下载完成。"},
	msgCompleted:       {"%[1]s: %[2]s in %[3]s", "%[1]s：%[2]s，已保存到 %[3]s"},
	msgFailedAny:       {"An order stopped with errors. Open the status page to retry.", "一个订单因错误而停止。请打开状态页重试。"},
	msgFailed: {"%[1]s: %[2]d of %[3]s failed. Open the status page to see why and retry.",
		"%[1]s：共 %[3]s，其中 %[2]d 个失败。请打开状态页查看原因并重试。"},
	msgOneFile: {"1 file", "1 个文件"},
	msgFiles:   {"%d files", "%d 个文件"},
}
