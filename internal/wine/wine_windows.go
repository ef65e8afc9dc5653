//go:build windows

package wine

import win "golang.org/x/sys/windows"

func running() bool {
	return win.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
