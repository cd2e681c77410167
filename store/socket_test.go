package store

import "net"

// netListenUnixNoUnlink listens on a unix socket that stays on disk after
// Close, like the socket of a killed process.
func netListenUnixNoUnlink(path string) (*net.UnixListener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	return ln, nil
}
