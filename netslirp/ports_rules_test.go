package netslirp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// unhex joins hex words written with spaces for reading.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The messages as iproute2 sends them for the same commands, on a
// little-endian machine.
func TestSourceRoutingMessages(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("expected bytes are little-endian")
	}
	const hdrRoute = "18000506" // RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE
	const hdrRule = "20000506"  // RTM_NEWRULE
	const table = "0800 0f00 70720000"
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"route v4: local 0.0.0.0/0 dev lo src 127.0.0.1 table 29296", newLocalRouteMsg(false, 1),
			"34000000" + hdrRoute + "01000000 00000000" +
				"02000000 0004fe02 00000000" + // AF_INET, RT_TABLE_UNSPEC, static, host, local
				table + "0800 0400 01000000" + "0800 0700 7f000001"},
		{"route v6: local ::/0 dev lo src ::1 table 29296", newLocalRouteMsg(true, 7),
			"40000000" + hdrRoute + "07000000 00000000" +
				"0a000000 0004fe02 00000000" +
				table + "0800 0400 01000000" + "1400 0700 00000000000000000000000000000001"},
		{"rule v4: from 127.0.0.0/8 iif lo lookup 29296 pref 29296", newRuleMsg(false, 0, 2),
			"3c000000" + hdrRule + "02000000 00000000" +
				"02000800 00000001 00000000" + // AF_INET, src_len 8, FR_ACT_TO_TBL
				"0700 0300 6c6f0000" + "0800 0600 70720000" + table + "0800 0200 7f000000"},
		{"rule v6: from ::1 iif lo lookup 29296 pref 29296", newRuleMsg(true, 0, 3),
			"48000000" + hdrRule + "03000000 00000000" +
				"0a008000 00000001 00000000" +
				"0700 0300 6c6f0000" + "0800 0600 70720000" + table + "1400 0200 00000000000000000000000000000001"},
		{"rule v4: ipproto udp sport 5353 iif lo lookup 29296 pref 29296", newRuleMsg(false, 5353, 4),
			"44000000" + hdrRule + "04000000 00000000" +
				"02000000 00000001 00000000" +
				"0700 0300 6c6f0000" + "0800 0600 70720000" + table +
				"0500 1600 11000000" + "0800 1700 e914e914"},
		{"rule v6: ipproto udp sport 53", newRuleMsg(true, 53, 5),
			"44000000" + hdrRule + "05000000 00000000" +
				"0a000000 00000001 00000000" +
				"0700 0300 6c6f0000" + "0800 0600 70720000" + table +
				"0500 1600 11000000" + "0800 1700 35003500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.want)
			if hex.EncodeToString(tc.msg) != hex.EncodeToString(want) {
				t.Errorf("\n got %x\nwant %x", tc.msg, want)
			}
			if int(binary.NativeEndian.Uint32(tc.msg)) != len(tc.msg) {
				t.Errorf("header length %d, message %d bytes", binary.NativeEndian.Uint32(tc.msg), len(tc.msg))
			}
		})
	}
}

// ack builds an NLMSG_ERROR message answering seq with errno (0: success).
func ack(seq uint32, errno unix.Errno) []byte {
	body := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	body = append(body, make([]byte, unix.SizeofNlMsghdr)...)
	b := binary.NativeEndian.AppendUint32(nil, uint32(unix.SizeofNlMsghdr+len(body)))
	b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_ERROR)
	b = binary.NativeEndian.AppendUint16(b, 0)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	return append(b, body...)
}

func TestParseNlAck(t *testing.T) {
	noop := nlMessage(unix.NLMSG_NOOP, 0, 3, nil)
	tests := []struct {
		name     string
		in       []byte
		seq      uint32
		done     bool
		err      error
		anyError bool
	}{
		{"success", ack(3, 0), 3, true, nil, false},
		{"exists is success", ack(3, unix.EEXIST), 3, true, nil, false},
		{"kernel error", ack(3, unix.EPERM), 3, true, unix.EPERM, false},
		{"another request's ack", ack(2, unix.EPERM), 3, false, nil, false},
		{"after another message", append(noop, ack(3, unix.EINVAL)...), 3, true, unix.EINVAL, false},
		{"empty", nil, 3, false, nil, false},
		{"truncated", ack(3, 0)[:20], 3, false, nil, true},
		{"short ack", nlMessage(unix.NLMSG_ERROR, 0, 3, []byte{1}), 3, false, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done, err := parseNlAck(tc.in, tc.seq)
			if done != tc.done {
				t.Errorf("done %v, want %v", done, tc.done)
			}
			switch {
			case tc.anyError:
				if err == nil {
					t.Error("no error")
				}
			case !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil):
				t.Errorf("error %v, want %v", err, tc.err)
			}
		})
	}
}

func FuzzParseNlAck(f *testing.F) {
	f.Add(ack(1, 0), uint32(1))
	f.Add(append(nlMessage(unix.NLMSG_NOOP, 0, 1, []byte{1, 2, 3}), ack(1, unix.EPERM)...), uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		parseNlAck(b, seq)
	})
}

func TestKernelAtLeast(t *testing.T) {
	tests := []struct {
		release string
		want    bool
	}{
		{"4.17.0", true},
		{"4.16.18-arch1", false},
		{"4.18.0-553.el8_10.x86_64", true},
		{"5.4.0-150-generic", true},
		{"6.18.44-fc-v769", true},
		{"3.10.0-1160.el7.x86_64", false},
		{"4.9", false},
		{"4.17-rc1", true},
		{"10.0", true},
		{"", false},
		{"4", false},
		{"x.y.z", false},
	}
	for _, tc := range tests {
		if got := kernelAtLeast(tc.release, 4, 17); got != tc.want {
			t.Errorf("kernelAtLeast(%q, 4, 17) = %v, want %v", tc.release, got, tc.want)
		}
	}
}

func FuzzKernelAtLeast(f *testing.F) {
	f.Add("6.1.0-13-amd64")
	f.Fuzz(func(t *testing.T, s string) { kernelAtLeast(s, 4, 17) })
}

func TestUDP6Listens(t *testing.T) {
	const zero = "00000000000000000000000000000000"
	tests := []struct {
		name string
		line string
		port uint16
		want bool
	}{
		{"header", "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", 5353, false},
		{"any address", "  12: " + zero + ":14E9 " + zero + ":0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 0", 5353, true},
		{"other port", "  12: " + zero + ":14EA " + zero + ":0000 07", 5353, false},
		{"loopback, little-endian words", "  3: 00000000000000000000000001000000:0035 " + zero + ":0000 07", 53, true},
		{"loopback, big-endian words", "  3: 00000000000000000000000000000001:0035 " + zero + ":0000 07", 53, true},
		{"another address", "  3: 0000000000000000FFFF00000100007F:0035 " + zero + ":0000 07", 53, false},
		{"connected", "  3: " + zero + ":0035 00000000000000000000000001000000:1F90 01", 53, false},
		{"garbage", "a b", 53, false},
		{"no port", "  1: " + zero + " " + zero + ":0000 07", 0, false},
	}
	for _, tc := range tests {
		if got := udp6Listens(tc.line, tc.port); got != tc.want {
			t.Errorf("%s: udp6Listens = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzUDP6Listens(f *testing.F) {
	f.Add("  12: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07", uint16(5353))
	f.Fuzz(func(t *testing.T, line string, port uint16) { udp6Listens(line, port) })
}
