package runtime

import (
	"slices"
	"testing"
)

func TestHealthTimerEnv(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{nil, []string{"RPOD_HEALTHCHECK_TIMER=id"}},
		{
			[]string{"HOME=/h", "PATH=/bin", "XDG_RUNTIME_DIR=/run/user/1000", "XDG_DATA_HOME=/d", "CONTAINERS_REGISTRIES_CONF=/r",
				"LANG=C", "LC_ALL=C", "RPOD_SUBUID_FILE=/s", "DBUS_SESSION_BUS_ADDRESS=unix:path=/b"},
			[]string{"HOME=/h", "PATH=/bin", "XDG_RUNTIME_DIR=/run/user/1000", "XDG_DATA_HOME=/d", "CONTAINERS_REGISTRIES_CONF=/r",
				"LANG=C", "LC_ALL=C", "RPOD_SUBUID_FILE=/s", "DBUS_SESSION_BUS_ADDRESS=unix:path=/b", "RPOD_HEALTHCHECK_TIMER=id"},
		},
		// The monitor's own: its namespace, its unit, its notify socket.
		{
			[]string{"_RPOD_ROOTLESS_UID=1000", "_CONTAINERS_USERNS_CONFIGURED=done", "NOTIFY_SOCKET=/n", "LISTEN_FDS=1",
				"RPOD_SYSTEMD_UNIT=x.service", "INVOCATION_ID=1", "RPOD_HEALTHCHECK_TIMER=other", "GOMAXPROCS=1", "NOEQUALS", "HOME=/h"},
			[]string{"HOME=/h", "RPOD_HEALTHCHECK_TIMER=id"},
		},
	} {
		if got := healthTimerEnv(tc.in, "id"); !slices.Equal(got, tc.want) {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
