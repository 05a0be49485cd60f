package image

import "strings"

// qualifiedName is the name the store keeps the image ref names under,
// when ref is fully qualified ("registry/path[:tag]"): what
// containers/image's reference.ParseNormalizedNamed and TagNameOnly make
// of it, ":latest" added, without their regular expressions or the
// registries configuration (a run's lookup of a local image spent about a
// millisecond there). ok is false for anything else, short names and
// digests included, which take the library's way.
func qualifiedName(ref string) (name string, ok bool) {
	if strings.ContainsRune(ref, '@') {
		return "", false
	}
	slash := strings.IndexByte(ref, '/')
	if slash < 0 {
		return "", false
	}
	domain, rest := ref[:slash], ref[slash+1:]
	if !strings.ContainsAny(domain, ".:") && domain != "localhost" || !validDomain(domain) {
		return "", false
	}
	path, tag, ok := splitRepoTag(rest)
	if !ok {
		return "", false
	}
	switch domain {
	case "index.docker.io", "docker.io":
		domain = "docker.io"
		if !strings.ContainsRune(path, '/') {
			path = "library/" + path
		}
	}
	full := domain + "/" + path
	if len(full) > 255 { // the library's longest name
		return "", false
	}
	return full + ":" + tag, true
}

// splitRepoTag splits a name without its registry into its path and tag
// ("latest" when none is given); ok is false unless both are valid.
func splitRepoTag(s string) (path, tag string, ok bool) {
	path, tag = s, "latest"
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		path, tag = s[:i], s[i+1:]
		if !validTag(tag) {
			return "", "", false
		}
	}
	for _, c := range strings.Split(path, "/") {
		if !validPathComponent(c) {
			return "", "", false
		}
	}
	return path, tag, true
}

// validDomain: lowercase host components, each alphanumeric at both ends
// with dashes inside, dot-separated, and an optional numeric port.
func validDomain(d string) bool {
	host, port, hasPort := strings.Cut(d, ":")
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	for _, c := range strings.Split(host, ".") {
		if c == "" || !alnum(c[0]) || !alnum(c[len(c)-1]) {
			return false
		}
		for i := 0; i < len(c); i++ {
			if !alnum(c[i]) && c[i] != '-' {
				return false
			}
		}
	}
	return true
}

// validPathComponent: lowercase alphanumeric runs joined by one separator
// each: ".", "_", "__" or any number of "-".
func validPathComponent(c string) bool {
	if c == "" || !alnum(c[0]) || !alnum(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); {
		if alnum(c[i]) {
			i++
			continue
		}
		j := i
		for j < len(c) && !alnum(c[j]) {
			j++
		}
		switch sep := c[i:j]; {
		case sep == "." || sep == "_" || sep == "__":
		case strings.Trim(sep, "-") == "":
		default:
			return false
		}
		i = j
	}
	return true
}

// validTag: a word character, then up to 127 word characters, dots and dashes.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || !word(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if !word(t[i]) && t[i] != '.' && t[i] != '-' {
			return false
		}
	}
	return true
}

func alnum(b byte) bool { return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' }

func word(b byte) bool { return alnum(b) || 'A' <= b && b <= 'Z' || b == '_' }
