package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// ApplyChange applies one podman/Dockerfile --change instruction to c:
// "CMD /bin/sh", `CMD ["sh","-c","x"]`, "ENV A=B", "WORKDIR /x", "USER 1000",
// ENTRYPOINT, EXPOSE, LABEL, VOLUME, STOPSIGNAL; "INSTR=VALUE" works as well.
func ApplyChange(c *imgspecv1.ImageConfig, change string) error {
	i := strings.IndexAny(change, " \t=")
	if i <= 0 {
		return fmt.Errorf("invalid change %q: write it as INSTRUCTION VALUE, e.g. \"CMD /bin/sh\"", change)
	}
	instr := strings.ToUpper(change[:i])
	value := strings.TrimSpace(change[i+1:])
	bad := func(why string) error { return fmt.Errorf("invalid change %q: %s", change, why) }
	switch instr {
	case "CMD", "ENTRYPOINT":
		var args []string
		if strings.HasPrefix(value, "[") {
			if err := json.Unmarshal([]byte(value), &args); err != nil {
				return bad("not a JSON array of strings: " + err.Error())
			}
		} else if value != "" {
			// The shell form, as a Dockerfile has it.
			args = []string{"/bin/sh", "-c", value}
		}
		if instr == "CMD" {
			c.Cmd = args
		} else {
			c.Entrypoint = args
		}
	case "ENV", "LABEL":
		pairs, err := keyValues(value, instr == "ENV")
		if err != nil {
			return bad(err.Error())
		}
		for _, kv := range pairs {
			if instr == "ENV" {
				c.Env = setEnv(c.Env, kv[0], kv[1])
				continue
			}
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[kv[0]] = kv[1]
		}
	case "WORKDIR":
		if value == "" {
			return bad("WORKDIR needs a directory")
		}
		// A relative WORKDIR is relative to the previous one, as in a Dockerfile.
		if !path.IsAbs(value) {
			value = path.Join("/", c.WorkingDir, value)
		}
		c.WorkingDir = path.Clean(value)
	case "USER":
		if value == "" || strings.ContainsAny(value, " \t") {
			return bad("USER needs one user[:group]")
		}
		c.User = value
	case "EXPOSE":
		ports := strings.Fields(value)
		if len(ports) == 0 {
			return bad("EXPOSE needs a port")
		}
		for _, p := range ports {
			port, err := exposedPort(p)
			if err != nil {
				return bad(err.Error())
			}
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			c.ExposedPorts[port] = struct{}{}
		}
	case "VOLUME":
		var vols []string
		if strings.HasPrefix(value, "[") {
			if err := json.Unmarshal([]byte(value), &vols); err != nil {
				return bad("not a JSON array of strings: " + err.Error())
			}
		} else {
			vols = strings.Fields(value)
		}
		if len(vols) == 0 {
			return bad("VOLUME needs a path")
		}
		for _, v := range vols {
			if !path.IsAbs(v) {
				return bad(fmt.Sprintf("volume %q is not an absolute path", v))
			}
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			c.Volumes[path.Clean(v)] = struct{}{}
		}
	case "STOPSIGNAL":
		if !validSignal(value) {
			return bad("STOPSIGNAL needs a signal name (SIGTERM, TERM) or number")
		}
		c.StopSignal = value
	default:
		return bad(fmt.Sprintf("unknown instruction %s: use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR", instr))
	}
	return nil
}

// keyValues parses "K=V K2=\"V 2\"" or, where oldForm allows it (ENV), "K V V".
func keyValues(s string, oldForm bool) ([][2]string, error) {
	words, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("it needs KEY=VALUE")
	}
	if !strings.Contains(words[0], "=") {
		if !oldForm || len(words) < 2 || words[0] == "" {
			return nil, errors.New("it needs KEY=VALUE")
		}
		// "ENV KEY some value": the rest of the line is the value.
		return [][2]string{{words[0], strings.Join(words[1:], " ")}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			// Not all KEY=VALUE: podman's form, where all after the first
			// "=" is the value ("ENV A=hello there").
			k, v, _ := strings.Cut(s, "=")
			k, v = unquote(strings.TrimSpace(k)), unquote(strings.TrimSpace(v))
			if k == "" || strings.ContainsAny(k, " \t") {
				return nil, fmt.Errorf("%q is not KEY=VALUE", s)
			}
			return [][2]string{{k, v}}, nil
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// unquote strips one pair of surrounding double or single quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// splitWords splits at blanks outside quotes; quotes group and are removed,
// and a backslash escapes the next character outside single quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if escaped {
		return nil, errors.New("a trailing backslash escapes nothing")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// exposedPort checks PORT[/PROTO] and returns it with the protocol podman defaults to.
func exposedPort(p string) (string, error) {
	num, proto, ok := strings.Cut(p, "/")
	if !ok {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return "", fmt.Errorf("port %q: protocol must be tcp, udp or sctp", p)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != num {
		return "", fmt.Errorf("port %q: not a number from 1 to 65535", p)
	}
	return num + "/" + proto, nil
}

func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n < 65
	}
	u := strings.ToUpper(s)
	if !strings.HasPrefix(u, "SIG") {
		u = "SIG" + u
	}
	return unix.SignalNum(u) != 0
}
